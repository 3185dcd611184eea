from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from actions.consent.services import updates_wording
from actions.models import Signature
from actions.outbox import delivery as emails
from actions.outbox.delivery import TransientEmailError
from actions.outbox.models import OutboundEmail
from actions.outbox.tasks import requeue_stale_emails, send_email
from actions.services import sign_petition
from actions.tests.factories import make_outbound_email
from actions.tests.smtp import Mailbox, free_port, smtp_mailers, smtp_server

pytestmark = pytest.mark.django_db


def _ago(seconds: int):
    return timezone.now() - timedelta(seconds=seconds)


@pytest.fixture
def closed_port_mailers(settings):
    """SMTP pointed at a port nothing listens on: the mail server is down."""
    settings.MAILERS = smtp_mailers(free_port())


# send_email


def test_send_email_delivers_once(petition, mailoutbox):
    outbound = make_outbound_email(petition)

    send_email(outbound.pk)
    send_email(outbound.pk)

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [outbound.to_email]
    outbound.refresh_from_db()
    assert outbound.state == OutboundEmail.State.SENT
    assert outbound.sent_at is not None
    assert outbound.attempts == 1
    assert outbound.last_error == ""


@pytest.mark.parametrize(
    "state",
    [OutboundEmail.State.SENDING, OutboundEmail.State.SENT, OutboundEmail.State.FAILED],
)
def test_send_email_leaves_rows_that_are_not_queued_alone(petition, mailoutbox, state):
    fields = {"state": state}
    if state == OutboundEmail.State.SENT:
        fields["sent_at"] = timezone.now()
    if state == OutboundEmail.State.SENDING:
        fields["lease_until"] = timezone.now() + timedelta(seconds=60)
    outbound = make_outbound_email(petition, **fields)

    send_email(outbound.pk)

    assert mailoutbox == []
    assert OutboundEmail.objects.get().state == state


def test_send_email_for_a_missing_row_does_nothing(db, mailoutbox):
    send_email(987654)

    assert mailoutbox == []


def test_send_email_through_a_real_smtp_server(petition, settings):
    mailbox = Mailbox()
    outbound = make_outbound_email(petition)

    with smtp_server(mailbox) as port:
        settings.MAILERS = smtp_mailers(port)
        send_email(outbound.pk)
        send_email(outbound.pk)

    assert [rcpt for _, rcpt, _ in mailbox.envelopes] == [[outbound.to_email]]
    outbound.refresh_from_db()
    assert outbound.state == OutboundEmail.State.SENT
    assert outbound.sent_at is not None


def test_emails_one_after_another_share_one_smtp_connection(petition, settings):
    mailbox = Mailbox()
    rows = [make_outbound_email(petition) for _ in range(3)]

    with smtp_server(mailbox) as port:
        settings.MAILERS = smtp_mailers(port)
        for outbound in rows:
            send_email(outbound.pk)

    assert len(mailbox.envelopes) == 3
    assert len(set(mailbox.peers)) == 1


def test_a_connection_the_server_dropped_during_a_pause_is_replaced(
    petition, settings, monkeypatch
):
    monkeypatch.setattr(emails, "MAILER_CHECK_AFTER", 0)  # every send is "later"
    first, second = make_outbound_email(petition), make_outbound_email(petition)
    before, after = Mailbox(), Mailbox()
    port = free_port()
    settings.MAILERS = smtp_mailers(port)

    with smtp_server(before, port):
        send_email(first.pk)
    with smtp_server(after, port):  # restarted: the kept connection is dead
        send_email(second.pk)

    assert [rcpt for _, rcpt, _ in after.envelopes] == [[second.to_email]]
    second.refresh_from_db()
    assert second.state == OutboundEmail.State.SENT


def test_a_connection_broken_mid_stream_defers_one_email_only(petition, settings):
    first, second, third = (
        make_outbound_email(petition),
        make_outbound_email(petition),
        make_outbound_email(petition),
    )
    before, after = Mailbox(), Mailbox()
    port = free_port()
    settings.MAILERS = smtp_mailers(port)

    with smtp_server(before, port):
        send_email(first.pk)
    with smtp_server(after, port):
        with pytest.raises(TransientEmailError):
            send_email(second.pk)  # on the dead connection: back in the queue
        send_email(third.pk)  # on a new one

    second.refresh_from_db()
    assert second.state == OutboundEmail.State.QUEUED
    assert second.next_attempt_at > timezone.now()
    assert [rcpt for _, rcpt, _ in after.envelopes] == [[third.to_email]]


# failures


def test_a_mail_server_that_is_down_puts_the_row_back_in_the_queue(
    petition, closed_port_mailers
):
    outbound = make_outbound_email(petition)
    before = timezone.now()

    with pytest.raises(TransientEmailError):
        send_email(outbound.pk)  # called directly, the retry surfaces the error

    outbound.refresh_from_db()
    assert outbound.state == OutboundEmail.State.QUEUED
    assert outbound.attempts == 1
    assert outbound.next_attempt_at >= before + timedelta(seconds=2)
    assert "ConnectionRefusedError" in outbound.last_error
    assert outbound.sent_at is None


def test_each_failed_attempt_waits_longer(petition, closed_port_mailers):
    outbound = make_outbound_email(petition)
    delays = []

    for _ in range(3):
        before = timezone.now()
        with pytest.raises(TransientEmailError) as error:
            send_email(outbound.pk)
        outbound.refresh_from_db()
        assert outbound.next_attempt_at > before
        delays.append(error.value.retry_in)

    assert delays == [2, 4, 8]
    assert outbound.attempts == 3
    assert outbound.state == OutboundEmail.State.QUEUED


def test_signing_while_the_mail_server_is_down_keeps_everything(
    petition, closed_port_mailers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sign_petition(
            petition=petition,
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.org",
            country="KH",
            wants_updates=False,
            consent_wording=updates_wording(),
        )

    assert Signature.objects.get().state == Signature.State.PENDING
    outbound = OutboundEmail.objects.get()
    assert outbound.state == OutboundEmail.State.QUEUED
    assert outbound.attempts == 1
    assert outbound.last_error


@pytest.mark.parametrize(
    "mailbox",
    [
        Mailbox(rcpt_reply="550 5.1.1 No such user"),
        Mailbox(data_reply="554 5.7.1 Message rejected"),
    ],
    ids=["rcpt-550", "data-554"],
)
def test_a_permanent_refusal_marks_the_row_failed(petition, settings, mailbox):
    outbound = make_outbound_email(petition)

    with smtp_server(mailbox) as port:
        settings.MAILERS = smtp_mailers(port)
        send_email(outbound.pk)
        send_email(outbound.pk)

    outbound.refresh_from_db()
    assert outbound.state == OutboundEmail.State.FAILED
    assert outbound.failed_at is not None
    assert outbound.attempts == 1
    assert "55" in outbound.last_error
    assert mailbox.envelopes == []


@pytest.mark.parametrize(
    "mailbox",
    [
        Mailbox(rcpt_reply="451 4.7.1 Greylisted, try again later"),
        Mailbox(data_reply="451 4.3.0 Temporary failure"),
    ],
    ids=["rcpt-451", "data-451"],
)
def test_a_temporary_refusal_puts_the_row_back_in_the_queue(
    petition, settings, mailbox
):
    outbound = make_outbound_email(petition)
    before = timezone.now()

    with smtp_server(mailbox) as port:
        settings.MAILERS = smtp_mailers(port)
        with pytest.raises(TransientEmailError):
            send_email(outbound.pk)

    outbound.refresh_from_db()
    assert outbound.state == OutboundEmail.State.QUEUED
    assert outbound.next_attempt_at > before
    assert "451" in outbound.last_error
    assert outbound.failed_at is None


# requeue_stale_emails


@override_settings(OUTBOX_REQUEUE_AFTER=60)
def test_the_sweeper_sends_queued_rows_whose_task_was_lost(petition, mailoutbox):
    stale = make_outbound_email(petition, next_attempt_at=_ago(120))
    fresh = make_outbound_email(petition)

    assert requeue_stale_emails() == 1

    assert [m.to for m in mailoutbox] == [[stale.to_email]]
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.state == OutboundEmail.State.SENT
    assert fresh.state == OutboundEmail.State.QUEUED


def test_the_sweeper_sends_rows_a_dead_worker_left_sending(petition, mailoutbox):
    stuck = make_outbound_email(
        petition,
        state=OutboundEmail.State.SENDING,
        sending_at=_ago(700),
        lease_until=_ago(1),
        next_attempt_at=_ago(701),
        attempts=1,
    )

    requeue_stale_emails()

    stuck.refresh_from_db()
    assert stuck.state == OutboundEmail.State.SENT
    assert stuck.attempts == 2
    assert [m.to for m in mailoutbox] == [[stuck.to_email]]


def test_the_sweeper_puts_rows_a_dead_worker_left_sending_back_in_the_queue(
    petition, closed_port_mailers
):
    stuck = make_outbound_email(
        petition,
        state=OutboundEmail.State.SENDING,
        sending_at=_ago(700),
        lease_until=_ago(1),
        next_attempt_at=_ago(701),
    )

    requeue_stale_emails()

    stuck.refresh_from_db()
    assert stuck.state == OutboundEmail.State.QUEUED
    assert stuck.sending_at is not None


def test_the_sweeper_leaves_rows_that_are_being_sent_alone(petition, mailoutbox):
    busy = make_outbound_email(
        petition,
        state=OutboundEmail.State.SENDING,
        sending_at=_ago(700),
        lease_until=timezone.now() + timedelta(seconds=5),
        next_attempt_at=_ago(11),
    )

    assert requeue_stale_emails() == 0

    busy.refresh_from_db()
    assert busy.state == OutboundEmail.State.SENDING
    assert mailoutbox == []


def test_the_sweeper_leaves_sent_and_failed_rows_alone(petition, mailoutbox):
    make_outbound_email(
        petition,
        state=OutboundEmail.State.SENT,
        sent_at=_ago(999),
        next_attempt_at=_ago(999),
    )
    make_outbound_email(
        petition, state=OutboundEmail.State.FAILED, next_attempt_at=_ago(999)
    )

    assert requeue_stale_emails() == 0

    assert mailoutbox == []


@override_settings(OUTBOX_REQUEUE_AFTER=0)
def test_an_email_deferred_while_the_server_was_down_is_sent_later(
    petition, settings, mailoutbox
):
    outbound = make_outbound_email(petition)
    settings.MAILERS = smtp_mailers(free_port())
    with pytest.raises(TransientEmailError):
        send_email(outbound.pk)
    # The server is back, and the backoff is over.
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    }
    OutboundEmail.objects.filter(pk=outbound.pk).update(next_attempt_at=_ago(1))

    assert requeue_stale_emails() == 1

    outbound.refresh_from_db()
    assert outbound.state == OutboundEmail.State.SENT
    assert outbound.attempts == 2
    assert len(mailoutbox) == 1


@override_settings(OUTBOX_REQUEUE_AFTER=60)
def test_the_sweeper_is_repeat_safe(petition, mailoutbox):
    make_outbound_email(petition, next_attempt_at=_ago(120))

    requeue_stale_emails()
    requeue_stale_emails()

    assert len(mailoutbox) == 1
