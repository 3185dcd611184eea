import re
from datetime import UTC

import pytest
from django.urls import reverse

from actions.models import Petition, Signature
from actions.outbox.messages import build_message
from actions.outbox.models import OutboundEmail
from actions.outbox.tasks import send_email
from actions.receipts import checking
from actions.receipts.services import commit_day
from actions.tests.factories import make_petition, make_signature
from actions.tests.smtp import Mailbox, smtp_mailers, smtp_server

pytestmark = pytest.mark.django_db

SITE_URL = "https://campaign.example"


def _queue(signature: Signature, kind: str = OutboundEmail.Kind.CONFIRM):
    return OutboundEmail.objects.create(
        kind=kind, to_email=signature.email, signature=signature
    )


def _confirm_link(text: str) -> str:
    return re.search(rf"{re.escape(SITE_URL)}/\S+", text).group()


def _html(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def test_the_confirmation_email_has_text_and_html_with_the_link(
    petition, mailoutbox, settings
):
    settings.SITE_URL = SITE_URL
    signature = make_signature(petition, first_name="Ada", email="Ada@Example.org")

    send_email(_queue(signature).pk)

    [message] = mailoutbox
    assert message.to == ["Ada@Example.org"]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.subject == f"Please confirm your signature: {petition.title}"
    assert "Dear Ada," in message.body
    link = _confirm_link(message.body)
    assert link.startswith(f"{SITE_URL}/petitions/{petition.slug}/confirm/")
    html = _html(message)
    assert f'href="{link}"' in html
    assert "Confirm my signature" in html


def test_the_link_in_the_email_confirms_the_signature(
    client, petition, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = SITE_URL
    signature = make_signature(petition)
    send_email(_queue(signature).pk)
    path = _confirm_link(mailoutbox[0].body).removeprefix(SITE_URL)

    page = client.get(path)
    assert page.status_code == 200
    assert "Confirm my signature" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path)

    assert response.status_code == 302
    assert response["Location"].startswith(
        reverse("actions:thanks", kwargs={"slug": petition.slug})
    )
    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED
    assert petition.confirmed_count() == 1


def test_the_confirmation_email_carries_the_signers_receipt_link(
    client, petition, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = SITE_URL
    signature = make_signature(petition, email="Ada@Example.org")
    send_email(_queue(signature).pk)
    [message] = mailoutbox
    assert "After you confirm, your signature's receipt will be here" in message.body
    link = re.search(rf"{re.escape(SITE_URL)}/receipts/\S+/", message.body).group()
    assert f'href="{link}"' in _html(message)
    path = link.removeprefix(SITE_URL)

    before = client.get(path)
    content = before.content.decode()
    assert before.status_code == 200
    assert "ready once your signature is confirmed" in content
    assert "Ada@Example.org" not in content and signature.last_name not in content
    assert client.get(path + "receipt.json").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        client.post(_confirm_link(message.body).removeprefix(SITE_URL))
    signature.refresh_from_db()
    commit_day(day=signature.confirmed_at.astimezone(UTC).date())

    assert "Download your receipt" in client.get(path).content.decode()
    download = client.get(path + "receipt.json")
    assert download.status_code == 200
    assert checking.check_receipt(download.content.decode()).is_valid


def test_the_already_signed_email_carries_no_confirmation_link(
    petition, mailoutbox, settings
):
    settings.SITE_URL = SITE_URL
    signature = make_signature(
        petition, state=Signature.State.CONFIRMED, first_name="Ada"
    )

    send_email(_queue(signature, OutboundEmail.Kind.ALREADY_SIGNED).pk)

    [message] = mailoutbox
    assert message.subject == f"You have already signed: {petition.title}"
    assert "already confirmed and counted once" in message.body
    assert "/confirm/" not in message.body + _html(message)
    share = SITE_URL + petition.statement.get_absolute_url()
    assert share in message.body
    assert f'href="{share}"' in _html(message)


def test_names_are_escaped_in_the_html_part(petition):
    signature = make_signature(petition, first_name="<b>Ada</b>")

    message = build_message(_queue(signature))

    assert "&lt;b&gt;Ada&lt;/b&gt;" in _html(message)
    assert "<b>Ada</b>" not in _html(message)
    assert "Dear <b>Ada</b>," in message.body  # plain text is not HTML


INJECTION = "Ada\r\nBcc: x@evil.example"


def test_a_name_with_a_line_break_adds_no_header(petition):
    signature = make_signature(
        petition, first_name=INJECTION, last_name=INJECTION, email="ada@example.org"
    )

    message = build_message(_queue(signature))

    assert message.recipients() == ["ada@example.org"]
    assert message.bcc == []
    raw = message.message().as_bytes()
    headers = raw.split(b"\n\n", 1)[0]
    assert b"evil" not in headers
    assert b"Bcc" not in headers


def test_a_title_with_a_line_break_stays_in_a_one_line_subject(statement):
    petition = make_petition(statement, title="Cancel\r\nBcc: x@evil.example")
    signature = make_signature(petition, email="ada@example.org")

    message = build_message(_queue(signature))

    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.recipients() == ["ada@example.org"]
    assert "Bcc" not in message.message()


@pytest.mark.parametrize("kind", list(OutboundEmail.Kind))
def test_a_subject_keeps_the_title_as_written_not_html_escaped(statement, kind):
    petition = make_petition(statement, title="Tell the Council's members: ICC & now")
    signature = make_signature(petition, email="ada@example.org")
    outbound = OutboundEmail.objects.create(
        kind=kind, to_email=signature.email, signature=signature
    )

    message = build_message(outbound)

    if kind != OutboundEmail.Kind.DATA_REQUEST:  # it names the site instead
        assert "Tell the Council's members: ICC & now" in message.subject
    assert "&#x27;" not in message.subject and "&amp;" not in message.subject


def test_a_name_with_a_line_break_reaches_only_the_signer_over_smtp(petition, settings):
    mailbox = Mailbox()
    signature = make_signature(
        petition, first_name=INJECTION, last_name=INJECTION, email="ada@example.org"
    )
    outbound = _queue(signature)

    with smtp_server(mailbox) as port:
        settings.MAILERS = smtp_mailers(port)
        send_email(outbound.pk)

    [(_, rcpt_tos, message)] = mailbox.envelopes
    assert rcpt_tos == ["ada@example.org"]
    assert message["Bcc"] is None
    assert "evil" not in str(message.items())
    assert OutboundEmail.objects.get().state == OutboundEmail.State.SENT


def test_an_email_over_smtp_has_plain_text_and_html_parts(petition, settings):
    settings.SITE_URL = SITE_URL
    mailbox = Mailbox()
    outbound = _queue(make_signature(petition, email="ada@example.org"))

    with smtp_server(mailbox) as port:
        settings.MAILERS = smtp_mailers(port)
        send_email(outbound.pk)

    [(mail_from, rcpt_tos, message)] = mailbox.envelopes
    assert mail_from == "campaign@example.org"
    assert rcpt_tos == ["ada@example.org"]
    assert message["To"] == "ada@example.org"
    assert message.get_content_type() == "multipart/alternative"
    types = [part.get_content_type() for part in message.get_payload()]
    assert types == ["text/plain", "text/html"]
    text = message.get_payload()[0].get_payload(decode=True).decode()
    assert f"{SITE_URL}/petitions/{petition.slug}/confirm/" in text


def test_every_kind_of_email_renders(petition):
    signature = make_signature(petition)

    for kind in OutboundEmail.Kind.values:
        message = build_message(_queue(signature, kind))
        assert message.subject
        assert message.body.strip()
        assert _html(message).strip()


def test_the_email_is_built_for_the_petition_it_belongs_to(statement):
    other: Petition = make_petition(statement, title="Refer to the ICC")
    signature = make_signature(other)

    message = build_message(_queue(signature))

    assert "Refer to the ICC" in message.subject
    assert f"/petitions/{other.slug}/confirm/" in message.body
