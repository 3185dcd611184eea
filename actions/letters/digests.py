"""Digest mode: one email per recipient per day, holding the day's count and
every letter.

At LETTER_DIGEST_HOUR (the site's zone) the beat job gathers each
recipient's queued letters into that day's LetterDigest, up to the action's
daily cap (the rest wait for the next day's), and hands the digests to the
bulk queue; a later run catches up if beat was down at that hour, and
`manage.py send_letter_digests` does it now. A worker claims a digest like a
letter, reads its letters a few hundred at a time (a server-side cursor on
PostgreSQL) and writes them to the mail server as it reads, so any number
fits in little memory. The digest and its letters are marked sent in one
transaction fenced by the claim and committed with the end-of-data mark
(actions.core.bulk.marks): at most once, also through a killed worker.
"""

import logging
from datetime import date, datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from actions.core.bulk import throttle
from actions.core.bulk.marks import AutocommitMark, PipelinedMark, can_pipeline
from actions.core.bulk.transport import (
    Cancelled,
    ConnectionLost,
    Refused,
    SentMark,
    open_transport,
)
from actions.core.enqueue import enqueue
from actions.core.mail import writer
from actions.letters import delivery, emails
from actions.letters.models import Letter, LetterDigest

logger = logging.getLogger(__name__)

SEND_DIGEST = "actions.tasks.send_letter_digest"
State = LetterDigest.State
Queued = Letter.Delivery.QUEUED
# A server-side cursor's rows fetched at a time.
READ_CHUNK = 500


def is_digest_time(now: datetime | None = None) -> bool:
    """Whether today's digests are due: LETTER_DIGEST_HOUR has come."""
    return timezone.localtime(now).hour >= settings.LETTER_DIGEST_HOUR


def compose(*, day: date | None = None) -> list[int]:
    """Gather queued digest-mode letters into ``day``'s digest of their
    (action, recipient), up to the daily cap; recipients whose address is
    suppressed are left out. Returns the ids of digests waiting to go.
    Repeat-safe: a digest already on its way takes no more letters."""
    day = day or timezone.localdate()
    for action_id, recipient_id, cap in delivery.open_queues(delivery.Delivery.DIGEST):
        _fill(action_id, recipient_id, cap=cap, day=day)
    return waiting()


def waiting() -> list[int]:
    """Queued digests of recipients whose address is not suppressed."""
    rows = list(
        LetterDigest.objects.filter(state=State.QUEUED).values_list("pk", "recipient")
    )
    bounced = delivery.bounced_recipient_ids({recipient for _, recipient in rows})
    return [pk for pk, recipient in rows if recipient not in bounced]


@transaction.atomic
def _fill(action_id: int, recipient_id: int, *, cap: int, day: date) -> None:
    digest, _ = LetterDigest.objects.select_for_update().get_or_create(
        action_id=action_id, recipient_id=recipient_id, day=day
    )
    room = cap - digest.letter_count
    if digest.state != State.QUEUED or room <= 0:
        return  # the rest wait for the next day's
    letters = Letter.objects.filter(
        action=action_id, recipient=recipient_id, delivery_state=Queued, digest=None
    )
    ids = letters.order_by("pk").values("pk")[:room]
    added = Letter.objects.filter(pk__in=ids).update(digest=digest)
    LetterDigest.objects.filter(pk=digest.pk).update(
        letter_count=F("letter_count") + added
    )


def enqueue_digests(ids: list[int]) -> None:
    """Hand digests to the bulk queue; the beat job enqueues again whatever
    a broker outage kept back (a digest is claimed once)."""
    for pk in ids:
        try:
            enqueue(SEND_DIGEST, pk)
        except Exception:  # kombu raises several unrelated types when Redis is down
            logger.warning("Broker unavailable; digests wait for the sweep")
            return


def run() -> list[int]:
    """The beat job's part: compose today's digests once their hour has come
    and enqueue those waiting. Repeat-safe."""
    ids = compose() if is_digest_time() else waiting()
    enqueue_digests(ids)
    return ids


def send_digest(digest_id: int) -> int:
    """Claim a digest and send it; the letters sent (0 if it was not this
    worker's to send). Repeat-safe: the claim is exclusive."""
    digest = _claim(digest_id)
    if digest is None:
        return 0
    count = Letter.objects.filter(digest=digest, delivery_state=Queued).count()
    if count == 0:  # its letters were erased meanwhile
        LetterDigest.objects.filter(pk=digest.pk).update(
            state=State.FAILED, failed_at=timezone.now(), failure="no letters"
        )
        return 0
    if delivery.bounced_recipient_ids({digest.recipient_id}):
        _put_back(digest)  # waits for the suppression to be lifted
        return 0
    return _deliver(digest, count=count)


def _claim(digest_id: int) -> LetterDigest | None:
    claimed = LetterDigest.objects.filter(pk=digest_id, state=State.QUEUED).update(
        state=State.SENDING, sending_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return LetterDigest.objects.select_related("action", "recipient").get(pk=digest_id)


def _deliver(digest: LetterDigest, *, count: int) -> int:
    rows = (
        Letter.objects.filter(digest=digest, delivery_state=Queued)
        .order_by("pk")
        .values_list(*emails.DIGEST_FIELDS)
        .iterator(chunk_size=READ_CHUNK)
    )
    title = digest.action.title
    to = digest.recipient.email
    parts = emails.digest_parts(count=count, title=title, rows=rows)
    subject = emails.digest_subject(digest, count=count, title=title)
    throttle.wait_for_turn(1)
    try:
        with open_transport() as transport:
            data = writer().stream_text(subject=subject, to=to, headers={}, parts=parts)
            transport.send_data(to=to, data=data, mark=_mark(digest))
    except Cancelled:
        return 0
    except Refused as exc:
        _refused(digest, exc)
        return 0
    except ConnectionLost as exc:
        if not exc.committed:
            logger.warning("Letter digest %s: server unreachable (%r)", digest.pk, exc)
            _put_back(digest)
            return 0
    return count


def _put_back(digest: LetterDigest) -> None:
    LetterDigest.objects.filter(
        pk=digest.pk, state=State.SENDING, attempts=digest.attempts
    ).update(state=State.QUEUED)


def _mark(digest: LetterDigest) -> SentMark:
    if not can_pipeline():
        return AutocommitMark(lambda: _mark_sent(digest))
    digests = connection.ops.quote_name(LetterDigest._meta.db_table)
    letters = connection.ops.quote_name(Letter._meta.db_table)
    # Integers and our own constants only: safe to inline. One statement, so
    # the digest's fence and its letters' mark commit together.
    return PipelinedMark(
        f"WITH d AS (UPDATE {digests} SET state = '{State.SENT.value}', "
        f"sent_at = now() WHERE id = {int(digest.pk)} "
        f"AND state = '{State.SENDING.value}' "
        f"AND attempts = {int(digest.attempts)} RETURNING id) "
        f"UPDATE {letters} SET delivery_state = '{Letter.Delivery.SENT.value}', "
        "sent_at = now() WHERE digest_id IN (SELECT id FROM d) "
        f"AND delivery_state = '{Queued.value}'"
    )


@transaction.atomic
def _mark_sent(digest: LetterDigest) -> bool:
    now = timezone.now()
    fenced = LetterDigest.objects.filter(
        pk=digest.pk, state=State.SENDING, attempts=digest.attempts
    ).update(state=State.SENT, sent_at=now)
    if not fenced:
        return False
    Letter.objects.filter(digest=digest, delivery_state=Queued).update(
        delivery_state=Letter.Delivery.SENT, sent_at=now
    )
    return True


@transaction.atomic
def _refused(digest: LetterDigest, exc: Refused) -> None:
    """A hard refusal suppresses the address; a temporary one is tried again,
    up to FOLLOW_UP_MAX_ATTEMPTS. Letters of a digest that will not go
    again are queued for a later one: kept, not lost."""
    held = State.SENT if exc.committed else State.SENDING
    rows = LetterDigest.objects.filter(
        pk=digest.pk, state=held, attempts=digest.attempts
    )
    if exc.committed:
        Letter.objects.filter(
            digest=digest, delivery_state=Letter.Delivery.SENT
        ).update(delivery_state=Queued, sent_at=None)
    if 400 <= exc.code < 500 and digest.attempts < settings.FOLLOW_UP_MAX_ATTEMPTS:
        rows.update(state=State.QUEUED, sent_at=None)
        return
    if exc.code >= 500:
        delivery.bounced(
            email=digest.recipient.email,
            description=str(exc),
            event=f"letter-digest-{digest.pk}",
        )
    if rows.update(
        state=State.FAILED,
        sent_at=None,
        failed_at=timezone.now(),
        failure=str(exc)[:300],
    ):
        Letter.objects.filter(digest=digest, delivery_state=Queued).update(digest=None)
