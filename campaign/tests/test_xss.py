"""The XSS corpus (campaign/tests/xss.py) through every field people type:
the statement's Markdown and text, and what supporters enter (names, email,
country, source). Wherever those show, on public pages, in emails, in the
admin and in the export, nothing runs, and supporters' text shows as text."""

import io
import time

import pytest
from django.urls import reverse

from actions.abuse.stamp import make_stamp
from actions.consent import services as consent
from actions.core.tokens import make_thanks_token
from actions.exports.tests.expected import read_csv, read_xlsx, safe
from actions.followups import previews
from actions.followups.rendering import render_draft
from actions.followups.tests.factories import make_follow_up
from actions.forms import SignatureForm
from actions.models import Signature
from actions.outbox.messages import build_message
from actions.outbox.models import OutboundEmail
from actions.services import confirm_signature, sign_petition
from actions.tests.factories import make_petition, make_signature, make_target
from campaign.tests.xss import (
    PAYLOADS,
    make_corpus_statement,
    problems,
    shown_text,
)
from statements.services import render_markdown
from statements.tests.factories import make_statement

pytestmark = pytest.mark.django_db

# Payloads that do nothing as HTML: Markdown, encoded markup, template
# syntax, a comment, CDATA (a bogus comment outside SVG), a tag named
# "javascript:alert(1)" and one named "scr<script" (a trick against filters
# that delete "<script>").
INERT_AS_HTML = (
    "[",
    "![",
    "&",
    "%",
    "\\u",
    "{{",
    "<!--",
    "<![",
    "<javascript:",
    "<scr<",
)
# Addresses the email field accepts, with markup in a quoted local part.
EMAILS = [
    '"<script>alert({n})</script>"@example.org',
    '"<svg/onload=alert({n})>"@example.org',
    '"\'><img/src=x/onerror=alert({n})>"@example.org',
    '"javascript:alert({n})"@example.org',
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_checker_finds_each_payload_left_raw(payload):
    # In text, in a double- and a single-quoted attribute, and as a link.
    html = (
        f"<p title=\"{payload}\">{payload}</p><input value='{payload}'>"
        f'<a href="{payload}">x</a>'
    )

    breaks_out = '" on' in payload  # of a double-quoted attribute
    inert = payload.startswith(INERT_AS_HTML) and not breaks_out

    assert bool(problems(html)) is not inert


def test_the_checker_accepts_the_sites_own_markup():
    html = (
        '<link rel="stylesheet" href="/static/css/site.css">'
        '<script src="/static/js/counts.js" nonce="abc" defer></script>'
        '<script id="data" type="application/json">{"a": "\\u003c"}</script>'
        '<a href="/petitions/x/" style="color: #000">x</a>'
        '<a href="https://example.org/" rel="noopener">y</a>'
        '<iframe sandbox srcdoc="&lt;p&gt;Hi&lt;/p&gt;"></iframe>'
        '<svg aria-hidden="true"><rect width="3"></rect></svg>'
    )

    assert problems(html) == []


# Statements: Markdown cleaned by nh3, and text


@pytest.mark.parametrize("payload", PAYLOADS)
def test_each_payload_in_markdown_renders_inert(payload):
    assert problems(render_markdown(payload)) == []
    assert problems(render_markdown(f"Text {payload} more *text*")) == []


@pytest.fixture
def corpus_statement(db):
    return make_corpus_statement()


def test_a_statement_with_the_corpus_renders_inert_on_every_public_page(
    client, corpus_statement
):
    petition = corpus_statement.petitions.get()
    # The thanks page lists the statement's other petitions and the topics'.
    make_petition(
        corpus_statement, title=PAYLOADS[3], target=make_target(name=PAYLOADS[4])
    )
    on_a_topic = make_statement(title=PAYLOADS[5])
    on_a_topic.topics.add(corpus_statement.topics.first())
    make_petition(on_a_topic, title=PAYLOADS[6], target=make_target(name=PAYLOADS[7]))
    signer = make_signature(petition)
    confirm_signature(signature=signer)
    urls = [
        reverse("statements:home"),
        corpus_statement.get_absolute_url(),
        reverse("statements:topic_detail", args=[corpus_statement.topics.first().slug]),
        reverse("actions:sign", args=[petition.slug]),
        reverse("actions:check_email", args=[petition.slug]),
        reverse("actions:thanks", args=[petition.slug]),
        reverse("actions:thanks", args=[petition.slug, make_thanks_token(signer.pk)]),
        reverse("actions:confirm", args=[petition.slug, "bad-token"]),
    ]

    for url in urls:
        page = client.get(url).content.decode()
        assert problems(page) == [], url

    statement_page = shown_text(client.get(urls[1]).content.decode())
    assert PAYLOADS[0] in statement_page and PAYLOADS[2] in statement_page


def test_the_admin_preview_of_a_statement_renders_inert(admin_client, corpus_statement):
    url = reverse("admin:statements_statement_preview", args=[corpus_statement.pk])

    page = admin_client.get(url).content.decode()

    assert problems(page) == []


# What supporters type


def _form_data(n: int, payload: str) -> dict[str, str]:
    return {
        "first_name": payload,
        "last_name": payload,
        "email": EMAILS[n % len(EMAILS)].format(n=n),
        "country": "KH",
        "source": payload,
        "wants_updates": "on",
        "started": make_stamp(time.time() - 60),  # filled in over a minute
    }


@pytest.mark.parametrize("payload", PAYLOADS)
def test_what_a_supporter_types_comes_back_as_text(client, petition, payload):
    sign = reverse("actions:sign", args=[petition.slug])
    # An invalid country: the form comes back with everything else as typed.
    data = _form_data(0, payload) | {"email": payload, "country": payload}

    pages = [
        client.post(sign, data),
        client.post(reverse("actions:resend", args=[petition.slug]), data),
        client.get(sign, {"source": payload}),
        client.get(petition.statement.get_absolute_url(), {"source": payload}),
        client.get(reverse("statements:home"), {"page": payload}),
    ]

    for response in pages:
        assert response.status_code in {200, 400}
        assert problems(response.content.decode()) == []
    # The form shows what was typed, as text.
    assert payload in shown_text(pages[0].content.decode())


@pytest.fixture
def supporters(petition):
    """A signature for each payload, signed through the form, every other one
    confirmed."""
    signatures = []
    for n, payload in enumerate(PAYLOADS):
        form = SignatureForm(_form_data(n, payload))
        assert form.is_valid(), (payload, form.errors)
        signature = sign_petition(
            petition=petition,
            consent_wording=consent.updates_wording(),
            client_ip=f"198.51.100.{n}",  # each from its own client, not limited
            **form.cleaned_data,
        )
        if n % 2:
            confirm_signature(signature=signature)
        signatures.append(signature)
    return signatures


def _html_part(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def test_confirmation_emails_show_the_names_as_text(supporters):
    for signature in supporters:
        outbound = OutboundEmail.objects.get(signature=signature)

        html = _html_part(build_message(outbound))

        assert problems(html) == [], signature.first_name
        assert signature.first_name in shown_text(html)


def test_already_signed_emails_show_the_names_as_text(supporters):
    for signature in supporters:
        outbound = OutboundEmail(
            kind=OutboundEmail.Kind.ALREADY_SIGNED,
            to_email=signature.email,
            signature=signature,
        )

        html = _html_part(build_message(outbound))

        assert problems(html) == [], signature.first_name
        assert signature.first_name in shown_text(html)


def test_follow_ups_show_names_as_text_even_where_the_body_links_them(
    petition, supporters
):
    corpus = make_follow_up(petition, subject=PAYLOADS[0], body="\n\n".join(PAYLOADS))
    linking = make_follow_up(
        petition,
        subject="{{ first_name }}",
        body="Dear {{ first_name }}, see [your page]({{ first_name }}),"
        ' <a href="{{first_name}}">this</a> and'
        " [that](https://example.org/?name={{ first_name }}).",
    )
    drafts = [render_draft(f, count=len(supporters)) for f in (corpus, linking)]

    for draft in drafts:
        for signature in supporters:
            email = draft.personalise(first_name=signature.first_name, token="t")
            assert problems(email.html) == [], signature.first_name
            if draft is drafts[1]:
                assert signature.first_name in shown_text(email.html)
    for follow_up in (corpus, linking):
        assert problems(previews.preview(follow_up, of_a_signer=True).html) == []


# The admin


def test_admin_pages_show_supporters_text_inert(admin_client, petition, supporters):
    confirmed = [s for s in supporters if s.state == Signature.State.CONFIRMED]
    follow_up = make_follow_up(petition, body="Dear {{ first_name }}")
    signatures = reverse("admin:actions_signature_changelist")
    urls = [
        signatures,
        signatures + "?p=2",
        signatures + "?q=" + "%3Cscript%3E",
        reverse("admin:outbox_outboundemail_changelist"),
        reverse("admin:actions_petition_dashboard", args=[petition.pk]),
        reverse("admin:followups_followup_preview", args=[follow_up.pk]),
        reverse("admin:followups_followup_change", args=[follow_up.pk]),
        reverse("admin:index"),
    ]
    urls += [reverse("admin:actions_signature_change", args=[s.pk]) for s in supporters]
    urls += [
        reverse("admin:outbox_outboundemail_change", args=[outbound.pk])
        for outbound in OutboundEmail.objects.all()[:10]
    ]
    shown = ""

    for url in urls:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert problems(page) == [], url
        shown += shown_text(page)

    for signature in supporters:
        assert signature.first_name in shown and signature.email in shown
    assert confirmed  # the dashboard's charts have something to show


# The export


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_the_export_keeps_supporters_text_as_inert_text(
    admin_client, supporters, format
):
    response = admin_client.post(
        reverse("admin:actions_signature_export"), {"format": format}
    )

    assert response.status_code == 200
    assert not response["Content-Type"].startswith("text/html")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    data = b"".join(response.streaming_content)
    if format == "csv":
        _, rows = read_csv(data)
    else:
        _, rows = read_xlsx(io.BytesIO(data))
    names = {row[2] for row in rows}
    assert names == {safe(s.first_name) for s in supporters}
