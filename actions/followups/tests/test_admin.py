import json
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from actions.followups.models import FollowUp, FollowUpDelivery
from actions.followups.tests.factories import (
    make_follow_up,
    make_recipient,
    make_scheduled,
)
from actions.tests.factories import make_petition, make_staff
from staff.tests.otp import log_in_verified

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:followups_followup_changelist")
ADD = reverse("admin:followups_followup_add")
Delivery = FollowUpDelivery.State


def _form(petition, **fields) -> dict:
    return {
        "petition": petition.pk,
        "subject_en": "Delivered: {{ petition_title }}",
        "body_en": "Dear {{ first_name }}, we handed it over.",
        "trigger": FollowUp.Trigger.NOW,
        "send_at_0": "",
        "send_at_1": "",
        "days_after": "",
    } | fields


def _action(admin_client, name: str, follow_ups: list[FollowUp], **data: str):
    return admin_client.post(
        CHANGELIST,
        {"action": name, "_selected_action": [f.pk for f in follow_ups]} | data,
        follow=True,
    )


def test_a_campaigner_writes_a_follow_up_and_schedules_it(
    admin_client, petition, mailoutbox, django_capture_on_commit_callbacks
):
    readers = [make_recipient(petition) for _ in range(2)]
    make_recipient(petition, wants_updates=False)

    response = admin_client.post(ADD, _form(petition))
    assert response.status_code == 302
    follow_up = FollowUp.objects.get()
    assert follow_up.state == FollowUp.State.DRAFT
    assert mailoutbox == []

    with django_capture_on_commit_callbacks(execute=True):
        asked = _action(admin_client, "schedule", [follow_up])
        assert mailoutbox == []
        response = _action(admin_client, "schedule", [follow_up], confirm="yes")

    assert "It goes to 2 people at once." in asked.content.decode()
    assert "1 follow-up scheduled." in response.content.decode()
    assert sorted(m.to[0] for m in mailoutbox) == sorted(r.email for r in readers)
    assert mailoutbox[0].subject == f"Delivered: {petition.title}"
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUp.State.SENT


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"body_en": "Hi {{ name }}"}, "body_en", "Unknown placeholder: {{ name }}"),
        (
            {"subject_en": "{{ title }}"},
            "subject_en",
            "Unknown placeholder: {{ title }}",
        ),
        (
            {"body_fr": "Bonjour {{ nom }}"},
            "body_fr",
            "Unknown placeholder: {{ nom }}",
        ),
        ({"trigger": "at"}, "send_at", "Give the time to send it at."),
        (
            {"trigger": "at", "send_at_0": "2020-01-01", "send_at_1": "10:00"},
            "send_at",
            "This time has passed",
        ),
        ({"trigger": "after_confirmation"}, "days_after", "Give a number of days"),
    ],
)
def test_a_follow_up_with_a_mistake_is_refused_with_a_message(
    admin_client, petition, fields, field, message
):
    response = admin_client.post(ADD, _form(petition, **fields))

    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors[field])
    assert message in errors
    assert not FollowUp.objects.exists()


def test_a_follow_up_at_a_time_keeps_its_time_only(admin_client, petition):
    later = timezone.localtime() + timedelta(days=2)
    admin_client.post(
        ADD,
        _form(
            petition,
            trigger="at",
            send_at_0=later.strftime("%Y-%m-%d"),
            send_at_1="10:00",
            days_after="4",
        ),
    )

    follow_up = FollowUp.objects.get()
    assert follow_up.send_at.date() == later.date()
    assert follow_up.days_after is None


def test_the_list_shows_progress_with_one_query_for_the_page(
    admin_client, django_assert_max_num_queries
):
    for _ in range(3):
        petition = make_petition()
        follow_up = make_scheduled(petition)
        for state in [Delivery.SENT, Delivery.SENT, Delivery.FAILED, Delivery.QUEUED]:
            FollowUpDelivery.objects.create(
                follow_up=follow_up,
                signature=make_recipient(petition),
                state=state,
                sent_at=timezone.now() if state == Delivery.SENT else None,
            )

    with django_assert_max_num_queries(8):
        response = admin_client.get(CHANGELIST)

    page = response.content.decode()
    assert page.count("Sent 2") == 3
    assert page.count("Failed 1") == 3
    assert page.count("Queued 1") == 3


def test_the_preview_shows_the_email_for_a_sample_signer(admin_client, petition):
    make_recipient(petition, first_name="Sokha")
    follow_up = make_follow_up(petition, body="Dear {{ first_name }}, **thanks**.")

    response = admin_client.get(
        reverse("admin:followups_followup_preview", args=[follow_up.pk])
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Dear Sokha," in page
    assert "&lt;strong&gt;thanks&lt;/strong&gt;" in page  # the HTML, framed
    assert "/unsubscribe/preview/" in page
    assert "List-Unsubscribe=One-Click" in page
    assert "'unsafe-inline'" in response["Content-Security-Policy"]


def test_a_campaigners_preview_names_no_signer(client, petition):
    make_recipient(petition, first_name="Sokha")
    follow_up = make_follow_up(petition, body="Dear {{ first_name }},")
    log_in_verified(client, make_staff("cam", roles=("Campaigners",)))

    response = client.get(
        reverse("admin:followups_followup_preview", args=[follow_up.pk])
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Dear Alex," in page
    assert "Sokha" not in page


def _logged(obj, key: str) -> list[dict]:
    """What the audit log recorded under ``key`` about this object."""
    entries = LogEntry.objects.filter(object_id=str(obj.pk)).order_by("pk")
    return [
        {"user": entry.user.username, "model": entry.content_type.model}
        | json.loads(entry.change_message)[0][key]
        for entry in entries
        if f'"{key}"' in entry.change_message
    ]


def test_every_follow_up_preview_is_logged(client, petition):
    make_recipient(petition, first_name="Sokha")
    make_recipient(petition, first_name="Dara")
    follow_up = make_follow_up(petition)
    log_in_verified(client, make_staff("cam", roles=("Campaigners",)))

    client.get(reverse("admin:followups_followup_preview", args=[follow_up.pk]))

    [logged] = _logged(follow_up, "previewed")
    assert (logged["user"], logged["model"], logged["what"]) == (
        "cam",
        "followup",
        "follow_up",
    )
    assert logged["matched"] == 2
    assert logged["filters"] == {"petition": str(petition.pk), "trigger": "now"}
    assert _logged(petition, "viewed_signers") == []  # a stand-in name


def test_a_superusers_preview_of_sensitive_signers_is_logged(
    admin_client, admin_user, statement
):
    petition = make_petition(statement, sensitive=True)
    make_recipient(petition, first_name="Sokha")
    follow_up = make_follow_up(petition, body="Dear {{ first_name }},")

    response = admin_client.get(
        reverse("admin:followups_followup_preview", args=[follow_up.pk])
    )

    assert "Dear Sokha," in response.content.decode()
    assert _logged(petition, "viewed_signers") == [
        {"user": admin_user.username, "model": "petition", "via": "follow_up_preview"}
    ]
    assert len(_logged(follow_up, "previewed")) == 1


def test_the_preview_without_signers_uses_a_stand_in_name(admin_client, petition):
    follow_up = make_follow_up(petition, body="Dear {{ first_name }},")

    response = admin_client.get(
        reverse("admin:followups_followup_preview", args=[follow_up.pk])
    )

    assert "Dear Alex," in response.content.decode()


def test_send_me_a_test_goes_to_the_campaigners_own_address(
    admin_client, admin_user, petition, mailoutbox
):
    admin_user.email = "campaigner@example.org"
    admin_user.save()
    make_recipient(petition)
    follow_up = make_follow_up(petition, subject="Hello {{ first_name }}")

    response = admin_client.post(
        reverse("admin:followups_followup_send_test", args=[follow_up.pk]), follow=True
    )

    assert "Test sent to campaigner@example.org." in response.content.decode()
    [message] = mailoutbox
    assert message.to == ["campaigner@example.org"]
    assert message.subject.startswith("[Test] Hello ")
    assert not follow_up.deliveries.exists()


def test_send_me_a_test_without_an_address_asks_for_one(
    admin_client, petition, mailoutbox
):
    follow_up = make_follow_up(petition, subject="Delivered")
    get_user_model().objects.update(email="")

    response = _action(admin_client, "send_me_a_test", [follow_up])

    page = response.content.decode()
    assert response.status_code == 200
    assert "Your account has no email address" in page
    assert 'name="to_email"' in page
    assert f'name="_selected_action" value="{follow_up.pk}"' in page
    assert mailoutbox == []


def test_the_address_typed_in_gets_the_test_of_the_selected_follow_ups(
    admin_client, admin_user, petition, mailoutbox
):
    first, second = make_follow_up(petition), make_follow_up(petition)
    get_user_model().objects.update(email="")

    response = admin_client.post(
        CHANGELIST,
        {
            "action": "send_me_a_test",
            "_selected_action": [first.pk, second.pk],
            "to_email": "desk@example.org",
        },
        follow=True,
    )

    assert "Test sent to desk@example.org." in response.content.decode()
    assert [message.to for message in mailoutbox] == [["desk@example.org"]] * 2
    admin_user.refresh_from_db()
    assert admin_user.email == ""


def test_a_mistyped_address_is_asked_for_again_and_nothing_is_sent(
    admin_client, petition, mailoutbox
):
    follow_up = make_follow_up(petition)
    get_user_model().objects.update(email="")

    response = admin_client.post(
        CHANGELIST,
        {
            "action": "send_me_a_test",
            "_selected_action": [follow_up.pk],
            "to_email": "desk.example.org",
        },
    )

    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert mailoutbox == []


def test_the_previews_button_without_an_address_asks_then_sends(
    admin_client, petition, mailoutbox
):
    follow_up = make_follow_up(petition)
    get_user_model().objects.update(email="")
    url = reverse("admin:followups_followup_send_test", args=[follow_up.pk])

    asked = admin_client.post(url)
    sent = admin_client.post(url, {"to_email": "desk@example.org"})

    assert asked.status_code == 200
    assert 'name="to_email"' in asked.content.decode()
    assert sent.status_code == 302
    assert sent["Location"] == reverse(
        "admin:followups_followup_change", args=[follow_up.pk]
    )
    [message] = mailoutbox
    assert message.to == ["desk@example.org"]


def test_opening_the_test_page_sends_nothing(
    admin_client, admin_user, petition, mailoutbox
):
    admin_user.email = "campaigner@example.org"
    admin_user.save()
    follow_up = make_follow_up(petition)

    response = admin_client.get(
        reverse("admin:followups_followup_send_test", args=[follow_up.pk])
    )

    assert response.status_code == 200
    assert 'value="campaigner@example.org"' in response.content.decode()
    assert mailoutbox == []


def test_the_send_at_input_names_the_sites_time_zone(admin_client, settings):
    settings.TIME_ZONE = "Asia/Yangon"

    response = admin_client.get(ADD)

    help_text = str(response.context["adminform"].form.fields["send_at"].help_text)
    assert "Times are in the site's time zone, Asia/Yangon." in help_text


def test_cancelling_from_the_list_stops_queued_emails(admin_client, petition):
    follow_up = make_scheduled(petition, trigger=FollowUp.Trigger.GOAL_REACHED)

    response = _action(admin_client, "cancel", [follow_up])

    assert "1 follow-up cancelled." in response.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUp.State.CANCELLED


def test_a_sent_follow_up_can_be_read_but_not_changed_or_deleted(
    admin_client, petition
):
    follow_up = make_follow_up(
        petition,
        state=FollowUp.State.SENT,
        scheduled_at=timezone.now(),
        sent_at=timezone.now(),
    )
    url = reverse("admin:followups_followup_change", args=[follow_up.pk])

    page = admin_client.get(url)
    admin_client.post(url, _form(petition, subject_en="Changed"))
    deleted = admin_client.post(
        reverse("admin:followups_followup_delete", args=[follow_up.pk]), {"post": "yes"}
    )

    assert page.status_code == 200
    assert 'name="subject_en"' not in page.content.decode()
    assert 'name="subject_fr"' not in page.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.subject != "Changed"
    assert deleted.status_code == 403


def test_marking_a_petition_delivered_in_the_admin_sends_its_follow_up(
    admin_client, petition, mailoutbox, django_capture_on_commit_callbacks
):
    reader = make_recipient(petition)
    make_scheduled(petition, trigger=FollowUp.Trigger.DELIVERED)
    petition.close()

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:actions_petition_changelist"),
            {
                "action": "deliver_selected",
                "_selected_action": [petition.pk],
                "confirmed": "yes",
            },
        )

    assert [m.to for m in mailoutbox] == [[reader.email]]
