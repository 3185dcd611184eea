"""Which language a page speaks: public pages by their address, the admin by
the staff member's choice or browser (campaign.locale)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_admin_follows_the_staff_members_browser(admin_client):
    page = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="fr")

    assert '<html lang="fr"' in page.content.decode()
    assert page.headers["Content-Language"] == "fr"


def test_a_language_picked_in_the_admin_menu_stays_for_that_staff_member(
    admin_client,
):
    index = reverse("admin:index")

    picked = admin_client.post(
        reverse("set_language"), {"language": "es", "next": index}
    )
    page = admin_client.get(index, HTTP_ACCEPT_LANGUAGE="fr")

    assert picked.status_code == 302 and picked.url == index
    assert '<html lang="es"' in page.content.decode()
    assert 'name="language"' in page.content.decode()  # the menu, on every page


def test_public_pages_ignore_the_browser_and_the_cookie_and_follow_the_address(
    client, statement
):
    client.cookies["django_language"] = "es"
    url = statement.get_absolute_url()

    english = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
    arabic = client.get("/ar" + url, HTTP_ACCEPT_LANGUAGE="fr")

    assert english.headers["Content-Language"] == "en"
    assert arabic.headers["Content-Language"] == "ar"


def test_the_language_switcher_links_each_language_version_of_the_page(
    client, statement
):
    url = statement.get_absolute_url()

    page = client.get("/fr" + url).content.decode()

    assert '<nav class="languages"' in page
    for prefix, code in [("", "en"), ("/es", "es"), ("/ar", "ar"), ("/my", "my")]:
        assert f'<a href="{prefix}{url}" lang="{code}" hreflang="{code}">' in page
    assert f'<a href="/fr{url}" lang="fr" hreflang="fr" aria-current="page">' in page
