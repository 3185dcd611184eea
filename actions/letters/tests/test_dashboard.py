"""A letter action's dashboard: its letters per day, by writers' country, by
recipient and by state, and recipients whose address bounced."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.template.defaultfilters import date as date_filter
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.letters.models import Letter
from actions.letters.tests.factories import (
    make_letter_action,
    make_letters,
    make_recipient,
)
from actions.models import Petition, Signature
from actions.services import confirm_signature
from actions.suppressions.services import suppress
from actions.tests.factories import make_petition, make_signature, make_staff
from actions.tests.test_dashboard import _table
from staff.tests.otp import log_in_verified

pytestmark = pytest.mark.django_db


def _url(action: Petition) -> str:
    return reverse("admin:letters_letteraction_dashboard", args=[action.pk])


def _write(action: Petition, recipients, *, country: str = "FR", **fields) -> Letter:
    """One writer's letters (one per recipient); the first returned."""
    signature = make_signature(action, country=country)
    return make_letters(action, recipients, signature=signature, **fields)[0]


def _confirmed(action: Petition, recipients, *, day, country: str = "FR") -> None:
    letter = _write(action, recipients, country=country)
    confirm_signature(signature=Signature.objects.get(pk=letter.signature_id))
    if day is not None:
        at = datetime.combine(day, time(12), tzinfo=UTC)
        Letter.objects.filter(signature=letter.signature_id).update(queued_at=at)


def test_the_dashboard_shows_letters_per_day_country_recipient_and_state(
    admin_client,
):
    paris = make_recipient(name="Embassy in Paris", organisation="")
    berlin = make_recipient(name="Embassy in Berlin", organisation="")
    action = make_letter_action(recipients=[paris, berlin])
    today = timezone.localdate()
    _confirmed(action, [paris, berlin], day=today, country="FR")
    _confirmed(action, [paris, berlin], day=today, country="FR")
    _confirmed(action, [paris], day=today - timedelta(days=1), country="DE")
    _confirmed(action, [paris], day=today - timedelta(days=90), country="DE")
    _write(action, [paris])  # not confirmed: waiting
    _write(action, [berlin], moderation_state="held", held_at=timezone.now())
    sent = _write(action, [berlin])
    Letter.objects.filter(pk=sent.pk).update(
        delivery_state="sent", queued_at=timezone.now(), sent_at=timezone.now()
    )
    sending = _write(action, [berlin])  # a worker is sending it: still queued
    Letter.objects.filter(pk=sending.pk).update(
        delivery_state="sending",
        queued_at=timezone.now(),
        sending_at=timezone.now(),
    )
    failed = _write(action, [berlin])
    Letter.objects.filter(pk=failed.pk).update(
        delivery_state="failed", failed_at=timezone.now()
    )
    now = timezone.now()
    _write(
        action,
        [berlin],
        moderation_state="rejected",
        held_at=now,
        rejected_at=now,
        delivery_state="rejected",
    )
    other = make_letter_action(recipients=[paris])
    _confirmed(other, [paris], day=today, country="CL")

    response = admin_client.get(_url(action))

    assert response.status_code == 200
    content = response.content.decode()
    states = {
        term: re.search(rf'<dd id="letters-{term}">(\d+)</dd>', content)[1]
        for term in ["waiting", "held", "queued", "sent", "failed", "rejected"]
    }
    assert states == {
        "waiting": "1",
        "held": "1",
        "queued": "7",
        "sent": "1",
        "failed": "1",
        "rejected": "1",
    }
    per_day = _table(content, "Letters per day")
    assert len(per_day) == 90
    assert per_day[-1] == (date_filter(today, "DATE_FORMAT"), "6")  # sent, sending
    assert per_day[-2] == (date_filter(today - timedelta(days=1), "DATE_FORMAT"), "1")
    assert "7 in this period." in content
    assert _table(content, "Letters by writers' country") == [
        ("France", "6"),  # the sent and sending letters' too
        ("Germany", "2"),
    ]
    assert _table(content, "Letters by recipient") == [
        ("Embassy in Paris", "4"),
        ("Embassy in Berlin", "4"),
    ]
    assert "No recipient of this action has bounced." in content


def test_a_recipient_that_bounced_is_named_with_the_letters_kept_for_it(
    admin_client,
):
    paris, berlin = make_recipient(), make_recipient(email="Berlin@Example.org")
    action = make_letter_action(recipients=[paris, berlin])
    _write(action, [paris, berlin])
    _confirmed(action, [paris, berlin], day=timezone.localdate())
    suppress(
        email="berlin@example.org", reason="bounced", provider="test", event_id="1"
    )

    content = admin_client.get(_url(action)).content.decode()

    section = content.partition("Recipients whose address bounced")[2]
    assert "Berlin@Example.org" in section
    assert paris.email not in section
    assert re.search(r"Berlin@Example.org</td>\s*<td>1</td>", section)  # queued
    assert Letter.objects.filter(recipient=berlin).count() == 2


def test_a_petitions_dashboard_shows_no_letters(admin_client):
    petition = make_petition()

    url = reverse("admin:actions_petition_dashboard", args=[petition.pk])
    content = admin_client.get(url).content.decode()

    assert "Letters by recipient" not in content
    assert "<h2" in content and "Signatures</h2>" in content


def test_the_page_costs_the_same_queries_for_one_or_many_letters(admin_client):
    recipients = [make_recipient() for _ in range(4)]
    small, large = (
        make_letter_action(recipients=recipients[:1]),
        make_letter_action(recipients=recipients),
    )
    today = timezone.localdate()
    _confirmed(small, recipients[:1], day=today)
    for n in range(30):
        _confirmed(
            large,
            recipients[: 1 + n % 4],
            day=today - timedelta(days=n),
            country=["KH", "FR", "CL", "DE"][n % 4],
        )
        _write(large, recipients[:2])
    # Both have a bounced recipient: naming it costs a query.
    suppress(email=recipients[0].email, reason="bounced", provider="t", event_id="1")
    admin_client.get(_url(small))  # a first view fills per-process caches

    with CaptureQueriesContext(connection) as one:
        admin_client.get(_url(small))
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(_url(large))

    assert response.status_code == 200
    assert len(many) == len(one)
    assert len(many) <= 19


def test_campaigners_see_a_letter_actions_dashboard_and_supporters_do_not(client):
    action = make_letter_action()
    log_in_verified(client, make_staff("campaigner", roles=("Campaigners",)))

    assert client.get(_url(action)).status_code == 200

    client.logout()
    assert client.get(_url(action)).status_code == 302


def test_a_letter_being_sent_is_counted_in_public(client):
    action = make_letter_action()
    _confirmed(action, [action.letter_settings.recipients.get()], day=None)
    Letter.objects.update(delivery_state="sending", sending_at=timezone.now())

    body = client.get(reverse("actions:count", kwargs={"slug": action.slug})).json()

    assert (body["letters"], body["recipients"]) == (1, 1)
