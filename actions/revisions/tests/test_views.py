import pytest
from django.urls import reverse

from actions.models import Petition
from actions.revisions.services import publish_revision
from actions.tests.factories import make_signature

pytestmark = pytest.mark.django_db


def _change(petition: Petition, *, is_minor: bool = False, **fields: str) -> None:
    first = publish_revision(petition=petition)
    make_signature(petition, revision=first)
    for name, value in fields.items():
        setattr(petition, name, value)
    petition.save()
    publish_revision(petition=petition, is_minor=is_minor)


def test_the_sign_page_notes_a_change_and_shows_what_changed(client, petition):
    _change(petition, demand="Cancel the visit and apologise.")

    page = client.get(reverse("actions:sign", args=[petition.slug])).text

    assert "The text of this petition changed on" in page
    assert "What changed since version 1" in page
    assert '<del><span class="visually-hidden">Removed: </span>Cancel the visit.' in (
        page
    )
    assert "Cancel the visit and apologise.</ins>" in page


def test_the_statement_page_notes_a_change_too(client, petition):
    _change(petition, title="A better title")

    page = client.get(petition.statement.get_absolute_url()).text

    assert "The text of this petition changed on" in page


def test_the_diff_escapes_the_text(client, petition):
    _change(petition, demand="<script>alert(1)</script>")

    page = client.get(reverse("actions:sign", args=[petition.slug])).text

    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_minor_change_shows_no_note(client, petition):
    _change(petition, demand="Cancel the visit!", is_minor=True)

    page = client.get(reverse("actions:sign", args=[petition.slug])).text

    assert "changed on" not in page


def test_an_unchanged_petition_shows_no_note(client, petition):
    publish_revision(petition=petition)

    page = client.get(reverse("actions:sign", args=[petition.slug])).text

    assert "changed on" not in page
