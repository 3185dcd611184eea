"""Leases on the rows being sent: taken at the claim, renewed while the send
lasts, taken back by the sweeper when they run out (a dead worker), and a
send cut when it lasts too long or the row is no longer its sender's."""

import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from actions.outbox import delivery, lease
from actions.outbox.delivery import TransientEmailError
from actions.outbox.models import OutboundEmail
from actions.outbox.tasks import requeue_stale_emails, send_email
from actions.tests.factories import make_outbound_email
from actions.tests.smtp import Mailbox, free_port, smtp_mailers, smtp_server
from campaign.tests.test_settings import _settings

pytestmark = pytest.mark.django_db

SENDING = OutboundEmail.State.SENDING
TIMINGS = ("OUTBOX_LEASE", "OUTBOX_SWEEP_INTERVAL", "OUTBOX_SEND_TIMEOUT")


def _in(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


def _send_in_a_thread(outbound_email_id: int) -> None:
    try:
        send_email(outbound_email_id)
    finally:
        connection.close()  # this thread's own


def _slow_mailers(port: int) -> dict[str, dict]:
    """SMTP whose each step may take 10 s, so only the lease can stop a send."""
    mailers = smtp_mailers(port)
    mailers["default"]["OPTIONS"]["timeout"] = 10
    return mailers


def test_a_claim_leases_the_row(petition, settings):
    settings.OUTBOX_LEASE = 60
    outbound = make_outbound_email(petition)

    claimed = delivery.claim(outbound.pk)

    assert claimed.state == SENDING
    assert _in(55) < claimed.lease_until <= _in(60)


def test_the_heartbeat_renews_the_lease_of_a_long_send(petition, settings):
    settings.OUTBOX_LEASE = 60
    outbound = delivery.claim(make_outbound_email(petition).pk)
    OutboundEmail.objects.filter(pk=outbound.pk).update(lease_until=_in(5))

    with lease.holding(outbound) as held:
        lease.beat()  # the send has just begun: nothing to renew
        assert OutboundEmail.objects.get().lease_until < _in(6)
        held.renewed -= 21  # a third of the lease has gone by
        lease.beat()

    assert OutboundEmail.objects.get().lease_until > _in(55)
    assert not held.is_cut


def test_a_send_whose_row_was_taken_back_is_cut_not_renewed(petition, settings):
    settings.OUTBOX_LEASE = 60
    outbound = delivery.claim(make_outbound_email(petition).pk)
    # The sweeper took it back and another worker claimed it again.
    OutboundEmail.objects.filter(pk=outbound.pk).update(attempts=2)

    with lease.holding(outbound) as held:
        held.renewed -= 21
        lease.beat()

    assert held.is_cut
    assert OutboundEmail.objects.get().lease_until < _in(61)


def test_a_send_that_lasts_too_long_is_cut(petition, settings):
    settings.OUTBOX_SEND_TIMEOUT = 30
    outbound = delivery.claim(make_outbound_email(petition).pk)

    with lease.holding(outbound) as held:
        lease.beat()
        assert not held.is_cut
        held.started -= 31
        lease.beat()

    assert held.is_cut


def test_a_hung_smtp_session_is_cut_and_its_row_queued_again(petition, settings):
    settings.OUTBOX_SEND_TIMEOUT = 1
    outbound = make_outbound_email(petition)
    mailbox = Mailbox(delay=8)  # answers the end of data after 8 s

    with smtp_server(mailbox) as port:
        settings.MAILERS = _slow_mailers(port)
        started = time.monotonic()
        with pytest.raises(TransientEmailError):
            send_email(outbound.pk)
        took = time.monotonic() - started

    assert took < 3
    outbound.refresh_from_db()
    assert outbound.state == OutboundEmail.State.QUEUED
    assert outbound.attempts == 1


def test_the_sweeper_takes_back_a_row_whose_lease_ran_out_at_once(
    petition, settings, mailoutbox
):
    settings.OUTBOX_REQUEUE_AFTER = 60
    dead = make_outbound_email(petition, state=SENDING, attempts=1, lease_until=_in(-1))
    alive = make_outbound_email(petition, state=SENDING, attempts=1, lease_until=_in(5))

    assert requeue_stale_emails() == 1

    dead.refresh_from_db()
    alive.refresh_from_db()
    assert (dead.state, dead.attempts) == (OutboundEmail.State.SENT, 2)
    assert alive.state == SENDING
    assert [m.to for m in mailoutbox] == [[dead.to_email]]


def test_a_sender_that_lost_its_row_leaves_the_new_senders_outcome_alone(
    petition, settings, mailoutbox
):
    first = delivery.claim(make_outbound_email(petition).pk)
    OutboundEmail.objects.filter(pk=first.pk).update(lease_until=_in(-1))
    requeue_stale_emails()  # taken back and sent by another worker
    settings.MAILERS = smtp_mailers(free_port())  # the first one's server is down

    with pytest.raises(TransientEmailError):
        delivery.deliver(first)

    row = OutboundEmail.objects.get()
    assert (row.state, row.attempts) == (OutboundEmail.State.SENT, 2)
    assert len(mailoutbox) == 1


def test_a_row_taken_back_but_not_yet_claimed_again_is_not_sent_twice(
    petition, settings
):
    settings.OUTBOX_REQUEUE_AFTER = 60
    outbound = delivery.claim(make_outbound_email(petition).pk)
    # Its lease ran out mid-send (the worker was paused) and the sweep queued
    # it; the broker was down, so no other worker has it yet.
    OutboundEmail.objects.filter(pk=outbound.pk).update(
        state=OutboundEmail.State.QUEUED
    )

    delivery.deliver(outbound)

    assert OutboundEmail.objects.get().state == OutboundEmail.State.SENT


@pytest.mark.django_db(transaction=True)
def test_a_slow_send_keeps_its_row_while_the_sweeper_runs(petition, settings):
    """The heartbeat thread renews the lease; the sweep, meanwhile, leaves the
    row alone, and the email goes once."""
    settings.OUTBOX_LEASE = 1  # renewed every third of a second
    outbound = make_outbound_email(petition)
    mailbox = Mailbox(delay=3)
    with smtp_server(mailbox) as port:
        settings.MAILERS = _slow_mailers(port)
        sender = threading.Thread(target=_send_in_a_thread, args=[outbound.pk])
        sender.start()
        states = set()
        while sender.is_alive():
            time.sleep(0.2)
            requeue_stale_emails()
            states.add(OutboundEmail.objects.get().state)
        sender.join()

    assert states <= {SENDING, OutboundEmail.State.SENT}
    outbound.refresh_from_db()
    assert (outbound.state, outbound.attempts) == (OutboundEmail.State.SENT, 1)
    assert len(mailbox.envelopes) == 1


def test_by_default_a_dead_workers_row_is_sent_again_within_two_minutes(
    monkeypatch,
):
    for name in (*TIMINGS, "EMAIL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)

    loaded = _settings(monkeypatch)

    sweep = loaded["CELERY_BEAT_SCHEDULE"]["requeue-stale-emails"]["schedule"]
    assert sweep == loaded["OUTBOX_SWEEP_INTERVAL"]
    assert loaded["OUTBOX_LEASE"] + sweep <= 120


def test_a_send_timeout_within_the_smtp_timeout_refuses_to_start(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="OUTBOX_SEND_TIMEOUT"):
        _settings(monkeypatch, EMAIL_TIMEOUT="30", OUTBOX_SEND_TIMEOUT="30")
