"""Campaigners write the pages in the admin: the original first, each other
language in a folded fieldset of its own."""

import pytest
from django.conf import settings
from django.urls import reverse

from statements.pages.models import Page

pytestmark = pytest.mark.django_db

ADD = reverse("admin:pages_page_add")


def _data(**fields: str) -> dict[str, str]:
    data = {"slug": "privacy"}
    for code, _name in settings.LANGUAGES:
        data |= {f"title_{code}": "", f"body_{code}": ""}
    return data | fields


def test_the_form_has_one_fieldset_per_language_the_others_folded(admin_client):
    response = admin_client.get(ADD)

    fieldsets = response.context["adminform"].fieldsets
    names = [str(name) for name, _options in fieldsets if name]
    assert names == [
        "Original (English)",
        "In French",
        "In Spanish",
        "In Arabic",
        "In Burmese",
    ]
    assert fieldsets[0][1]["fields"] == ["slug", "title_en", "body_en"]
    french = next(opts for name, opts in fieldsets if str(name) == "In French")
    assert french["fields"] == ["title_fr", "body_fr"]
    assert french["classes"] == ["collapse"]
    page = response.content.decode()
    assert "jquery-ui" not in page.lower()  # no tabs from a CDN


def test_a_campaigner_writes_a_page_and_its_french_version(admin_client, client):
    response = admin_client.post(
        ADD,
        _data(
            title_en="Privacy notice",
            body_en="What we keep.",
            title_fr="Confidentialité",
            body_fr="Ce que nous gardons.",
        ),
    )

    assert response.status_code == 302
    page = Page.objects.get()
    assert (page.title_en, page.body_fr) == ("Privacy notice", "Ce que nous gardons.")
    assert not page.title_es and not page.body_es


def test_the_original_is_required(admin_client):
    response = admin_client.post(ADD, _data(title_fr="Confidentialité", body_fr="x"))

    assert response.status_code == 200
    assert Page.objects.count() == 0
    assert "title_en" in response.context["adminform"].form.errors


def test_each_page_exists_once(admin_client):
    Page.objects.create(slug=Page.Slug.PRIVACY, title="Privacy", body="x")

    response = admin_client.post(ADD, _data(title_en="Again", body_en="y"))

    assert response.status_code == 200
    assert Page.objects.count() == 1


def test_editing_one_language_leaves_the_others(admin_client):
    page = Page.objects.create(
        slug=Page.Slug.ABOUT, title_en="About us", body_en="Who we are."
    )
    url = reverse("admin:pages_page_change", args=[page.pk])

    response = admin_client.post(
        url,
        _data(
            slug="about",
            title_en="About us",
            body_en="Who we are.",
            title_my="ကျွန်ုပ်တို့အကြောင်း",
            body_my="ကျွန်ုပ်တို့ဘယ်သူလဲ။",
        ),
    )

    assert response.status_code == 302
    page.refresh_from_db()
    assert page.body_en == "Who we are."
    assert page.title_my == "ကျွန်ုပ်တို့အကြောင်း"
