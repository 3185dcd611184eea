"""Each outbox email in its row's language: subject and body rendered under
it, every link under its URL prefix, the HTML marked with it."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from actions.outbox.models import OutboundEmail
from actions.outbox.services import queue_email
from actions.outbox.tasks import send_email
from actions.privacy import services as privacy
from actions.tests.factories import make_signature

pytestmark = pytest.mark.django_db

SITE_URL = "https://campaign.example"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE_URL


def _links(text: str) -> list[str]:
    return re.findall(rf"{re.escape(SITE_URL)}\S*", text)


def _html(message) -> str:
    [(html, _mimetype)] = message.alternatives
    return html


def _in(language: str, msgid: str, **values: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid) % values


def test_the_confirmation_goes_in_the_signatures_language(petition, mailoutbox):
    petition.title_fr = "Annulez la visite"
    petition.save()
    signature = make_signature(petition, language="fr")

    send_email(
        queue_email(
            kind=OutboundEmail.Kind.CONFIRM,
            to_email=signature.email,
            signature=signature,
        ).pk
    )

    [message] = mailoutbox
    assert message.subject == _in(
        "fr",
        "Please confirm your signature: %(title)s",
        title="Annulez la visite",
    )
    links = _links(message.body)
    assert len(links) == 3  # confirm, receipt, your data
    assert all(link.startswith(f"{SITE_URL}/fr/") for link in links)
    html = _html(message)
    assert '<html lang="fr" dir="ltr">' in html
    assert "Annulez la visite" in html


def test_already_signed_goes_in_arabic_right_to_left(petition, mailoutbox):
    petition.title_ar = "ألغوا الزيارة"
    petition.save()
    signature = make_signature(petition, language="ar", state="confirmed")

    send_email(
        queue_email(
            kind=OutboundEmail.Kind.ALREADY_SIGNED,
            to_email=signature.email,
            signature=signature,
        ).pk
    )

    [message] = mailoutbox
    assert message.subject == _in(
        "ar", "You have already signed: %(title)s", title="ألغوا الزيارة"
    )
    links = _links(message.body)
    assert links
    assert all(link.startswith(f"{SITE_URL}/ar/") for link in links)
    assert '<html lang="ar" dir="rtl">' in _html(message)


def test_an_english_email_has_links_without_a_prefix(petition, mailoutbox):
    signature = make_signature(petition)

    send_email(
        queue_email(
            kind=OutboundEmail.Kind.CONFIRM,
            to_email=signature.email,
            signature=signature,
        ).pk
    )

    [message] = mailoutbox
    assert message.subject == f"Please confirm your signature: {petition.title}"
    assert not [link for link in _links(message.body) if "/en/" in link]
    assert '<html lang="en" dir="ltr">' in _html(message)


def test_a_data_request_goes_in_the_language_of_the_page_it_came_from(
    client, petition, mailoutbox, settings, django_capture_on_commit_callbacks
):
    make_signature(petition, email="ada@example.org", language="en")
    with translation.override("fr"):
        page = reverse("actions:your_data")
    assert page == "/fr/your-data/"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page, {"email": "ada@example.org"})

    assert response.status_code == 302
    assert OutboundEmail.objects.get().language == "fr"
    [message] = mailoutbox
    assert message.subject == _in(
        "fr", "Your data at %(site)s", site=settings.SITE_NAME
    )
    [data_link] = _links(message.body)
    assert data_link.startswith(f"{SITE_URL}/fr/your-data/")
    assert '<html lang="fr" dir="ltr">' in _html(message)


def test_a_data_request_without_a_language_goes_in_the_original(petition, mailoutbox):
    make_signature(petition, email="ada@example.org", language="fr")

    privacy.send_data_link(email="ada@example.org")

    assert OutboundEmail.objects.get().language == "en"
