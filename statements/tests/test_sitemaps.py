"""sitemap.xml lists every public page in every language, each with its
language versions (hreflang) and the original as x-default."""

from xml.etree import ElementTree

import pytest
from django.conf import settings

from statements.models import Statement
from statements.tests.factories import make_statement, make_topic

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
BASE = "http://testserver"


def _sitemap(client) -> dict[str, dict[str, str]]:
    """Each listed URL with its alternates, by hreflang."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    return {
        url.findtext(f"{SITEMAP}loc"): {
            link.get("hreflang"): link.get("href")
            for link in url.findall(f"{XHTML}link")
            if link.get("rel") == "alternate"
        }
        for url in root.findall(f"{SITEMAP}url")
    }


def _versions(path: str) -> dict[str, str]:
    versions = {
        code: BASE + (path if code == "en" else f"/{code}{path}")
        for code, _name in settings.LANGUAGES
    }
    return versions | {"x-default": BASE + path}


def test_every_language_version_is_listed_with_its_alternates(client):
    statement = make_statement()
    topic = make_topic()
    statement.topics.add(topic)
    make_topic()  # no public statement: no page worth listing
    draft = make_statement(state=Statement.State.DRAFT, publish_at=None)

    listed = _sitemap(client)

    for path in ["/", f"/statements/{statement.slug}/", f"/topics/{topic.slug}/"]:
        versions = _versions(path)
        for code, _name in settings.LANGUAGES:
            assert listed[versions[code]] == versions
    assert len(listed) == 3 * len(settings.LANGUAGES)
    assert not any(draft.slug in url for url in listed)


def test_the_sitemap_is_cached_and_sets_no_cookie(client, django_assert_num_queries):
    make_statement()
    first = client.get("/sitemap.xml")

    with django_assert_num_queries(0):
        second = client.get("/sitemap.xml")

    assert second.content == first.content
    assert not first.cookies
