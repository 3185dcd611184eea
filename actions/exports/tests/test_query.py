from datetime import UTC, datetime

import pytest

from actions.exports.query import export_rows, filter_signatures, neutralised
from actions.exports.tests.expected import as_text, expected_csv_rows
from actions.models import Signature
from actions.tests.factories import make_petition, make_signature

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+44 20", "'+44 20"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rReturn", "'\rReturn"),
        ("Ada", "Ada"),
        ("a=b", "a=b"),
        (" =1", "' =1"),
        ("\u3000=1", "'\u3000=1"),
        ("\xa0Ada", "'\xa0Ada"),
        ("\x01=1", "'\x01=1"),
        ("\x85=1", "'\x85=1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("\uff0b44", "'\uff0b44"),
        ("\uff0d5", "'\uff0d5"),
        ("\uff20SUM(A1)", "'\uff20SUM(A1)"),
        ("\u200bAda", "\u200bAda"),
        ("\u00e9", "\u00e9"),
        ("'quoted", "'quoted"),
        ("", ""),
        ("សុខ", "សុខ"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_gets_a_quote(petition, text, cell):
    make_signature(petition, first_name=text)

    neutral = Signature.objects.annotate(cell=neutralised("first_name"))

    assert neutral.values_list("cell", flat=True).get() == cell


def test_the_rows_are_the_signatures_in_order_with_neutral_cells(
    tricky_signatures,
):
    rows = export_rows(Signature.objects.all(), typed=False)

    assert [[as_text(c) for c in row] for row in rows] == expected_csv_rows(
        Signature.objects.all()
    )


def test_timestamps_are_utc_text_to_the_second(petition):
    moment = datetime(2026, 3, 1, 23, 59, 58, 999_999, tzinfo=UTC)
    make_signature(petition, state="confirmed", created_at=moment, confirmed_at=moment)

    row = export_rows(Signature.objects.all(), typed=False).get()

    assert row[7] == row[8] == "2026-03-01 23:59:58"


def _pks(filters: dict) -> set[int]:
    return set(filter_signatures(filters).values_list("pk", flat=True))


def test_filters_by_petition_state_country_consent_and_source(statement):
    first, second = make_petition(statement), make_petition(statement)
    match = make_signature(
        first,
        state="confirmed",
        country="MM",
        wants_updates=True,
        source="newsletter",
    )
    make_signature(second, state="confirmed", country="MM", wants_updates=True)
    make_signature(first, state="pending", country="MM", wants_updates=True)
    make_signature(first, state="confirmed", country="KH", wants_updates=True)
    make_signature(first, state="confirmed", country="MM", wants_updates=False)
    make_signature(first, state="confirmed", country="MM", wants_updates=True)

    filters = {
        "petition": first.pk,
        "state": "confirmed",
        "country": "MM",
        "consent": "yes",
        "source": "newsletter",
    }

    assert _pks(filters) == {match.pk}
    assert _pks({"consent": "no"}) == {
        s.pk for s in Signature.objects.filter(wants_updates=False)
    }
    assert len(_pks({})) == 6


def test_the_confirmation_range_includes_both_days_whole(petition):
    def confirmed(moment: str) -> Signature:
        at = datetime.fromisoformat(moment).replace(tzinfo=UTC)
        return make_signature(petition, state="confirmed", confirmed_at=at)

    confirmed("2026-01-31 23:59:59")
    first = confirmed("2026-02-01 00:00:00")
    last = confirmed("2026-02-10 23:59:59.999999")
    confirmed("2026-02-11 00:00:00")
    make_signature(petition)  # pending: never confirmed

    filters = {"confirmed_from": "2026-02-01", "confirmed_to": "2026-02-10"}

    assert _pks(filters) == {first.pk, last.pk}
    assert len(_pks({"confirmed_from": "2026-02-01"})) == 3
    assert len(_pks({"confirmed_to": "2026-02-10"})) == 3


def test_the_days_of_the_range_are_those_of_the_recorded_time_zone(petition):
    def confirmed(moment: str) -> Signature:
        at = datetime.fromisoformat(moment).replace(tzinfo=UTC)
        return make_signature(petition, state="confirmed", confirmed_at=at)

    # 00:30 on 1 and on 2 February in Berlin (CET, UTC+1).
    first = confirmed("2026-01-31 23:30:00")
    confirmed("2026-02-01 23:30:00")
    day = {"confirmed_from": "2026-02-01", "confirmed_to": "2026-02-01"}

    assert _pks(day | {"time_zone": "Europe/Berlin"}) == {first.pk}
    assert _pks(day) != {first.pk}  # recorded without a zone: a UTC day
