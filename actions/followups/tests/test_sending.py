"""Sending batches through a real SMTP server (aiosmtpd on a local port).

Transactional, so that on PostgreSQL each sent mark is the worker's own
transaction, its commit sent just before the end-of-data mark, as in a worker.
"""

import asyncio
import time
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.db import connection
from django.utils import timezone

from actions.core.bulk import marks
from actions.followups import previews, sending, services, withdrawals
from actions.followups.models import FollowUp, FollowUpDelivery
from actions.followups.tests.factories import make_follow_up, make_recipient
from actions.models import Signature
from actions.tests.smtp import Mailbox, free_port, smtp_mailers, smtp_server

pytestmark = pytest.mark.django_db(transaction=True)

Delivery = FollowUpDelivery.State


class ConnectionsMailbox(Mailbox):
    """Also notes which connection (client port) carried each message."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.peers: list[tuple] = []
        self.raw: list[bytes] = []
        self.hang_up_after_data = False
        self.sent_when_received: list[int] = []

    async def handle_DATA(self, server, session, envelope):
        # Seen from another connection, as another worker would.
        sent = await asyncio.to_thread(_committed_sent)
        self.sent_when_received.append(sent)
        self.peers.append(session.peer)
        self.raw.append(envelope.original_content)
        reply = await super().handle_DATA(server, session, envelope)
        if self.hang_up_after_data:
            server.transport.close()  # the message is in; the reply never leaves
        return reply


def _committed_sent() -> int:
    """Deliveries committed as sent, waiting up to a second for a commit on its
    way: the worker sends the commit before the end of the message."""
    deadline = time.monotonic() + 1
    try:
        while True:
            sent = FollowUpDelivery.objects.filter(state=Delivery.SENT).count()
            if sent or time.monotonic() > deadline:
                return sent
            time.sleep(0.01)
    finally:
        connection.close()


@pytest.fixture
def mailbox(settings):
    box = ConnectionsMailbox()
    with smtp_server(box) as port:
        settings.MAILERS = smtp_mailers(port)
        yield box


def _sending(petition, readers: int = 3) -> tuple[FollowUp, list[Signature]]:
    people = [make_recipient(petition) for _ in range(readers)]
    follow_up = make_follow_up(
        petition,
        state=FollowUp.State.SENDING,
        scheduled_at=timezone.now(),
        subject="Update for {{ first_name }}",
    )
    services.queue_deliveries(
        follow_up=follow_up, signatures=services.recipients(follow_up)
    )
    return follow_up, people


def _received(mailbox) -> list[str]:
    return sorted(to for _, tos, _ in mailbox.envelopes for to in tos)


def _states(follow_up: FollowUp) -> dict[int, str]:
    return dict(follow_up.deliveries.values_list("signature", "state"))


def test_a_batch_is_sent_over_one_connection_each_email_once(petition, mailbox):
    follow_up, people = _sending(petition, readers=5)

    sent = sending.deliver_batch(sending.claim_batch(follow_up.pk, size=100))

    assert sent == 5
    assert _received(mailbox) == sorted(p.email for p in people)
    assert len(set(mailbox.peers)) == 1
    assert set(_states(follow_up).values()) == {Delivery.SENT}
    assert sending.claim_batch(follow_up.pk, size=100) is None


def test_each_delivery_is_committed_sent_before_the_server_answers(petition, mailbox):
    follow_up, _ = _sending(petition, readers=3)

    sending.deliver_batch(sending.claim_batch(follow_up.pk, size=100))

    # A worker killed after the server took a message cannot send it again.
    assert mailbox.sent_when_received == [1, 2, 3]
    with connection.cursor() as cursor:  # and the worker's connection is free
        cursor.execute("SELECT 1")


def test_each_email_is_personal_and_carries_the_one_click_headers(
    petition, mailbox, settings
):
    follow_up, [person] = _sending(petition, readers=1)

    sending.deliver_batch(sending.claim_batch(follow_up.pk, size=100))

    message = message_from_bytes(mailbox.raw[0], policy=policy.default)
    assert message["Subject"] == f"Update for {person.first_name}"
    assert message["To"] == person.email
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(settings.SITE_URL + "/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = unsubscribe.rstrip("/").rpartition("/")[2]
    assert withdrawals.signature_from_unsubscribe_token(token) == person
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert f"Dear {person.first_name}," in text
    assert unsubscribe in text


def test_batches_take_the_oldest_deliveries_and_never_the_same_one(petition):
    follow_up, _ = _sending(petition, readers=5)

    first = sending.claim_batch(follow_up.pk, size=2)
    second = sending.claim_batch(follow_up.pk, size=2)
    third = sending.claim_batch(follow_up.pk, size=2)

    ids = [row.pk for batch in (first, second, third) for row in batch.rows]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert {row.attempts for batch in (first, second) for row in batch.rows} == {1}


def test_a_refused_address_fails_and_a_greylisted_one_is_tried_later(petition, mailbox):
    follow_up, [person] = _sending(petition, readers=1)

    mailbox.rcpt_reply = "450 4.2.1 Try again later"
    sending.deliver_batch(sending.claim_batch(follow_up.pk, size=10))
    delivery = follow_up.deliveries.get()
    assert delivery.state == Delivery.QUEUED
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=30)
    assert "450" in delivery.last_error
    assert sending.claim_batch(follow_up.pk, size=10) is None  # not due yet

    FollowUpDelivery.objects.update(next_attempt_at=timezone.now())
    mailbox.rcpt_reply = "550 5.1.1 No such user"
    sending.deliver_batch(sending.claim_batch(follow_up.pk, size=10))
    delivery.refresh_from_db()
    assert delivery.state == Delivery.FAILED
    assert delivery.failed_at is not None and delivery.attempts == 2
    assert mailbox.envelopes == []


def test_a_message_refused_at_its_end_is_not_counted_sent(petition, mailbox):
    follow_up, _ = _sending(petition, readers=1)
    mailbox.data_reply = "554 5.7.1 Rejected as spam"

    sent = sending.deliver_batch(sending.claim_batch(follow_up.pk, size=10))

    delivery = follow_up.deliveries.get()
    assert sent == 0
    assert (delivery.state, delivery.sent_at) == (Delivery.FAILED, None)


def test_when_the_server_is_down_the_batch_goes_back_to_the_queue(petition, settings):
    settings.MAILERS = smtp_mailers(free_port())
    follow_up, _ = _sending(petition, readers=3)

    sent = sending.deliver_batch(sending.claim_batch(follow_up.pk, size=10))

    assert sent == 0
    deliveries = list(follow_up.deliveries.all())
    assert {d.state for d in deliveries} == {Delivery.QUEUED}
    assert all(d.next_attempt_at > timezone.now() for d in deliveries)
    assert all(d.last_error for d in deliveries)


def test_an_address_unsubscribed_mid_batch_gets_nothing(petition, mailbox):
    follow_up, people = _sending(petition, readers=3)
    batch = sending.claim_batch(follow_up.pk, size=10)

    withdrawals.withdraw(signature=people[1], everything=False, method="one_click")
    sent = sending.deliver_batch(batch)

    assert sent == 2
    assert _received(mailbox) == sorted([people[0].email, people[2].email])
    assert _states(follow_up)[people[1].pk] == Delivery.CANCELLED
    # Its message was dropped mid-data; the next one went on a new connection.
    assert len(set(mailbox.peers)) == 2


def test_signers_who_stopped_being_recipients_are_cancelled_at_claim(petition):
    follow_up, people = _sending(petition, readers=2)
    Signature.objects.filter(pk=people[0].pk).update(
        state=Signature.State.INVALIDATED, invalidated_at=timezone.now()
    )

    batch = sending.claim_batch(follow_up.pk, size=10)

    assert [row.signature_id for row in batch.rows] == [people[1].pk]
    assert _states(follow_up)[people[0].pk] == Delivery.CANCELLED


def test_a_worker_whose_claim_was_taken_over_sends_nothing(petition, mailbox):
    follow_up, [person] = _sending(petition, readers=1)
    slow = sending.claim_batch(follow_up.pk, size=10)
    # The sweeper judged the slow worker dead and another worker took the row.
    FollowUpDelivery.objects.update(state=Delivery.QUEUED)
    fresh = sending.claim_batch(follow_up.pk, size=10)

    assert sending.deliver_batch(slow) == 0
    assert sending.deliver_batch(fresh) == 1
    assert _received(mailbox) == [person.email]


def test_a_lost_reply_after_the_end_of_data_is_never_sent_again(petition, mailbox):
    follow_up, [first, second] = _sending(petition, readers=2)
    mailbox.hang_up_after_data = True

    sending.deliver_batch(sending.claim_batch(follow_up.pk, size=10))
    mailbox.hang_up_after_data = False
    services.requeue_stale_deliveries()

    # The server may have kept it: at most once, so it stays sent.
    assert set(_states(follow_up).values()) == {Delivery.SENT}
    assert _received(mailbox) == sorted([first.email, second.email])
    assert sending.claim_batch(follow_up.pk, size=10) is None


def test_sending_keeps_to_the_configured_rate(petition, mailbox, settings):
    settings.FOLLOW_UP_RATE = 40  # reserved 4 emails (0.1 s) at a time
    follow_up, _ = _sending(petition, readers=20)
    batch = sending.claim_batch(follow_up.pk, size=20)

    started = time.monotonic()
    sent = sending.deliver_batch(batch)
    took = time.monotonic() - started

    assert sent == 20
    # The first 4 go at once (or after a slot left by an earlier test).
    assert took >= 16 / 40 * 0.95, took


def test_send_test_reaches_the_campaigner_with_links_that_unsubscribe_nobody(
    petition, mailbox
):
    follow_up, [person] = _sending(petition, readers=1)

    previews.send_test(follow_up=follow_up, to_email="campaigner@example.org")

    [(_, tos, _)] = mailbox.envelopes
    assert tos == ["campaigner@example.org"]
    message = message_from_bytes(mailbox.raw[0], policy=policy.default)
    # The test goes to a campaigner's own mailbox: no signer's name in it.
    assert message["Subject"] == "[Test] Update for Alex"
    assert person.first_name not in message.as_string()
    assert message["List-Unsubscribe"].endswith("/unsubscribe/preview/>")
    assert follow_up.deliveries.get().state == Delivery.QUEUED


def test_a_chained_batch_enqueues_the_next_before_sending(petition, mailbox, settings):
    settings.FOLLOW_UP_BATCH_SIZE = 2
    follow_up, people = _sending(petition, readers=5)

    # Tasks run in-process here, so the chain unrolls: 2 + 2 + 1.
    sent = sending.send_batch(follow_up.pk, chain=True)

    assert sent == 2  # this batch's; the others went in the tasks it enqueued
    assert _received(mailbox) == sorted(p.email for p in people)
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUp.State.SENT


def test_unchained_sending_sends_every_batch_in_turn(petition, mailbox, settings):
    settings.FOLLOW_UP_BATCH_SIZE = 2
    follow_up, people = _sending(petition, readers=5)

    assert sending.send_batch(follow_up.pk, chain=False) == 5
    assert len(set(mailbox.peers)) == 3  # a connection per batch


def _mark_used(follow_up: FollowUp) -> str:
    """Which way the next batch's sent marks would be written."""
    claimed = sending.claim_batch(follow_up.pk, size=1)
    assert claimed is not None
    mark = sending._Outcomes().mark(claimed.rows[0])
    FollowUpDelivery.objects.filter(pk=claimed.rows[0].pk).update(
        state=Delivery.QUEUED, next_attempt_at=timezone.now()
    )
    return type(mark).__name__


def test_the_commit_is_corked_only_on_postgresql_over_tcp_on_linux(petition, mailbox):
    follow_up, _ = _sending(petition, readers=1)
    on_tcp = connection.vendor == "postgresql" and connection.settings_dict["HOST"]

    used = _mark_used(follow_up)

    assert used == ("PipelinedMark" if on_tcp else "AutocommitMark")


def test_without_tcp_cork_the_plain_order_sends_each_email_once_committed_first(
    petition, mailbox, monkeypatch
):
    """What macOS does: no TCP_CORK, so the commit is awaited, then the dot."""
    monkeypatch.delattr(marks.socket, "TCP_CORK")
    follow_up, people = _sending(petition, readers=3)
    assert _mark_used(follow_up) == "AutocommitMark"

    sent = sending.deliver_batch(sending.claim_batch(follow_up.pk, size=100))

    assert sent == 3
    assert _received(mailbox) == sorted(p.email for p in people)
    assert mailbox.sent_when_received == [1, 2, 3]


@pytest.fixture
def over_a_unix_socket():
    """Django's connection to PostgreSQL through its Unix socket."""
    if connection.vendor != "postgresql":
        yield False
        return
    connection.close()
    tcp_host = connection.settings_dict["HOST"]
    connection.settings_dict["HOST"] = "/var/run/postgresql"
    try:
        yield True
    finally:
        connection.close()
        connection.settings_dict["HOST"] = tcp_host


def test_over_a_unix_socket_the_plain_order_sends_each_email_once(
    petition, mailbox, over_a_unix_socket
):
    follow_up, people = _sending(petition, readers=3)
    if over_a_unix_socket:
        assert _mark_used(follow_up) == "AutocommitMark"

    sent = sending.deliver_batch(sending.claim_batch(follow_up.pk, size=100))

    assert sent == 3
    assert _received(mailbox) == sorted(p.email for p in people)
    assert mailbox.sent_when_received == [1, 2, 3]
