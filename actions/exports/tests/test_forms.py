from datetime import UTC, date, datetime

import pytest

from actions.exports.forms import ExportForm
from actions.exports.query import filter_signatures
from actions.tests.factories import make_signature

pytestmark = pytest.mark.django_db


def test_the_date_inputs_are_browser_date_inputs_in_iso_with_the_zone_named(
    reports_user, settings
):
    settings.TIME_ZONE = "Europe/Berlin"

    form = ExportForm(initial={"confirmed_from": date(2026, 2, 1)}, user=reports_user)

    html = str(form["confirmed_from"])
    assert 'type="date"' in html
    assert 'value="2026-02-01"' in html  # the one format a date input takes
    help_text = str(form.fields["confirmed_to"].help_text)
    assert help_text == (
        "From midnight to midnight in the site's time zone, Europe/Berlin."
    )
    assert "UTC" not in help_text


def test_a_date_filter_is_recorded_with_the_sites_time_zone(reports_user, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    form = ExportForm(
        {"format": "csv", "confirmed_from": "2026-02-01"}, user=reports_user
    )

    assert form.is_valid(), form.errors
    assert form.filters() == {
        "confirmed_from": "2026-02-01",
        "time_zone": "Europe/Berlin",
    }


def test_no_zone_is_recorded_without_a_date_filter(reports_user, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    form = ExportForm({"format": "csv", "state": "confirmed"}, user=reports_user)

    assert form.is_valid(), form.errors
    assert form.filters() == {"state": "confirmed"}


def test_a_day_typed_in_is_a_day_in_the_sites_time_zone(
    reports_user, petition, settings
):
    settings.TIME_ZONE = "America/New_York"
    # 23:30 on 1 February in New York (UTC-5): already 2 February in UTC.
    late = make_signature(
        petition,
        state="confirmed",
        confirmed_at=datetime(2026, 2, 2, 4, 30, tzinfo=UTC),
    )
    form = ExportForm(
        {"format": "csv", "confirmed_from": "2026-02-01", "confirmed_to": "2026-02-01"},
        user=reports_user,
    )

    assert form.is_valid(), form.errors
    assert list(filter_signatures(form.filters())) == [late]
