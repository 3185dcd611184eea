"""What the public pages say of a petition that has not opened yet."""

from datetime import UTC, datetime, timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from actions.models import Petition, Signature
from actions.tests.factories import make_petition, stamp_for

pytestmark = pytest.mark.django_db

OPENS_AT = datetime(2031, 5, 17, 9, 30, tzinfo=UTC)


@pytest.fixture
def scheduled(statement):
    return make_petition(statement, state=Petition.State.SCHEDULED, opens_at=OPENS_AT)


def _sign_url(petition: Petition) -> str:
    return reverse("actions:sign", kwargs={"slug": petition.slug})


def test_a_petition_not_open_yet_says_when_it_opens(client, scheduled):
    response = client.get(_sign_url(scheduled))

    assert response.status_code == 200
    assert "This petition opens on May 17, 2031, 9:30 a.m." in response.text
    assert "is closed" not in response.text
    assert "Sign the petition" not in response.text


def test_the_statement_page_card_says_when_its_petition_opens(client, scheduled):
    response = client.get(scheduled.statement.get_absolute_url())

    assert response.status_code == 200
    assert "This petition opens on May 17, 2031, 9:30 a.m." in response.text


def test_the_opening_date_is_written_in_the_pages_language(scheduled):
    with translation.override("de"):
        assert "17. Mai 2031" in _card_text(scheduled)


def _card_text(petition: Petition) -> str:
    card = {"petition": petition, "count": 0, "percent": 0, "form": None}
    return render_to_string("includes/_petition_card.html", {"card": card})


def test_signing_a_petition_not_open_yet_is_refused_and_says_so(
    client, scheduled, sign_data, mailoutbox
):
    response = client.post(_sign_url(scheduled), sign_data)

    assert response.status_code == 409
    assert "this petition is not open yet" in response.text
    assert not Signature.objects.exists()
    assert mailoutbox == []


def test_a_scheduled_petition_takes_signatures_once_its_time_has_come(
    client, statement, sign_data, django_capture_on_commit_callbacks
):
    petition = make_petition(
        statement,
        state=Petition.State.SCHEDULED,
        opens_at=timezone.now() - timedelta(minutes=1),
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _sign_url(petition), sign_data | {"started": stamp_for(petition)}
        )

    assert response.status_code == 302
    assert Signature.objects.filter(petition=petition).count() == 1
