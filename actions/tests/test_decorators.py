import pytest
from django.test import Client, override_settings
from django.urls import reverse

from actions.core.tokens import make_confirmation_token
from actions.models import Signature
from actions.outbox.models import OutboundEmail
from actions.tests.factories import make_signature

pytestmark = pytest.mark.django_db

REFUSED_TEXT = "This form was sent from another site"


def _sign_url(petition) -> str:
    return reverse("actions:sign", kwargs={"slug": petition.slug})


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://testserver.evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
    ],
)
def test_a_cross_site_post_is_refused_and_saves_nothing(
    client, petition, sign_data, headers
):
    response = client.post(_sign_url(petition), sign_data, headers=headers)

    assert response.status_code == 403
    assert REFUSED_TEXT in response.content.decode()
    assert Signature.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://testserver"},
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
        {"Sec-Fetch-Site": "none"},
        {},  # not a browser: curl, a test client, a monitoring probe
    ],
    ids=["origin", "fetch-site", "both", "typed-in", "no-headers"],
)
def test_a_same_origin_post_is_accepted(client, petition, sign_data, headers):
    response = client.post(_sign_url(petition), sign_data, headers=headers)

    assert response.status_code == 302
    assert Signature.objects.count() == 1


@override_settings(CSRF_TRUSTED_ORIGINS=["https://campaign.example"])
def test_a_post_from_a_trusted_origin_is_accepted(client, petition, sign_data):
    response = client.post(
        _sign_url(petition), sign_data, headers={"Origin": "https://campaign.example"}
    )

    assert response.status_code == 302
    assert Signature.objects.count() == 1


def test_a_cross_site_get_is_served(client, petition):
    response = client.get(
        _sign_url(petition),
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )

    assert response.status_code == 200


def test_a_cross_site_post_cannot_confirm_a_signature(client, petition):
    signature = make_signature(petition)
    url = reverse(
        "actions:confirm",
        kwargs={"slug": petition.slug, "token": make_confirmation_token(signature.pk)},
    )

    response = client.post(url, headers={"Sec-Fetch-Site": "cross-site"})

    assert response.status_code == 403
    signature.refresh_from_db()
    assert signature.state == Signature.State.PENDING


def test_a_cross_site_post_cannot_trigger_a_resend(
    client, petition, mailoutbox, django_capture_on_commit_callbacks
):
    make_signature(petition, email="ada@example.org")
    url = reverse("actions:resend", kwargs={"slug": petition.slug})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {"email": "ada@example.org"},
            headers={"Origin": "https://evil.example"},
        )

    assert response.status_code == 403
    assert mailoutbox == []


def test_the_supporter_forms_need_no_csrf_cookie(petition, sign_data):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(
        _sign_url(petition), sign_data, headers={"Origin": "http://testserver"}
    )

    assert response.status_code == 302
    assert Signature.objects.count() == 1
