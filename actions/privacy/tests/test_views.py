"""The "Your data" pages: the same answer for every address, links that only
their purpose opens, a GET that changes nothing and a POST that erases."""

import json

import pytest
from django.core import signing
from django.test import override_settings
from django.urls import reverse

from actions.core.tokens import (
    DATA_LINK_SALT,
    DOWNLOAD_SALT,
    make_confirmation_token,
    make_data_token,
    make_unsubscribe_token,
)
from actions.followups.previews import preview
from actions.followups.tests.factories import make_follow_up
from actions.models import Signature
from actions.outbox.models import OutboundEmail
from actions.privacy.models import Erasure
from actions.tests.factories import make_signature

pytestmark = pytest.mark.django_db

YOUR_DATA = reverse("actions:your_data")
SENT = reverse("actions:your_data_sent")


def _copy_url(token: str) -> str:
    return reverse("actions:your_data_copy", args=[token])


def _json_url(token: str) -> str:
    return reverse("actions:your_data_json", args=[token])


@pytest.fixture
def ada(petition):
    return make_signature(petition, email="ada@example.org", first_name="Ada")


def _snapshot() -> list[tuple]:
    return list(Signature.objects.order_by("pk").values_list()) + [
        (OutboundEmail.objects.count(), Erasure.objects.count())
    ]


def test_the_footer_of_every_page_links_to_your_data(client, petition):
    page = client.get(petition.statement.get_absolute_url())

    assert f'href="{YOUR_DATA}"' in page.content.decode()


def test_the_answer_is_the_same_whether_or_not_the_address_signed(
    client, ada, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(YOUR_DATA, {"email": "ADA@example.org"})
        unknown = client.post(YOUR_DATA, {"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == SENT
    page = client.get(SENT).content.decode()
    assert "If we hold anything about this address, we have sent a link" in page
    assert [email.to for email in mailoutbox] == [["ada@example.org"]]


def test_a_bad_address_gets_a_clear_message_and_sends_nothing(client, mailoutbox):
    response = client.post(YOUR_DATA, {"email": "not an address"})

    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert mailoutbox == []


def test_the_link_shows_everything_and_changes_nothing(client, ada):
    before = _snapshot()

    page = client.get(_copy_url(make_data_token(ada.pk)))

    assert page.status_code == 200
    content = page.content.decode()
    assert "ada@example.org" in content and ada.petition.title in content
    assert '<form method="post">' in content
    assert "no-store" in page["Cache-Control"]
    assert 'name="robots" content="noindex"' in content
    assert _snapshot() == before


def test_the_copy_downloads_as_json(client, ada):
    token = make_data_token(ada.pk)

    response = client.get(_json_url(token))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="your-data.json"'
    data = json.loads(response.content)
    assert data["email"] == "ada@example.org"
    assert data["signatures"][0]["first_name"] == "Ada"
    assert data["signatures"][0]["signed_at"].startswith(str(ada.created_at.year))


def test_the_button_erases_and_the_link_then_leads_nowhere(client, ada):
    token = make_data_token(ada.pk)

    response = client.post(_copy_url(token))

    assert response.status_code == 302
    assert response["Location"] == reverse("actions:your_data_erased")
    ada.refresh_from_db()
    assert ada.anonymised_at is not None and ada.first_name == ""
    assert client.get(_copy_url(token)).status_code == 400
    assert client.post(_copy_url(token)).status_code == 400
    assert Erasure.objects.count() == 1


def test_a_post_from_another_site_erases_nothing(client, ada):
    response = client.post(
        _copy_url(make_data_token(ada.pk)), HTTP_SEC_FETCH_SITE="cross-site"
    )

    assert response.status_code == 403
    ada.refresh_from_db()
    assert ada.anonymised_at is None


def _tokens(signature) -> dict[str, str]:
    good = make_data_token(signature.pk)
    return {
        "tampered": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "an unknown signature's": make_data_token(987654),
        "made up": "not-a-token",
        "a confirmation link's": make_confirmation_token(signature.pk),
        "an unsubscribe link's": make_unsubscribe_token(signature.pk),
        "an export link's": signing.dumps(
            {"export": signature.pk, "user": 1}, salt=DOWNLOAD_SALT
        ),
        "unsalted": signing.dumps(signature.pk),
        "not an id": signing.dumps("ada@example.org", salt=DATA_LINK_SALT),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "tampered",
        "an unknown signature's",
        "made up",
        "a confirmation link's",
        "an unsubscribe link's",
        "an export link's",
        "unsalted",
        "not an id",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_wrong_link_is_refused_and_changes_nothing(client, ada, kind, method):
    token = _tokens(ada)[kind]
    before = _snapshot()

    page = getattr(client, method)(_copy_url(token))
    download = client.get(_json_url(token))

    assert page.status_code == download.status_code == 400
    assert "This link does not work" in page.content.decode()
    assert "ada@example.org" not in page.content.decode() + download.content.decode()
    assert _snapshot() == before


@override_settings(DATA_LINK_MAX_AGE=-1)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_link_is_refused_and_offers_a_new_one(client, ada, method):
    before = _snapshot()

    response = getattr(client, method)(_copy_url(make_data_token(ada.pk)))

    assert response.status_code == 400
    content = response.content.decode()
    assert "This link has expired" in content
    assert f'action="{YOUR_DATA}"' in content
    assert _snapshot() == before


def test_after_erasure_the_old_emails_links_change_nothing(client, ada):
    confirm = reverse(
        "actions:confirm",
        kwargs={"slug": ada.petition.slug, "token": make_confirmation_token(ada.pk)},
    )
    unsubscribe = reverse("actions:unsubscribe", args=[make_unsubscribe_token(ada.pk)])
    client.post(_copy_url(make_data_token(ada.pk)))
    before = _snapshot()

    responses = [client.post(confirm), client.post(unsubscribe)]

    assert [r.status_code for r in responses] == [400, 400]
    assert _snapshot() == before
    assert ada.petition.confirmed_count() == 0


def test_every_email_links_to_your_data(
    client,
    petition,
    sign_data,
    mailoutbox,
    django_capture_on_commit_callbacks,
    settings,
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("actions:sign", args=[petition.slug]), sign_data)

    [email] = mailoutbox
    assert f"{settings.SITE_URL}{YOUR_DATA}" in email.body
    assert f'href="{settings.SITE_URL}{YOUR_DATA}"' in email.alternatives[0][0]
    follow_up = preview(make_follow_up(petition))
    assert f"{settings.SITE_URL}{YOUR_DATA}" in follow_up.text
    assert f'href="{settings.SITE_URL}{YOUR_DATA}"' in follow_up.html


def test_one_client_asking_too_often_gets_the_same_page_and_no_email(
    client, petition, mailoutbox, settings, django_capture_on_commit_callbacks
):
    """Per address, three links a day; per client, CLIENT_DATA_REQUESTS_PER_HOUR
    requests an hour, whatever the addresses: past it the page is the same
    and nothing is sent, for a known address too."""
    settings.CLIENT_DATA_REQUESTS_PER_HOUR = 2
    for name in ("ada", "grace", "mary"):
        make_signature(petition, email=f"{name}@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            client.post(YOUR_DATA, {"email": f"{name}@example.org"})
            for name in ("ada", "grace", "mary")
        ]
        elsewhere = client.post(
            YOUR_DATA, {"email": "mary@example.org"}, REMOTE_ADDR="198.51.100.7"
        )

    assert {a.status_code for a in answers} == {elsewhere.status_code} == {302}
    assert {a["Location"] for a in answers} == {elsewhere["Location"]} == {SENT}
    sent = sorted(email.to[0] for email in mailoutbox)
    assert sent == ["ada@example.org", "grace@example.org", "mary@example.org"]
    # The third request from the first client sent nothing: mary's one email
    # is the other client's.
    assert OutboundEmail.objects.filter(to_email="mary@example.org").count() == 1
