import json
import re
from datetime import timedelta

import pytest
from django.core import signing
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from actions.consent.services import updates_wording
from actions.core.tokens import (
    make_confirmation_token,
    make_data_token,
    make_receipt_token,
    make_thanks_token,
    make_unsubscribe_token,
)
from actions.models import Petition, Signature
from actions.outbox.models import OutboundEmail
from actions.services import confirm_signature
from actions.tests.factories import make_petition, make_signature
from campaign.tests.public_urls import public_url_names
from statements.models import Statement
from statements.tests.factories import make_statement, make_topic

pytestmark = pytest.mark.django_db


def _url(name: str, petition: Petition, **kwargs: str) -> str:
    return reverse(f"actions:{name}", kwargs={"slug": petition.slug, **kwargs})


def _confirm_url(signature: Signature, petition: Petition | None = None) -> str:
    token = make_confirmation_token(signature.pk)
    return _url("confirm", petition or signature.petition, token=token)


def _thanks_token(signature: Signature) -> str:
    confirm_signature(signature=signature)
    return make_thanks_token(signature.pk)


def _count(client, petition: Petition) -> dict:
    caches["pages"].clear()  # the count page is cached; read past it
    return json.loads(client.get(_url("count", petition)).content)


# signing


def test_a_supporter_signs_from_the_statement_page(
    client, petition, sign_data, mailoutbox, django_capture_on_commit_callbacks
):
    page = client.get(petition.statement.get_absolute_url())
    assert page.status_code == 200
    assert _url("sign", petition) in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("sign", petition), sign_data)

    assert response.status_code == 302
    assert response["Location"] == _url("check_email", petition)
    signature = Signature.objects.get()
    assert signature.state == Signature.State.PENDING
    assert signature.source == "newsletter"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ada@example.org"]
    check = client.get(response["Location"])
    assert check.status_code == 200
    assert "Check your email" in check.content.decode()


HIDDEN_SOURCE = re.compile(r'name="source" value="([^"]*)"')


@pytest.mark.parametrize(
    ("query", "recorded"),
    [
        (
            {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "mm"},
            "utm.newsletter.email.mm",
        ),
        ({"source": "share-telegram", "utm_source": "newsletter"}, "share-telegram"),
    ],
)
def test_a_signature_records_the_utm_parameters_it_arrived_with(
    client, petition, sign_data, query, recorded
):
    page = client.get(_url("sign", petition), query).text
    source = HIDDEN_SOURCE.search(page).group(1)

    client.post(_url("sign", petition), sign_data | {"source": source})

    assert Signature.objects.get().source == recorded


def test_the_sign_page_carries_the_source_into_the_form(client, petition):
    response = client.get(_url("sign", petition), {"source": "share-whatsapp"})

    assert response.status_code == 200
    assert 'value="share-whatsapp"' in response.content.decode()


def test_signing_with_consent_records_the_wording_version(client, petition, sign_data):
    client.post(_url("sign", petition), sign_data | {"wants_updates": "on"})

    signature = Signature.objects.get()
    assert signature.wants_updates is True
    assert signature.consent_version == str(updates_wording().version)


def test_signing_without_consent_records_no_wording_version(
    client, petition, sign_data
):
    client.post(_url("sign", petition), sign_data)

    signature = Signature.objects.get()
    assert signature.wants_updates is False
    assert signature.consent_version == ""


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "ada-at-example.org", "Enter a valid email address."),
        ("first_name", "", "Please enter your given name."),
        ("country", "XX", "Select a valid choice. XX is not one of the available"),
        ("country", "", "Please choose your country."),
        ("first_name", "   ", "Please enter your given name."),
        ("first_name", "\x07\x1b\u200b", "Please enter your name."),
    ],
)
def test_invalid_input_shows_the_form_again_with_errors_and_saves_nothing(
    client,
    petition,
    sign_data,
    mailoutbox,
    django_capture_on_commit_callbacks,
    field,
    value,
    message,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("sign", petition), sign_data | {field: value})

    assert response.status_code == 200
    content = response.content.decode()
    assert "Please correct the errors below." in content
    assert message in content
    assert Signature.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    assert mailoutbox == []


def test_signing_eight_times_shows_the_same_page_and_sends_five_emails(
    client, petition, sign_data, mailoutbox, django_capture_on_commit_callbacks
):
    responses = []
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(8):
            # From eight devices: one device is rate limited sooner (test_abuse).
            responses.append(
                client.post(
                    _url("sign", petition), sign_data, REMOTE_ADDR=f"198.51.100.{n}"
                )
            )

    assert {(r.status_code, r["Location"]) for r in responses} == {
        (302, _url("check_email", petition))
    }
    assert Signature.objects.count() == 1
    assert len(mailoutbox) == 5


def test_signing_with_a_confirmed_address_looks_the_same_as_a_new_one(
    client, petition, sign_data, mailoutbox, django_capture_on_commit_callbacks
):
    signature = make_signature(petition, email="Ada.Lovelace@gmail.com")
    confirm_signature(signature=signature)

    with django_capture_on_commit_callbacks(execute=True):
        new = client.post(_url("sign", petition), sign_data)
        again = client.post(
            _url("sign", petition), sign_data | {"email": "adalovelace+x@gmail.com"}
        )

    assert (new.status_code, new["Location"]) == (again.status_code, again["Location"])
    assert [m.to for m in mailoutbox] == [
        ["ada@example.org"],
        ["Ada.Lovelace@gmail.com"],
    ]
    assert "already signed" in mailoutbox[1].subject
    assert Signature.objects.count() == 2


@pytest.mark.parametrize(
    "fields",
    [
        {"state": Petition.State.CLOSED},
        {
            "opens_at": timezone.now() - timedelta(days=2),
            "closes_at": timezone.now() - timedelta(days=1),
        },
        {"opens_at": timezone.now() + timedelta(days=1)},
    ],
    ids=["closed", "past-closes-at", "future-opens-at"],
)
def test_a_closed_petition_refuses_a_signature(
    client,
    statement,
    sign_data,
    mailoutbox,
    django_capture_on_commit_callbacks,
    fields,
):
    petition = make_petition(statement, **fields)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("sign", petition), sign_data)

    assert response.status_code == 409
    # Not open yet says so (test_lifecycle_views); either way, nothing recorded.
    assert "your signature was not recorded" in response.content.decode()
    assert Signature.objects.count() == 0
    assert mailoutbox == []


def test_a_petition_closing_during_the_request_refuses_the_signature(
    client, statement, sign_data, monkeypatch
):
    closes_at = timezone.now() + timedelta(minutes=1)
    petition = make_petition(statement, closes_at=closes_at)
    # The view sees the petition open; by the time the service checks, the
    # closing time has passed.
    clock = iter([closes_at - timedelta(seconds=1)])
    monkeypatch.setattr(
        "actions.models.timezone.now",
        lambda: next(clock, closes_at + timedelta(seconds=1)),
    )

    response = client.post(_url("sign", petition), sign_data)

    assert response.status_code == 409
    assert "your signature was not recorded" in response.content.decode()
    assert Signature.objects.count() == 0


def test_a_petition_closed_in_the_admin_refuses_signatures_at_once(
    client, petition, sign_data, mailoutbox
):
    assert client.get(_url("sign", petition)).status_code == 200  # now cached
    Petition.objects.filter(pk=petition.pk).update(
        state=Petition.State.CLOSED, closed_at=timezone.now()
    )

    response = client.post(_url("sign", petition), sign_data)

    assert response.status_code == 409
    assert "your signature was not recorded" in response.content.decode()
    assert Signature.objects.count() == 0
    assert mailoutbox == []


def test_a_closed_petition_page_says_it_is_closed(client, statement):
    petition = make_petition(statement, state=Petition.State.CLOSED)

    response = client.get(_url("sign", petition))

    assert response.status_code == 200
    content = response.content.decode()
    assert "This petition is closed and no longer takes signatures." in content
    assert "Sign the petition" not in content


def test_no_public_page_sets_a_cookie(client, petition, sign_data):
    topic = make_topic()
    petition.statement.topics.add(topic)
    signer = make_signature(petition, wants_updates=True)
    unsubscribe = make_unsubscribe_token(signer.pk)
    data = make_data_token(make_signature(petition).pk)
    receipt = make_receipt_token(make_signature(petition).pk)
    visits = {
        "healthz": [("get", reverse("healthz"), None)],
        "readyz": [("get", reverse("readyz"), None)],
        "statements:home": [("get", reverse("statements:home"), None)],
        "statements:statement_detail": [
            ("get", petition.statement.get_absolute_url() + "?source=x", None)
        ],
        "statements:topic_detail": [
            ("get", reverse("statements:topic_detail", args=[topic.slug]), None)
        ],
        "statements:feed": [("get", reverse("statements:feed"), None)],
        "statements:topic_feed": [
            ("get", reverse("statements:topic_feed", args=[topic.slug]), None)
        ],
        "sitemap": [("get", reverse("sitemap"), None)],
        "robots_txt": [("get", reverse("robots_txt"), None)],
        "favicon": [("get", reverse("favicon"), None)],
        "api:statement_list": [
            ("get", reverse("api:statement_list") + "?lang=fr", None),
            ("get", reverse("api:statement_list") + "?page=x", None),
            ("post", reverse("api:statement_list"), {}),
        ],
        "api:statement_detail": [
            (
                "get",
                reverse("api:statement_detail", args=[petition.statement.slug]),
                None,
            ),
            ("options", reverse("api:statement_detail", args=["x"]), None),
        ],
        "api:openapi": [("get", reverse("api:openapi"), None)],
        "sharing:share_image": [
            (
                "get",
                reverse("sharing:share_image", args=[petition.statement.slug]),
                None,
            )
        ],
        "actions:sign": [
            ("get", _url("sign", petition), None),
            ("post", _url("sign", petition), sign_data | {"email": "x"}),
            ("post", _url("sign", petition), sign_data),
        ],
        "actions:check_email": [("get", _url("check_email", petition), None)],
        "actions:step": [
            ("post", _url("sign", petition), sign_data | {"website": "x"}),
            ("post", _url("step", petition), {"data": "x", "challenge": "y"}),
        ],
        "actions:confirm": [
            ("get", _confirm_url(signer), None),
            ("get", _url("confirm", petition, token="bad"), None),
            ("post", _confirm_url(signer), {}),
        ],
        "actions:resend": [("post", _url("resend", petition), {"email": "a@b.org"})],
        "actions:thanks": [
            ("get", _url("thanks", petition), None),
            ("get", _url("thanks", petition, token=_thanks_token(signer)), None),
        ],
        "actions:count": [("get", _url("count", petition), None)],
        "actions:embed": [
            ("get", _url("embed", petition), None),
            ("post", _url("embed", petition), sign_data | {"email": "x"}),
            ("post", _url("embed", petition), sign_data | {"email": "e@example.org"}),
        ],
        "actions:embed_step": [
            ("post", _url("embed", petition), sign_data | {"website": "x"}),
            ("post", _url("embed_step", petition), {"data": "x", "challenge": "y"}),
        ],
        "actions:embed_check_email": [
            ("get", _url("embed_check_email", petition), None)
        ],
        "actions:unsubscribe": [
            ("get", reverse("actions:unsubscribe", args=[unsubscribe]), None),
            ("post", reverse("actions:unsubscribe", args=[unsubscribe]), {}),
        ],
        "actions:email_preferences": [
            ("get", reverse("actions:email_preferences", args=[unsubscribe]), None),
            (
                "post",
                reverse("actions:email_preferences", args=[unsubscribe]),
                {"everything": "1"},
            ),
        ],
        "actions:your_data": [
            ("get", reverse("actions:your_data"), None),
            ("post", reverse("actions:your_data"), {"email": "x"}),
            ("post", reverse("actions:your_data"), {"email": signer.email}),
        ],
        "actions:your_data_sent": [("get", reverse("actions:your_data_sent"), None)],
        "actions:your_data_json": [
            ("get", reverse("actions:your_data_json", args=[data]), None)
        ],
        "actions:your_data_copy": [
            ("get", reverse("actions:your_data_copy", args=[data]), None),
            ("post", reverse("actions:your_data_copy", args=[data]), {}),
        ],
        "actions:your_data_erased": [
            ("get", reverse("actions:your_data_erased"), None)
        ],
        "actions:open_clocks": [("get", reverse("actions:open_clocks"), None)],
        "actions:delivery_photo": [("get", _url("delivery_photo", petition), None)],
        "actions:receipt_roots": [("get", reverse("actions:receipt_roots"), None)],
        "actions:receipt_feed": [("get", reverse("actions:receipt_feed"), None)],
        "actions:receipt_check": [
            ("get", reverse("actions:receipt_check"), None),
            ("post", reverse("actions:receipt_check"), {"receipt": "{}"}),
        ],
        "actions:receipt": [  # a pending signer's page, and a bad link
            ("get", reverse("actions:receipt", args=[receipt]), None),
            ("get", reverse("actions:receipt", args=["bad"]), None),
        ],
        "actions:receipt_download": [
            ("get", reverse("actions:receipt_download", args=[receipt]), None)
        ],
        # Not written yet: a 404 sets no cookie either.
        "pages:privacy": [("get", reverse("pages:privacy"), None)],
        "pages:about": [("get", reverse("pages:about"), None)],
    }
    assert set(visits) == public_url_names()  # a new page must be added here

    cookies = {}
    for requests in visits.values():
        for method, url, data_ in requests:
            response = getattr(client, method)(url, data_)
            assert response.status_code < 500, url
            cookies[url] = list(response.cookies)
            if response.status_code == 302:  # where the form sends the browser
                landing = client.get(response["Location"])
                assert landing.status_code == 200, response["Location"]
                cookies[response["Location"]] = list(landing.cookies)
    cookies["not found"] = list(client.get("/no-such-page/").cookies)

    assert {url: found for url, found in cookies.items() if found} == {}
    assert not client.cookies


# confirming


def test_the_confirmation_link_shows_a_button_and_changes_nothing(client, petition):
    signature = make_signature(petition)

    response = client.get(_confirm_url(signature))

    assert response.status_code == 200
    assert "Confirm my signature" in response.content.decode()
    assert '<form method="post">' in response.content.decode()
    signature.refresh_from_db()
    assert signature.state == Signature.State.PENDING
    assert petition.confirmed_count() == 0


def test_pressing_the_button_confirms_and_shows_thanks(
    client, petition, django_capture_on_commit_callbacks
):
    signature = make_signature(petition)
    confirm_signature(signature=make_signature(petition))  # someone else
    url = _confirm_url(signature)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    assert response.status_code == 302
    assert response["Location"].startswith(_url("thanks", petition))
    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED
    assert signature.confirmed_at is not None
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    content = thanks.content.decode()
    assert "2 people have signed" in content
    assert "you among them" in content
    share = petition.statement.get_absolute_url()
    assert f"{share}?source=share-link" in content
    for channel in ["email", "whatsapp", "bluesky", "facebook"]:
        assert f"%3Fsource%3Dshare-{channel}" in content


def test_the_thanks_page_does_not_count_the_first_signer_twice(
    client, petition, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_confirm_url(make_signature(petition)))

    content = client.get(response["Location"]).content.decode()

    # The supporter is the one confirmed signer: "You and 1 person" says two.
    assert "1 person has signed" in content
    assert "You and 1 person" not in content


def test_confirming_twice_is_harmless(
    client, petition, django_capture_on_commit_callbacks
):
    url = _confirm_url(make_signature(petition))

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url)
        second = client.post(url)

    assert first["Location"].startswith(_url("thanks", petition))
    assert second["Location"].startswith(_url("thanks", petition))
    assert petition.confirmed_count() == 1
    assert _count(client, petition)["count"] == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_offers_a_new_one(client, petition, method):
    signature = make_signature(petition)
    token = make_confirmation_token(signature.pk)
    url = _url("confirm", petition, token=token[:-2] + "xx")

    response = getattr(client, method)(url)

    assert response.status_code == 400
    content = response.content.decode()
    assert "This link does not work" in content
    assert _url("resend", petition) in content
    assert "Send me a new link" in content
    assert Signature.objects.get().state == Signature.State.PENDING


@override_settings(CONFIRMATION_MAX_AGE=-1)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_link_offers_a_new_one(client, petition, method):
    signature = make_signature(petition)

    response = getattr(client, method)(_confirm_url(signature))

    assert response.status_code == 400
    content = response.content.decode()
    assert "This link has expired" in content
    assert _url("resend", petition) in content
    assert Signature.objects.get().state == Signature.State.PENDING


def test_a_link_for_an_unknown_signature_is_refused(client, petition):
    token = signing.dumps(987654, salt="actions.signature.confirm")

    response = client.post(_url("confirm", petition, token=token))

    assert response.status_code == 400


def test_a_link_used_under_another_petition_is_refused(client, statement):
    first, second = make_petition(statement), make_petition(statement)
    signature = make_signature(first)

    for method in (client.get, client.post):
        response = method(_confirm_url(signature, petition=second))
        assert response.status_code == 400

    assert Signature.objects.get().state == Signature.State.PENDING
    assert first.confirmed_count() == second.confirmed_count() == 0


# resending


def test_resend_sends_the_confirmation_again(
    client, petition, mailoutbox, django_capture_on_commit_callbacks
):
    make_signature(petition, email="Ada.Lovelace@gmail.com", emails_queued=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("resend", petition), {"email": "adalovelace@googlemail.com"}
        )

    assert response.status_code == 302
    assert response["Location"] == _url("check_email", petition)
    assert [m.to for m in mailoutbox] == [["Ada.Lovelace@gmail.com"]]
    assert "confirm" in mailoutbox[0].subject.lower()


def test_resend_to_an_unknown_address_looks_the_same_and_sends_nothing(
    client, petition, mailoutbox, django_capture_on_commit_callbacks
):
    make_signature(petition, email="ada@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("resend", petition), {"email": "bob@example.org"})

    assert response.status_code == 302
    assert response["Location"] == _url("check_email", petition)
    assert mailoutbox == []
    assert OutboundEmail.objects.count() == 0


def test_one_client_resending_too_often_gets_the_same_page_and_no_email(
    client, statement, mailoutbox, settings, django_capture_on_commit_callbacks
):
    """Per signature, MAX_EMAILS_PER_SIGNATURE emails; per client,
    CLIENT_RESENDS_PER_HOUR resends an hour across addresses and petitions."""
    settings.CLIENT_RESENDS_PER_HOUR = 2
    petitions = [make_petition(statement) for _ in range(3)]
    for petition in petitions:
        make_signature(petition, email="ada@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            client.post(_url("resend", petition), {"email": "ada@example.org"})
            for petition in petitions
        ]
        elsewhere = client.post(
            _url("resend", petitions[2]),
            {"email": "ada@example.org"},
            REMOTE_ADDR="198.51.100.7",
        )

    assert {a.status_code for a in answers} == {elsewhere.status_code} == {302}
    assert [a["Location"] for a in answers] == [
        _url("check_email", p) for p in petitions
    ]
    # Two from the first client, then one from the second: the third was held.
    assert len(mailoutbox) == 3
    assert OutboundEmail.objects.filter(signature__petition=petitions[2]).count() == 1


def test_resend_with_a_bad_address_shows_the_form_again(client, petition):
    response = client.post(_url("resend", petition), {"email": "nope"})

    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_resend_only_accepts_post(client, petition):
    assert client.get(_url("resend", petition)).status_code == 405


# the count


def test_the_count_endpoint_reports_confirmed_signatures(client, statement):
    petition = make_petition(statement, goal=250)
    confirm_signature(signature=make_signature(petition))
    make_signature(petition)  # pending
    make_signature(
        petition, state=Signature.State.INVALIDATED, invalidated_at=timezone.now()
    )

    response = client.get(_url("count", petition))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "petition": petition.slug,
        "kind": "petition",
        "count": 1,
        "goal": 250,
        "state": "open",
        "is_open": True,
    }
    cache_control = response["Cache-Control"]
    assert "public" in cache_control
    assert "max-age=5" in cache_control
    assert not response.cookies


def test_the_count_shows_a_closed_petition(client, statement):
    petition = make_petition(statement, state=Petition.State.DELIVERED)

    body = _count(client, petition)

    assert (body["state"], body["is_open"]) == ("delivered", False)


def test_the_count_grows_once_the_page_cache_expires(
    client, petition, django_capture_on_commit_callbacks
):
    assert _count(client, petition)["count"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        client.post(_confirm_url(make_signature(petition)))
        client.post(_confirm_url(make_signature(petition)))

    assert _count(client, petition)["count"] == 2


def test_the_count_is_served_from_cache_within_the_window(
    client, petition, django_capture_on_commit_callbacks
):
    url = _url("count", petition)
    assert json.loads(client.get(url).content)["count"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        confirm_signature(signature=make_signature(petition))

    assert json.loads(client.get(url).content)["count"] == 0  # a few seconds old
    assert _count(client, petition)["count"] == 1


# unpublished statements


@pytest.fixture
def draft_petition(db):
    statement = make_statement(state=Statement.State.DRAFT, publish_at=None)
    return make_petition(statement)


@pytest.mark.parametrize("name", ["sign", "check_email", "thanks", "count"])
def test_a_draft_statements_petition_pages_are_not_found(client, draft_petition, name):
    assert client.get(_url(name, draft_petition)).status_code == 404


def test_a_draft_statements_petition_takes_no_signature(
    client, draft_petition, sign_data
):
    response = client.post(_url("sign", draft_petition), sign_data)

    assert response.status_code == 404
    assert Signature.objects.count() == 0


def test_a_draft_statements_petition_resend_is_not_found(client, draft_petition):
    response = client.post(_url("resend", draft_petition), {"email": "a@b.org"})

    assert response.status_code == 404


def test_a_draft_statements_confirmation_page_is_not_found(client, draft_petition):
    signature = make_signature(draft_petition)

    assert client.get(_confirm_url(signature)).status_code == 404
    assert client.post(_confirm_url(signature)).status_code == 404
    assert Signature.objects.get().state == Signature.State.PENDING


def test_a_scheduled_statements_petition_is_not_found_before_its_time(
    client, sign_data
):
    statement = make_statement(
        state=Statement.State.SCHEDULED,
        publish_at=timezone.now() + timedelta(hours=1),
    )
    petition = make_petition(statement)

    assert client.get(_url("sign", petition)).status_code == 404
    assert client.post(_url("sign", petition), sign_data).status_code == 404
