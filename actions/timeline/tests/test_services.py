"""The timeline's published entries and the accountability clock."""

from datetime import UTC, datetime, timedelta

import pytest

from actions.lifecycle import TransitionRefused
from actions.models import Petition
from actions.tests.factories import make_petition
from actions.timeline import services
from actions.timeline.models import Delivery
from actions.timeline.tests.factories import make_delivery, make_response
from staff.audit import system_user_id

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def test_the_clock_counts_whole_days_since_delivery_at_a_fixed_now(petition):
    make_delivery(petition, delivered_at=_days_ago(12.5), published_at=_days_ago(12))

    timeline = services.timelines([petition], now=NOW)[petition.pk]

    assert timeline.is_waiting
    assert timeline.days == 12


def test_a_response_stops_the_clock_at_how_long_the_answer_took(petition):
    make_delivery(petition, delivered_at=_days_ago(40), published_at=_days_ago(40))
    make_response(petition, received_at=_days_ago(7), published_at=_days_ago(6))

    timeline = services.timelines([petition], now=NOW)[petition.pk]

    assert not timeline.is_waiting
    assert timeline.days == 33


def test_unpublished_entries_never_show(petition):
    make_delivery(petition, published_at=None)
    other = make_petition()
    make_delivery(other, delivered_at=_days_ago(5), published_at=NOW + timedelta(1))

    timelines = services.timelines([petition, other], now=NOW)

    assert timelines[petition.pk].delivery is None
    assert timelines[other.pk].delivery is None
    assert services.open_clocks(now=NOW) == []


def test_an_unpublished_response_leaves_the_clock_running(petition):
    make_delivery(petition, delivered_at=_days_ago(3), published_at=_days_ago(3))
    make_response(petition, received_at=_days_ago(1), published_at=None)

    timeline = services.timelines([petition], now=NOW)[petition.pk]

    assert timeline.response is None
    assert timeline.is_waiting


def test_open_clocks_list_the_longest_waiting_first():
    waiting = {days: make_petition() for days in [10, 90, 30]}
    for days, petition in waiting.items():
        make_delivery(petition, delivered_at=_days_ago(days), published_at=NOW)
    answered = make_petition()
    make_delivery(answered, delivered_at=_days_ago(200), published_at=NOW)
    make_response(answered, received_at=_days_ago(100), published_at=NOW)

    clocks = services.open_clocks(now=NOW)

    assert [clock.days for clock in clocks] == [90, 30, 10]
    assert [c.petition for c in clocks] == [waiting[90], waiting[30], waiting[10]]


def test_recording_a_delivery_marks_a_closed_petition_delivered_at_its_time():
    petition = make_petition(state=Petition.State.CLOSED)
    when = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    delivery = Delivery(petition=petition, delivered_at=when, to_whom="X", how="Y")

    services.record_delivery(delivery=delivery, user_id=system_user_id())

    petition.refresh_from_db()
    assert petition.state == Petition.State.DELIVERED
    assert petition.delivered_at == when
    assert Delivery.objects.filter(petition=petition).exists()


def test_recording_a_delivery_of_a_won_petition_keeps_its_state():
    petition = make_petition(state=Petition.State.WON)
    delivery = Delivery(petition=petition, to_whom="X", how="Y")

    services.record_delivery(delivery=delivery, user_id=system_user_id())

    petition.refresh_from_db()
    assert petition.state == Petition.State.WON


def test_an_open_petition_cannot_be_delivered(petition):
    delivery = Delivery(petition=petition, to_whom="X", how="Y")

    with pytest.raises(TransitionRefused):
        services.record_delivery(delivery=delivery, user_id=system_user_id())

    assert not Delivery.objects.exists()
