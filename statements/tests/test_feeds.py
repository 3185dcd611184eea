"""The Atom feeds of statements, all and a topic's, in each language; and the
pages that link them."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from statements.models import Statement
from statements.tests.factories import make_statement, make_topic

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def _feed(client, url: str) -> ElementTree.Element:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root


def _entries(root: ElementTree.Element) -> list[ElementTree.Element]:
    return root.findall(f"{ATOM}entry")


def test_the_feed_has_an_entry_per_published_statement_newest_first(client, settings):
    settings.SITE_NAME = "Rights Now"
    now = timezone.now()
    older = make_statement(publish_at=now - timedelta(days=2), title="Older")
    newer = make_statement(
        publish_at=now - timedelta(days=1), title="Newer", standfirst="Act now."
    )
    newer.topics.add(make_topic(name="Cambodia"), make_topic(name="ICC"))
    make_statement(state=Statement.State.DRAFT, publish_at=None)

    root = _feed(client, reverse("statements:feed"))

    assert reverse("statements:feed") == "/feeds/statements.atom"
    assert root.findtext(f"{ATOM}title") == "Rights Now: statements"
    entries = _entries(root)
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Newer", "Older"]
    entry = entries[0]
    assert entry.findtext(f"{ATOM}summary") == "Act now."
    assert entry.find(f"{ATOM}link").get("href") == (
        "http://testserver" + newer.get_absolute_url()
    )
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Rights Now"
    assert entry.findtext(f"{ATOM}published").startswith(
        newer.publish_at.date().isoformat()
    )
    assert entry.findtext(f"{ATOM}updated")
    assert {c.get("term") for c in entry.findall(f"{ATOM}category")} == {
        "Cambodia",
        "ICC",
    }
    assert older.slug in entries[1].find(f"{ATOM}link").get("href")


def test_each_language_has_its_feed_with_its_titles_and_links(client):
    statement = make_statement(title="Cancel the visit", title_fr="Annulez la visite")

    english = _feed(client, "/feeds/statements.atom")
    french = _feed(client, "/fr/feeds/statements.atom")

    assert _entries(english)[0].findtext(f"{ATOM}title") == "Cancel the visit"
    (entry,) = _entries(french)
    assert entry.findtext(f"{ATOM}title") == "Annulez la visite"
    assert entry.find(f"{ATOM}link").get("href") == (
        f"http://testserver/fr/statements/{statement.slug}/"
    )
    assert french.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"


def test_a_topic_s_feed_has_only_its_statements(client):
    topic = make_topic(name="Cambodia", name_es="Camboya", slug="cambodia")
    inside = make_statement()
    inside.topics.add(topic)
    make_statement()

    root = _feed(client, "/es/topics/cambodia/feed.atom")

    assert root.findtext(f"{ATOM}title").endswith(": Camboya")
    assert [e.findtext(f"{ATOM}title") for e in _entries(root)] == [inside.title]


def test_an_unknown_topic_s_feed_is_a_404(client):
    assert client.get("/topics/no-such-topic/feed.atom").status_code == 404


def test_pages_link_their_feeds_and_the_statement_its_json(client, statement):
    topic = make_topic()
    statement.topics.add(topic)

    home = client.get("/fr/").content.decode()
    topic_page = client.get(f"/fr/topics/{topic.slug}/").content.decode()
    statement_page = client.get(f"/fr/statements/{statement.slug}/").content.decode()

    feed = '<link rel="alternate" type="application/atom+xml"'
    with translation.override("fr"):
        title = gettext("Statements")
    assert f'{feed} title="{title}" href="/fr/feeds/statements.atom">' in home
    assert f'href="/fr/topics/{topic.slug}/feed.atom"' in topic_page
    assert (
        '<link rel="alternate" type="application/json" '
        f'href="/api/v1/statements/{statement.slug}/?lang=fr">'
    ) in statement_page
