"""Times in the admin are in the site's time zone, and say which it is."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from staff.times import site_time, zone_note
from statements.models import Statement
from statements.tests.factories import make_statement

pytestmark = pytest.mark.django_db

SUMMER = datetime(2030, 7, 1, 12, 0, tzinfo=UTC)
WINTER = datetime(2030, 1, 6, 9, 30, tzinfo=UTC)


@pytest.fixture
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def test_a_time_is_shown_in_the_sites_zone_with_its_name(berlin):
    assert site_time(SUMMER) == "July 1, 2030, 2 p.m. CEST"
    assert site_time(WINTER) == "Jan. 6, 2030, 10:30 a.m. CET"


def test_utc_is_named_too():
    assert site_time(WINTER) == "Jan. 6, 2030, 9:30 a.m. UTC"


def test_the_note_on_inputs_names_the_zone(berlin):
    assert zone_note() == "Times are in the site's time zone, Europe/Berlin."


def test_a_list_column_shows_the_time_in_the_sites_zone(admin_client, berlin):
    make_statement(state=Statement.State.SCHEDULED, publish_at=SUMMER)

    response = admin_client.get(reverse("admin:statements_statement_changelist"))

    assert "July 1, 2030, 2 p.m. CEST" in response.text


def test_a_read_only_field_shows_the_time_in_the_sites_zone(admin_client, berlin):
    statement = make_statement(published_at=WINTER)

    response = admin_client.get(
        reverse("admin:statements_statement_change", args=[statement.pk])
    )

    assert "Jan. 6, 2030, 10:30 a.m. CET" in response.text
