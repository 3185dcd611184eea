"""The privacy notice and the about page: public, cached, in the reader's
language or the English original with a note saying so."""

import pytest
from django.urls import reverse
from django.utils import translation

from statements.pages.demo import write_demo_pages
from statements.pages.models import Page

pytestmark = pytest.mark.django_db


def _get(client, path: str):
    with translation.override("en"):  # put back after a prefixed request
        return client.get(path)


@pytest.mark.parametrize("name", ["pages:privacy", "pages:about"])
def test_a_page_not_written_yet_is_not_found(client, name):
    assert _get(client, reverse(name)).status_code == 404


def test_a_page_shows_its_markdown_sanitised(client):
    Page.objects.create(
        slug=Page.Slug.ABOUT,
        title="About us",
        body="We **work** for rights.\n\n<script>alert(1)</script>",
    )

    response = _get(client, reverse("pages:about"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>About us</h1>" in page
    assert "<strong>work</strong>" in page
    assert "<script>alert" not in page
    assert "public" in response["Cache-Control"]
    assert not response.cookies


def test_a_translated_page_is_shown_in_the_readers_language(client):
    Page.objects.create(
        slug=Page.Slug.PRIVACY,
        title_en="Privacy notice",
        body_en="What we keep.",
        title_fr="Protection des données",
        body_fr="Ce que nous gardons.",
    )

    page = _get(client, "/fr/privacy/").content.decode()

    assert "Protection des données" in page
    assert "Ce que nous gardons." in page
    assert "not yet available" not in page


def test_an_untranslated_page_falls_back_to_english_and_says_so(client):
    write_demo_pages()

    response = _get(client, "/fr/privacy/")

    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr"' in page
    # The note is in the reader's language (its sentence too, once the
    # catalogue has it); the language is named as French readers name it.
    note = page.split('role="note">', 1)[1].split("</p>", 1)[0]
    assert "français" in note.lower()
    assert '<article class="page" lang="en" dir="ltr">' in page
    assert "<h1>Privacy notice</h1>" in page


def test_a_page_only_partly_translated_shows_the_original_whole(client):
    Page.objects.create(
        slug=Page.Slug.ABOUT,
        title_en="About us",
        body_en="Who we are.",
        title_fr="À propos",
    )

    page = _get(client, "/fr/about/").content.decode()

    assert "<h1>About us</h1>" in page
    assert "Who we are." in page


def test_every_public_page_links_to_the_privacy_notice_and_about(client):
    page = _get(client, reverse("statements:home")).content.decode()

    assert f'href="{reverse("pages:privacy")}"' in page
    assert f'href="{reverse("pages:about")}"' in page


def test_the_demo_writes_both_pages_and_keeps_translations(client):
    write_demo_pages()
    Page.objects.filter(slug=Page.Slug.ABOUT).update(body_fr="Qui nous sommes.")

    write_demo_pages()

    assert Page.objects.count() == 2
    assert Page.objects.get(slug=Page.Slug.ABOUT).body_fr == "Qui nous sommes."
