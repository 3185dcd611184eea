"""A follow-up to every consenting signer of a statement or of a topic: each
person once, by canonical email, with withdrawals and suppressions applied."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from actions.followups import audience, sending, services, withdrawals
from actions.followups.models import FollowUp, FollowUpDelivery
from actions.followups.rendering import render_draft
from actions.followups.tests.factories import (
    make_follow_up,
    make_recipient,
    make_scheduled,
)
from actions.models import PetitionCounter
from actions.suppressions.models import Suppression
from actions.suppressions.services import suppress
from actions.tests.factories import make_petition
from statements.tests.factories import make_statement, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    def run() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            services.run_follow_ups()

    return run


def _send(follow_up: FollowUp, capture) -> None:
    with capture(execute=True):
        services.start(follow_up.pk)


def _to(mailoutbox) -> list[str]:
    return sorted(address for message in mailoutbox for address in message.to)


def test_two_signatures_of_one_person_on_a_statement_bring_one_email(
    statement, mailoutbox, django_capture_on_commit_callbacks
):
    first, second = make_petition(statement), make_petition(statement)
    make_recipient(first, email="Ada@example.org")
    latest = make_recipient(second, email="ada@EXAMPLE.org")
    other = make_recipient(first)
    make_recipient(make_petition())  # another statement's signer
    follow_up = make_scheduled(statement=statement)

    _send(follow_up, django_capture_on_commit_callbacks)

    assert _to(mailoutbox) == sorted([latest.email, other.email])
    deliveries = FollowUpDelivery.objects.filter(follow_up=follow_up)
    assert set(deliveries.values_list("signature", flat=True)) == {latest.pk, other.pk}
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUp.State.SENT


def test_a_topic_follow_up_reaches_each_person_once_across_statements(
    mailoutbox, django_capture_on_commit_callbacks
):
    topic = make_topic()
    statements = [make_statement(), make_statement()]
    for statement in statements:
        statement.topics.add(topic)
    one, two = (make_petition(statement) for statement in statements)
    make_recipient(one, email="sokha@example.org")
    make_recipient(two, email="sokha@example.org")
    make_recipient(make_petition(), email="elsewhere@example.org")

    _send(make_scheduled(topic=topic), django_capture_on_commit_callbacks)

    assert _to(mailoutbox) == ["sokha@example.org"]


def test_the_one_signature_chosen_is_one_that_may_be_written_to(
    statement, mailoutbox, django_capture_on_commit_callbacks
):
    first, second = make_petition(statement), make_petition(statement)
    wanted = make_recipient(first, email="ada@example.org")
    make_recipient(second, email="ada@example.org", wants_updates=False)  # later

    _send(make_scheduled(statement=statement), django_capture_on_commit_callbacks)

    assert [m.to for m in mailoutbox] == [[wanted.email]]


def test_withdrawing_from_one_of_its_petitions_leaves_out_a_statements_email(
    statement,
):
    first, second = make_petition(statement), make_petition(statement)
    left = make_recipient(first, email="left@example.org")
    make_recipient(second, email="left@example.org")
    stays = make_recipient(second)
    withdrawals.withdraw(signature=left, everything=False, method="link")
    follow_up = make_follow_up(statement=statement)

    signers = audience.recipients(follow_up)

    assert set(signers.values_list("pk", flat=True)) == {stays.pk}


def test_withdrawn_from_everything_and_suppressed_people_are_left_out(statement):
    petition = make_petition(statement)
    gone = make_recipient(petition)
    bounced = make_recipient(petition)
    stays = make_recipient(petition)
    withdrawals.withdraw(signature=gone, everything=True, method="link")
    suppress(
        email=bounced.email,
        reason=Suppression.Reason.BOUNCED,
        provider="mailgun",
        event_id="b-1",
    )

    signers = audience.recipients(make_follow_up(statement=statement))

    assert set(signers.values_list("pk", flat=True)) == {stays.pk}


def test_a_days_after_statement_follow_up_comes_once_though_they_sign_again(
    statement, mailoutbox, sweep
):
    first, second = make_petition(statement), make_petition(statement)
    follow_up = make_scheduled(
        statement=statement,
        trigger=FollowUp.Trigger.AFTER_CONFIRMATION,
        days_after=2,
        scheduled_at=timezone.now() - timedelta(days=10),
    )
    make_recipient(
        first,
        email="ada@example.org",
        confirmed_at=timezone.now() - timedelta(days=5),
    )
    sweep()  # starts it
    sweep()  # queues and sends Ada's first day
    assert _to(mailoutbox) == ["ada@example.org"]

    make_recipient(
        second,
        email="ada@example.org",
        confirmed_at=timezone.now() - timedelta(days=3),
    )
    # As if the last sweep had been two days ago: the second signature's day
    # falls in the next one.
    FollowUp.objects.filter(pk=follow_up.pk).update(
        queued_until=timezone.now() - timedelta(days=4)
    )
    sweep()

    assert _to(mailoutbox) == ["ada@example.org"]


def test_a_statement_or_topic_follow_up_names_it_and_adds_up_its_counts(statement):
    topic = make_topic(name="Cambodia")
    statement.topics.add(topic)
    for goal, confirmed in [(100, 40), (100, 2)]:
        petition = make_petition(statement, goal=goal)
        PetitionCounter.objects.create(petition=petition, shard=0, confirmed=confirmed)
    body = "{{ petition_title }}: {{ signature_count }}"

    for follow_up, title in [
        (make_follow_up(statement=statement, body=body), statement.title),
        (make_follow_up(topic=topic, body=body), "Cambodia"),
    ]:
        count = audience.signature_count(follow_up)
        draft = render_draft(follow_up, count=count)

        assert count == 42
        assert f"{title}: 42" in draft.text
        assert title in draft.html
        assert follow_up.audience.get_absolute_url() in draft.text


def test_reach_counts_people_once(statement):
    first, second = make_petition(statement), make_petition(statement)
    make_recipient(first, email="ada@example.org")
    make_recipient(second, email="ada@example.org")
    make_recipient(second, wants_updates=False)

    assert audience.reach(make_follow_up(statement=statement)).people == 1


def test_a_follow_up_has_exactly_one_audience_in_the_database(petition):
    topic = make_topic()
    for fields in [
        {"petition": petition, "topic": topic},
        {"petition": None},
        {"petition": None, "topic": topic, "trigger": FollowUp.Trigger.WON},
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            make_follow_up(**{"petition": petition} | fields)


# won


def test_the_won_follow_up_waits_for_the_petition_to_be_won(
    petition, mailoutbox, sweep, django_capture_on_commit_callbacks
):
    reader = make_recipient(petition)
    follow_up = make_scheduled(petition, trigger=FollowUp.Trigger.WON)
    sweep()
    assert mailoutbox == []

    assert petition.mark_won()
    with django_capture_on_commit_callbacks(execute=True):
        services.start_won_follow_ups(petition_ids=[petition.pk])

    assert [m.to for m in mailoutbox] == [[reader.email]]
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUp.State.SENT


def test_withdrawing_through_another_petition_after_queueing_stops_the_email(
    statement, mailoutbox, django_capture_on_commit_callbacks
):
    first, second = make_petition(statement), make_petition(statement)
    earlier = make_recipient(first, email="ada@example.org")
    make_recipient(second, email="ada@example.org")  # the one queued
    follow_up = make_scheduled(statement=statement)
    services.queue_deliveries(
        follow_up=follow_up,
        signatures=audience.one_per_person(follow_up, audience.recipients(follow_up)),
    )
    FollowUp.objects.filter(pk=follow_up.pk).update(state=FollowUp.State.SENDING)
    withdrawals.withdraw(signature=earlier, everything=False, method="link")

    with django_capture_on_commit_callbacks(execute=True):
        sending.send_batch(follow_up.pk, chain=False)

    assert mailoutbox == []
    delivery = FollowUpDelivery.objects.get(follow_up=follow_up)
    assert delivery.state == FollowUpDelivery.State.CANCELLED
