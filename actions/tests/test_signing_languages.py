"""A signature keeps the language of the page it was signed on, and its
confirmation goes out in it."""

import pytest
from django.urls import reverse
from django.utils import translation

from actions.models import Signature
from actions.outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db

SITE_URL = "https://campaign.example"


def _sign_url(petition, language: str) -> str:
    with translation.override(language):
        return reverse("actions:sign", args=[petition.slug])


def test_signing_on_the_french_page_stores_french_and_emails_in_french(
    client,
    petition,
    sign_data,
    mailoutbox,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SITE_URL = SITE_URL
    petition.title_fr = "Annulez la visite d'État"
    petition.save()
    url = _sign_url(petition, "fr")
    assert url.startswith("/fr/")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, sign_data)

    assert response.status_code == 302
    assert response["Location"].startswith("/fr/")
    signature = Signature.objects.get()
    assert signature.language == "fr"
    assert OutboundEmail.objects.get().language == "fr"
    [message] = mailoutbox
    with translation.override("fr"):
        expected = translation.gettext("Please confirm your signature: %(title)s") % {
            "title": "Annulez la visite d'État"
        }
    assert message.subject == expected
    assert f"{SITE_URL}/fr/petitions/{petition.slug}/confirm/" in message.body
    assert f"{SITE_URL}/fr/your-data/" in message.body


def test_signing_on_the_english_page_stores_english_and_links_have_no_prefix(
    client,
    petition,
    sign_data,
    mailoutbox,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SITE_URL = SITE_URL
    url = _sign_url(petition, "en")
    assert not url.startswith("/en/")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, sign_data)

    assert Signature.objects.get().language == "en"
    [message] = mailoutbox
    assert message.subject == f"Please confirm your signature: {petition.title}"
    assert f"{SITE_URL}/petitions/{petition.slug}/confirm/" in message.body
    assert "/en/" not in message.body


def test_signing_again_on_another_page_keeps_the_first_language(
    client,
    petition,
    sign_data,
    mailoutbox,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SITE_URL = SITE_URL
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_sign_url(petition, "ar"), sign_data)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_sign_url(petition, "fr"), sign_data)

    assert Signature.objects.get().language == "ar"
    assert [m.language for m in OutboundEmail.objects.order_by("pk")] == ["ar", "ar"]
    assert all(f"{SITE_URL}/ar/petitions/" in m.body for m in mailoutbox)
