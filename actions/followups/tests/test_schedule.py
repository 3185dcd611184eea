"""Scheduling in the admin asks first, saying whom it reaches; a follow-up
goes to exactly one petition, statement or topic; the 'won' trigger."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from actions.followups.models import FollowUp
from actions.followups.tests.factories import (
    make_follow_up,
    make_recipient,
    make_scheduled,
)
from actions.tests.factories import make_petition, make_staff
from staff.tests.otp import log_in_verified
from statements.tests.factories import make_topic

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:followups_followup_changelist")
ADD = reverse("admin:followups_followup_add")
Trigger = FollowUp.Trigger


def _schedule(client, follow_ups: list[FollowUp], **data: str):
    return client.post(
        CHANGELIST,
        {"action": "schedule", "_selected_action": [f.pk for f in follow_ups]} | data,
        follow=True,
    )


def _state(follow_up: FollowUp) -> str:
    follow_up.refresh_from_db()
    return follow_up.state


def test_the_schedule_action_asks_first_with_the_count_and_schedules_nothing(
    admin_client, petition, mailoutbox, django_capture_on_commit_callbacks
):
    for _ in range(3):
        make_recipient(petition)
    make_recipient(petition, wants_updates=False)
    follow_up = make_follow_up(petition, subject="We handed it over")

    with django_capture_on_commit_callbacks(execute=True):
        response = _schedule(admin_client, [follow_up])

    page = response.content.decode()
    assert response.templates[0].name == "admin/followups/followup/schedule.html"
    assert "We handed it over" in page
    assert "It goes to 3 people at once." in page
    assert 'name="confirm" value="yes"' in page
    assert f'name="_selected_action" value="{follow_up.pk}"' in page
    assert _state(follow_up) == FollowUp.State.DRAFT
    assert mailoutbox == []


def test_confirming_schedules_and_sends(
    admin_client, petition, mailoutbox, django_capture_on_commit_callbacks
):
    reader = make_recipient(petition)
    follow_up = make_follow_up(petition)

    with django_capture_on_commit_callbacks(execute=True):
        response = _schedule(admin_client, [follow_up], confirm="yes")

    assert "1 follow-up scheduled." in response.content.decode()
    assert _state(follow_up) == FollowUp.State.SENT
    assert [m.to for m in mailoutbox] == [[reader.email]]


def test_a_days_after_follow_up_says_who_is_due_and_that_more_follow(
    admin_client, petition
):
    make_recipient(petition, confirmed_at=timezone.now() - timedelta(days=1))
    make_recipient(petition, confirmed_at=timezone.now() - timedelta(days=2))
    make_recipient(petition, confirmed_at=timezone.now() - timedelta(days=9))
    follow_up = make_follow_up(
        petition, trigger=Trigger.AFTER_CONFIRMATION, days_after=7
    )

    page = _schedule(admin_client, [follow_up]).content.decode()

    assert "Nobody gets it at once: each signer gets it 7 days after" in page
    assert "2 people who confirmed in that time are due to get it" in page
    assert "more follow as people confirm" in page
    assert _state(follow_up) == FollowUp.State.DRAFT


def test_a_milestone_follow_up_gives_todays_count(admin_client, petition):
    make_recipient(petition)
    follow_up = make_follow_up(petition, trigger=Trigger.WON)

    page = _schedule(admin_client, [follow_up]).content.decode()

    assert "It would reach 1 person today" in page


def test_a_statement_follow_up_counts_people_not_signatures(admin_client, statement):
    first, second = make_petition(statement), make_petition(statement)
    make_recipient(first, email="ada@example.org")
    make_recipient(second, email="ADA@example.org")
    make_recipient(second)
    follow_up = make_follow_up(statement=statement)

    page = _schedule(admin_client, [follow_up]).content.decode()

    assert "It goes to 2 people at once." in page
    assert f"to the signers of {statement.title}" in page


def test_follow_ups_that_are_not_drafts_are_left_as_they_are(admin_client, petition):
    scheduled = make_scheduled(petition, subject="Already on its way")

    page = _schedule(admin_client, [scheduled]).content.decode()

    assert "there is nothing to schedule" in page
    assert "Already on its way" in page
    assert "Yes, schedule" not in page


def test_the_change_page_schedules_through_its_own_confirmation(
    admin_client, petition, mailoutbox, django_capture_on_commit_callbacks
):
    make_recipient(petition)
    follow_up = make_follow_up(petition)
    change = reverse("admin:followups_followup_change", args=[follow_up.pk])
    url = reverse("admin:followups_followup_schedule", args=[follow_up.pk])
    assert url in admin_client.get(change).content.decode()

    asked = admin_client.get(url)
    assert "It goes to 1 person at once." in asked.content.decode()
    assert _state(follow_up) == FollowUp.State.DRAFT
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url)

    assert response.status_code == 302
    assert _state(follow_up) == FollowUp.State.SENT
    assert len(mailoutbox) == 1


def test_staff_who_may_only_view_follow_ups_cannot_schedule(client, petition):
    follow_up = make_follow_up(petition)
    user = make_staff("reader")
    user.user_permissions.add(Permission.objects.get(codename="view_followup"))
    log_in_verified(client, user)

    response = client.post(
        reverse("admin:followups_followup_schedule", args=[follow_up.pk])
    )

    assert response.status_code == 403
    assert _state(follow_up) == FollowUp.State.DRAFT


# whom it goes to


def _form(**fields) -> dict:
    return {
        "subject_en": "News",
        "body_en": "Dear {{ first_name }}, {{ petition_title }}.",
        "trigger": Trigger.NOW,
        "send_at_0": "",
        "send_at_1": "",
        "days_after": "",
    } | fields


@pytest.mark.parametrize("audience", ["statement", "topic"])
def test_a_campaigner_writes_to_a_statements_or_a_topics_signers(
    admin_client, statement, audience
):
    topic = make_topic()
    chosen = {"statement": statement, "topic": topic}[audience]

    response = admin_client.post(ADD, _form(**{audience: chosen.pk}))

    assert response.status_code == 302
    follow_up = FollowUp.objects.get()
    assert follow_up.audience == chosen
    assert follow_up.petition is None


@pytest.mark.parametrize(
    "audiences", [[], ["petition", "statement"], ["topic", "petition"]]
)
def test_a_follow_up_goes_to_exactly_one_petition_statement_or_topic(
    admin_client, petition, audiences
):
    ids = {"petition": petition.pk, "statement": petition.statement_id}
    ids["topic"] = make_topic().pk

    response = admin_client.post(ADD, _form(**{name: ids[name] for name in audiences}))

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert "one petition, one statement or one topic, and only one" in errors[0]
    assert not FollowUp.objects.exists()


@pytest.mark.parametrize(
    "trigger", [Trigger.GOAL_REACHED, Trigger.DELIVERED, Trigger.WON]
)
def test_only_a_petitions_follow_up_waits_for_a_milestone(
    admin_client, statement, trigger
):
    response = admin_client.post(ADD, _form(statement=statement.pk, trigger=trigger))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["trigger"]
    assert "Only a petition's follow-up can wait for its milestones." in errors
    assert not FollowUp.objects.exists()


# won


def test_marking_a_petition_won_in_the_admin_sends_its_won_follow_up(
    admin_client, petition, mailoutbox, django_capture_on_commit_callbacks
):
    reader = make_recipient(petition)
    make_scheduled(petition, trigger=Trigger.WON, subject="We won")
    make_scheduled(petition, trigger=Trigger.DELIVERED, subject="Delivered")
    other = make_petition()
    make_recipient(other)
    make_scheduled(other, trigger=Trigger.WON)  # not marked won

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:actions_petition_transition", args=[petition.pk, "win"])
        )

    assert [(m.to, m.subject) for m in mailoutbox] == [([reader.email], "We won")]
