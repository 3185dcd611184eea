"""Delivering letters: from the site, the writer in Reply-To and the
signature, at most once, within the daily cap, and kept for a bounced
recipient."""

import io
import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.core.management import call_command
from django.utils import timezone

from actions.letters import delivery, digests, services
from actions.letters.models import Letter, LetterDigest, LetterSettings
from actions.letters.tests.factories import make_letter_action, make_recipient
from actions.models import Signature
from actions.suppressions.models import Suppression
from actions.tests.factories import make_signature
from actions.tests.smtp import Mailbox, smtp_mailers, smtp_server

pytestmark = pytest.mark.django_db

State = Letter.Delivery
DIGEST = LetterSettings.DeliveryMode.DIGEST


def _queued(action, recipient, count: int, **fields) -> list[Letter]:
    """``count`` confirmed writers' letters to ``recipient``, queued."""
    now = timezone.now()
    letters = []
    for n in range(count):
        signature = make_signature(
            action,
            state=Signature.State.CONFIRMED,
            first_name=f"Writer{n}",
            last_name="Example",
            country="FR",
        )
        letters.append(
            Letter(
                signature=signature,
                action=action,
                recipient=recipient,
                subject=f"Letter number {n}",
                body=f"Dear Ambassador,\n\nThis is letter {n}.\n\nYours,",
                postal_town="Lyon",
                delivery_state=State.QUEUED,
                queued_at=now,
                **fields,
            )
        )
    return Letter.objects.bulk_create(letters)


def _states() -> dict[str, int]:
    letters = Letter.objects.order_by("delivery_state")
    return {state: letters.filter(delivery_state=state).count() for state in State}


def test_a_confirmed_letter_goes_from_the_site_with_its_writer_in_reply_to(
    mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.DEFAULT_FROM_EMAIL = "Campaign <campaign@example.org>"
    embassy = make_recipient(email="embassy@example.org")
    action = make_letter_action(recipients=[embassy])
    signature = make_signature(
        action,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.net",
        country="FR",
    )
    Letter.objects.create(
        signature=signature,
        action=action,
        recipient=embassy,
        subject="Refer it to the ICC",
        body="Dear Ambassador,\n\nPlease act.",
        postal_town="Lyon",
    )
    Signature.objects.filter(pk=signature.pk).update(
        state=Signature.State.CONFIRMED, confirmed_at=timezone.now()
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert services.letters_confirmed(signature=signature) == 1

    [email] = mailoutbox
    assert email.to == ["embassy@example.org"]
    assert email.from_email == "Campaign <campaign@example.org>"
    message = message_from_bytes(email.message().as_bytes(), policy=policy.default)
    assert message["From"] == "Campaign <campaign@example.org>"
    assert message["Reply-To"] == "Ada Lovelace <ada@example.net>"
    assert message["Subject"] == "Refer it to the ICC"
    text = message.get_body(("plain",)).get_content()
    assert text.startswith(
        "Dear Ambassador,\n\nPlease act.\n\nAda Lovelace\nLyon\nFrance"
    )
    assert Letter.objects.get().delivery_state == State.SENT


def test_a_batch_goes_over_smtp_each_letter_once(settings):
    box = Mailbox()
    embassy = make_recipient()
    action = make_letter_action(recipients=[embassy])
    _queued(action, embassy, 5)
    with smtp_server(box) as port:
        settings.MAILERS = smtp_mailers(port)
        assert delivery.send_batch(chain=False) == 5
        assert delivery.send_batch(chain=False) == 0

    assert [tos for _, tos, _ in box.envelopes] == [[embassy.email]] * 5
    assert sorted(m["Subject"] for _, _, m in box.envelopes) == [
        f"Letter number {n}" for n in range(5)
    ]
    assert _states()[State.SENT] == 5


def test_letters_over_the_daily_cap_wait_for_the_next_day(mailoutbox):
    embassy = make_recipient()
    action = make_letter_action(recipients=[embassy], daily_cap=3)
    _queued(action, embassy, 5)

    assert delivery.send_batch(chain=False) == 3
    assert _states()[State.QUEUED] == 2
    assert delivery.send_batch(chain=False) == 0

    yesterday = timezone.now() - timedelta(days=1)
    Letter.objects.filter(delivery_state=State.SENT).update(sent_at=yesterday)
    assert delivery.send_batch(chain=False) == 2
    assert len(mailoutbox) == 5


class RefusingMailbox(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == "gone@example.org":
            return "550 5.1.1 No such mailbox"
        return await super().handle_RCPT(
            server, session, envelope, address, rcpt_options
        )


def test_a_bounced_recipients_letters_wait_and_go_once_it_is_lifted(
    mailoutbox, settings
):
    box = RefusingMailbox()
    in_memory = settings.MAILERS
    embassy = make_recipient(email="gone@example.org")
    other = make_recipient()
    action = make_letter_action(recipients=[embassy, other])
    _queued(action, embassy, 3)
    _queued(action, other, 1)
    with smtp_server(box) as port:
        settings.MAILERS = smtp_mailers(port)
        while delivery.send_batch(chain=False):
            pass

    assert [tos for _, tos, _ in box.envelopes] == [[other.email]]
    assert Suppression.objects.filter(canonical_email="gone@example.org").exists()
    waiting = Letter.objects.filter(recipient=embassy)
    assert set(waiting.values_list("delivery_state", flat=True)) == {State.QUEUED}
    [bounced] = delivery.bounced_recipients(action_ids=[action.pk])
    assert (bounced.recipient, bounced.waiting) == (embassy, 3)
    settings.MAILERS = in_memory
    assert delivery.send_batch(chain=False) == 0  # nothing goes to it meanwhile

    Suppression.objects.all().delete()
    assert delivery.resume_individual() == settings.LETTER_PARALLEL_BATCHES
    assert {m.to[0] for m in mailoutbox} == {"gone@example.org"}
    assert len(mailoutbox) == 3
    assert delivery.bounced_recipients(action_ids=[action.pk]) == []


class GreylistingMailbox(Mailbox):
    greylisting = True

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.greylisting and address == "grey@example.org":
            return "451 4.7.1 Greylisted, please try again later"
        return await super().handle_RCPT(
            server, session, envelope, address, rcpt_options
        )


def test_a_greylisted_letter_waits_before_its_next_try_and_then_goes(settings):
    box = GreylistingMailbox()
    embassy = make_recipient(email="grey@example.org")
    action = make_letter_action(recipients=[embassy])
    _queued(action, embassy, 2)
    waiting = Letter.objects.filter(recipient=embassy)
    with smtp_server(box) as port:
        settings.MAILERS = smtp_mailers(port)
        # Workers come back at once, as often as a letter may be tried.
        for _ in range(settings.FOLLOW_UP_MAX_ATTEMPTS + 1):
            delivery.send_batch(chain=False)

        # Tried once, then left to wait: not spent in seconds, not failed.
        assert set(waiting.values_list("delivery_state", flat=True)) == {State.QUEUED}
        assert set(waiting.values_list("attempts", flat=True)) == {1}
        assert all(
            at > timezone.now()
            for at in waiting.values_list("next_attempt_at", flat=True)
        )

        box.greylisting = False
        waiting.update(next_attempt_at=timezone.now())  # the wait is over
        while delivery.send_batch(chain=False):
            pass

    assert [tos for _, tos, _ in box.envelopes] == [[embassy.email]] * 2
    assert set(waiting.values_list("delivery_state", flat=True)) == {State.SENT}


def test_the_sweep_puts_back_a_dead_workers_letters_and_fences_it_off(
    mailoutbox, settings
):
    embassy = make_recipient()
    action = make_letter_action(recipients=[embassy])
    _queued(action, embassy, 2)
    dead_workers = delivery.claim_batch(size=10)
    assert _states()[State.SENDING] == 2
    assert delivery.requeue_stale() == 0  # not stale yet

    settings.FOLLOW_UP_STALE_SENDING_AFTER = 0
    assert delivery.requeue_stale() == 2
    assert delivery.send_batch(chain=False) == 2
    # The worker thought dead sends on: its claims are no longer its own.
    assert delivery.deliver_batch(dead_workers) == 0
    assert len(mailoutbox) == 2
    assert set(Letter.objects.values_list("attempts", flat=True)) == {2}


def test_an_erased_writers_claimed_letter_is_not_sent(mailoutbox):
    embassy = make_recipient()
    action = make_letter_action(recipients=[embassy])
    [letter] = _queued(action, embassy, 1)
    claimed = delivery.claim_batch(size=10)

    services.erase_letters(signature_ids=[letter.signature_id])

    assert delivery.deliver_batch(claimed) == 0
    assert mailoutbox == []
    assert Letter.objects.get().delivery_state == State.FAILED


def _digest_text(email) -> str:
    message = message_from_bytes(email.message().as_bytes(), policy=policy.default)
    return message.get_content()


def test_a_digest_holds_the_days_count_and_every_letter_once(mailoutbox):
    first, second = make_recipient(), make_recipient()
    action = make_letter_action(recipients=[first, second], delivery_mode=DIGEST)
    _queued(action, first, 7)
    _queued(action, second, 2)
    digest_ids = digests.compose()
    assert len(digest_ids) == 2

    assert sum(digests.send_digest(pk) for pk in digest_ids) == 9
    assert sum(digests.send_digest(pk) for pk in digest_ids) == 0  # once

    by_recipient = {email.to[0]: email for email in mailoutbox}
    assert set(by_recipient) == {first.email, second.email}
    email = by_recipient[first.email]
    assert email.subject.startswith("7 letters about “Write to the embassy")
    text = _digest_text(email)
    assert "Today 7 supporters of “Write to the embassy" in text
    assert re.findall(r"This is letter (\d+)\.", text) == [str(n) for n in range(7)]
    assert "Letter 7 of 7" in text
    assert "Writer6 Example\nLyon\nFrance" in text
    assert _states()[State.SENT] == 9
    assert set(LetterDigest.objects.values_list("state", flat=True)) == {"sent"}


def test_a_digest_takes_the_daily_cap_and_the_rest_wait_for_the_next_day(mailoutbox):
    embassy = make_recipient()
    action = make_letter_action(recipients=[embassy], delivery_mode=DIGEST, daily_cap=3)
    _queued(action, embassy, 5)

    call_command("send_letter_digests")
    _queued(action, embassy, 1)  # after today's digest went
    call_command("send_letter_digests")

    assert len(mailoutbox) == 1
    assert "Today 3 supporters" in _digest_text(mailoutbox[0])
    assert _states()[State.QUEUED] == 3
    tomorrow = timezone.localdate() + timedelta(days=1)
    [digest_id] = digests.compose(day=tomorrow)
    assert digests.send_digest(digest_id) == 3
    assert _states()[State.SENT] == 6


def test_digests_wait_for_their_hour(settings, mailoutbox):
    embassy = make_recipient()
    action = make_letter_action(recipients=[embassy], delivery_mode=DIGEST)
    _queued(action, embassy, 2)
    settings.LETTER_DIGEST_HOUR = 24  # never today

    assert digests.run() == []
    assert delivery.send_batch(chain=False) == 0  # not individual mode

    settings.LETTER_DIGEST_HOUR = 0
    assert len(digests.run()) == 1  # and sent in-process
    assert len(mailoutbox) == 1


def test_while_the_mail_server_is_down_letters_wait_for_the_sweep(settings):
    embassy = make_recipient()
    action = make_letter_action(recipients=[embassy])
    _queued(action, embassy, 3)
    with smtp_server(Mailbox()) as port:
        settings.MAILERS = smtp_mailers(port)
    # Stopped: nothing listens there now.

    assert delivery.send_batch(chain=False) == 0
    assert _states()[State.SENDING] == 3
    settings.FOLLOW_UP_STALE_SENDING_AFTER = 0
    assert delivery.requeue_stale() == 3


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_sent_marks_go_with_the_end_of_data(settings):
    """On PostgreSQL over TCP, the pipelined commit (actions.core.bulk.marks)."""
    box = Mailbox()
    first, second = make_recipient(), make_recipient()
    individual = make_letter_action(recipients=[first])
    digest_mode = make_letter_action(recipients=[second], delivery_mode=DIGEST)
    _queued(individual, first, 3)
    _queued(digest_mode, second, 4)
    with smtp_server(box) as port:
        settings.MAILERS = smtp_mailers(port)
        assert delivery.send_batch(chain=False) == 3
        [digest_id] = digests.compose()
        assert digests.send_digest(digest_id) == 4
        assert digests.send_digest(digest_id) == 0

    assert [tos for _, tos, _ in box.envelopes] == [[first.email]] * 3 + [
        [second.email]
    ]
    assert "Letter 4 of 4" in box.envelopes[-1][2].get_payload(decode=True).decode()
    assert _states()[State.SENT] == 7
    assert LetterDigest.objects.get().state == LetterDigest.State.SENT


def test_in_development_a_digest_prints_in_the_terminal(settings):
    stream = io.StringIO()
    settings.MAILERS = {
        "default": {
            "BACKEND": "campaign.mail.ReadableConsoleBackend",
            "OPTIONS": {"stream": stream},
        }
    }
    embassy = make_recipient()
    action = make_letter_action(recipients=[embassy], delivery_mode=DIGEST)
    _queued(action, embassy, 2)

    call_command("send_letter_digests")

    shown = stream.getvalue().replace("\r\n", "\n")
    assert "Today 2 supporters of" in shown
    assert "This is letter 1." in shown
    assert "Writer1 Example\nLyon\nFrance" in shown


def test_letters_on_their_way_stay_in_the_public_count():
    embassy = make_recipient()
    action = make_letter_action(recipients=[embassy])
    _queued(action, embassy, 3)

    delivery.claim_batch(size=2)

    count = services.letter_counts([action.pk])[action.pk]
    assert (count.letters, count.recipients) == (3, 1)


def test_a_chain_stays_with_its_recipient_until_its_letters_are_claimed():
    first, second = make_recipient(), make_recipient()
    action = make_letter_action(recipients=[first, second])
    _queued(action, first, 2)
    _queued(action, second, 3)

    batch = delivery.claim_batch(size=2, prefer=(action.pk, second.pk))
    assert (batch.recipient_id, len(batch.rows)) == (second.pk, 2)
    batch = delivery.claim_batch(size=2, prefer=(action.pk, second.pk))
    assert (batch.recipient_id, len(batch.rows)) == (second.pk, 1)
    batch = delivery.claim_batch(size=2, prefer=(action.pk, second.pk))
    assert (batch.recipient_id, len(batch.rows)) == (first.pk, 2)
    assert delivery.claim_batch(size=2, prefer=(action.pk, second.pk)) is None


def test_an_approved_letter_of_a_confirmed_writer_goes(
    mailoutbox, django_capture_on_commit_callbacks
):
    embassy = make_recipient()
    action = make_letter_action(recipients=[embassy])
    [letter] = _queued(action, embassy, 1)
    Letter.objects.filter(pk=letter.pk).update(
        delivery_state=State.WAITING,
        queued_at=None,
        is_edited=True,
        moderation_state=Letter.Moderation.HELD,
        held_at=timezone.now(),
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.approve_letters(letter_ids=[letter.pk])

    assert [email.to for email in mailoutbox] == [[embassy.email]]
    assert Letter.objects.get().delivery_state == State.SENT
