"""robots.txt and the favicon: what crawlers and browsers ask every site for."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_robots_txt_names_the_sitemap_and_keeps_crawlers_off_tokens(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    for prefix in ["", "/fr", "/ar"]:
        assert f"Disallow: {prefix}/petitions/*/confirm/" in lines
        assert f"Disallow: {prefix}/unsubscribe/" in lines
    assert "Disallow: /" not in lines  # the public pages stay open
    assert not response.cookies


def test_favicon_ico_leads_to_the_svg_icon_every_page_links(client, statement):
    response = client.get("/favicon.ico")
    page = client.get(statement.get_absolute_url()).content.decode()

    assert response.status_code == 301
    assert response["Location"] == "/static/img/favicon.svg"
    assert (
        '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in page
    )
    path = finders.find("img/favicon.svg")
    with open(path, encoding="utf-8") as icon:
        assert icon.read().startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert reverse("favicon") == "/favicon.ico"
