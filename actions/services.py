"""Signing and confirming: the workflows of a petition's supporters."""

import logging
from contextlib import nullcontext
from functools import partial

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from actions.abuse import screening
from actions.abuse.clientlimits import over_client_limit
from actions.consent import services as consent
from actions.consent.models import ConsentRecord, ConsentWording
from actions.core.canonical import canonical_email
from actions.core.enqueue import enqueue
from actions.core.tokens import read_confirmation_token, read_thanks_token
from actions.counts import add_to_count, forget_count
from actions.insert import insert_new_signature
from actions.letters import services as letters
from actions.models import Petition, Signature
from actions.outbox.models import OutboundEmail
from actions.outbox.services import enqueue_email, queue_email
from statements.models import Statement

logger = logging.getLogger(__name__)

# Other petitions the thanks page offers, of each kind.
NEXT_STEPS = 5
SIGN_AGAIN = "actions.tasks.sign_again"
# What a signing of a known address hands to the workers.
ATTEMPT_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "canonical_email",
    "country",
    "wants_updates",
    "consent_version",
    "source",
    "client_hash",
    "revision_id",
    "language",
]


class PetitionClosed(Exception):
    """The petition does not accept signatures any more."""


class OneMoreStep(Exception):
    """A weak signal (actions.abuse.screening): the attempt is not taken in
    yet; its supporter is asked for one more step (actions.abuse.challenge),
    after which signing is called again with ``stepped=True``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def sign_petition(
    *,
    petition: Petition,
    first_name: str,
    last_name: str,
    email: str,
    country: str,
    wants_updates: bool,
    consent_wording: ConsentWording,
    source: str = "",
    client_ip: str = "",
    honeypot: str = "",
    fill_seconds: float | None = None,
    stepped: bool = False,
    letter: dict[str, str] | None = None,
    language: str = "",
) -> Signature:
    """Record a pending signature, the updates box's answer beside the wording
    shown, and queue the right email.

    Signing again is not an error and looks the same: a pending signature gets
    its confirmation again, a confirmed one an "already signed" note, up to the
    per-signature cap. An attempt that screening finds suspect (actions.abuse;
    ``fill_seconds`` is None when it did not come through the form) looks the
    same too, but is kept as suspect and emails no one; past the cap of
    suspect signatures per client and petition it is not stored at all (the
    signature returned is unsaved). A later clean attempt for the address
    takes a suspect signature over (see _sign_again). Raises OneMoreStep on a
    weak signal, unless the attempt passed that step (``stepped``), and
    PetitionClosed if the petition is not open. On a letter action, the
    supporter's ``letter`` (actions.letters.forms) is stored with a new
    signature, one row per recipient, in the same transaction. ``language``
    is the page's (request.LANGUAGE_CODE; the original when empty): the
    signature's emails and follow-ups go in it.
    """
    if not petition.is_open:
        raise PetitionClosed
    canonical = canonical_email(email)
    screened = screening.screen(
        petition=petition,
        client_ip=client_ip,
        email=canonical,
        honeypot=honeypot,
        fill_seconds=fill_seconds,
        stepped=stepped,
    )
    if screened.weak:
        raise OneMoreStep(screened.reason)
    signature = Signature(
        petition=petition,
        first_name=first_name,
        last_name=last_name,
        email=email,
        canonical_email=canonical,
        country=country,
        wants_updates=wants_updates,
        consent_version=str(consent_wording.version) if wants_updates else "",
        source=source,
        client_hash=screened.client_hash,
        emails_queued=0 if screened.reason else 1,
        revision_id=petition.current_revision_id,
        language=language or settings.LANGUAGE_CODE,
        **_suspect_fields(screened.reason),
    )
    outbound = None
    if not screened.reason:
        outbound = OutboundEmail(
            kind=OutboundEmail.Kind.CONFIRM,
            to_email=email,
            signature=signature,
            language=signature.language,
        )
    record = consent.signing_record(
        wants_updates=wants_updates, wording=consent_wording
    )
    if screened.reason and not screening.suspect_allowed(
        petition=petition, client_hash=screened.client_hash
    ):
        return signature  # over the cap: nothing more is stored
    # A petition pays nothing for letters: no query, no transaction.
    drafts = []
    if letter is not None and petition.is_letter:
        drafts = letters.draft_letters(
            petition=petition, country=country, letter=letter
        )
    with transaction.atomic() if drafts else nullcontext():
        inserted, recorded, signed_before = insert_new_signature(
            signature, outbound, record
        )
        if inserted and drafts:
            letters.save_letters(signature=signature, letters=drafts)
    if inserted:
        if not recorded:
            consent.record_signing_again(signature=signature, record=record)
        if outbound is not None:
            transaction.on_commit(partial(enqueue_email, outbound.pk), robust=True)
        return signature
    # Not inserted: the address signed already, or the petition closed. When
    # the statement did not see the address on the open petition (closed, or
    # a race with its own other submission), the database says which.
    if not signed_before and not Petition.objects.open().filter(pk=petition.pk):
        raise PetitionClosed  # closed since the caller looked it up
    if not screened.reason:
        # The same work in the request as a new address's: one statement and
        # one message to the workers, which do the rest (sign_again) after the
        # response, so the time taken does not tell whether the address signed.
        transaction.on_commit(
            partial(
                _enqueue_sign_again, attempt=signature, record=record, letter=letter
            ),
            robust=True,
        )
    return signature


def _enqueue_sign_again(
    *, attempt: Signature, record: ConsentRecord, letter: dict[str, str] | None
) -> None:
    """Hand a signing of a known address to the workers (never raises: the
    supporter can ask for the email again on the page that follows)."""
    assert record.wording is not None  # a signing's record names its wording
    fields: dict[str, object] = {
        name: getattr(attempt, name) for name in ATTEMPT_FIELDS
    }
    fields["country"] = str(fields["country"])
    if letter is not None:
        fields["letter"] = letter  # a letter action's: see _take_over_suspect
    try:
        # The wording by its text, not its row id: the row is found (or made
        # again) by the worker, whatever the web process had cached.
        wording = {"text": record.wording.text, "language": record.wording.language}
        enqueue(SIGN_AGAIN, attempt.petition_id, fields, wording)
    except Exception:  # kombu raises several unrelated types when Redis is down
        logger.warning("Broker unavailable; a signing of a known address dropped")


def sign_again(
    *, petition_id: int, attempt_fields: dict[str, object], wording: dict[str, str]
) -> None:
    """A clean signing of an address that had signed this petition, after the
    response (a task): the right email to the address's owner, or the suspect
    signature taken over. Nothing when the petition closed since."""
    petition = Petition.objects.get(pk=petition_id)
    fields = dict(attempt_fields)
    letter = fields.pop("letter", None)
    attempt = Signature(petition=petition, **fields)
    shown = ConsentWording(
        text=wording["text"],
        language=wording["language"],
        text_hash=consent.text_hash(wording["text"]),
    )
    record = consent.signing_record(
        wants_updates=attempt.wants_updates, wording=consent.refresh_wording(shown)
    )
    try:
        _sign_again(
            petition=petition,
            canonical=attempt.canonical_email,
            suspect=False,
            attempt=attempt,
            record=record,
            letter=letter,  # type: ignore[arg-type]  # JSON from the form's dict
        )
    except PetitionClosed:
        return


def _suspect_fields(reason: str) -> dict[str, object]:
    if not reason:
        return {}
    return {
        "state": Signature.State.SUSPECT,
        "suspect_reason": reason,
        "suspected_at": timezone.now(),
    }


@transaction.atomic
def _sign_again(
    *,
    petition: Petition,
    canonical: str,
    suspect: bool,
    attempt: Signature,
    record: ConsentRecord,
    letter: dict[str, str] | None = None,
) -> Signature:
    """The address signed already: send its owner the right email, up to the cap.

    Nothing is sent, and nothing changes, when this attempt is suspect, or
    the signature was invalidated: a script cannot mail-bomb or discredit a
    real signer. A clean attempt for an address whose signature is suspect
    takes it over: the signature becomes this attempt's, pending, and its
    confirmation goes to the address (double opt-in proves the mailbox), so
    a script that signed with someone's address first cannot keep them out.
    Raises PetitionClosed if it was the petition's state that stopped the insert.
    """
    signature = Signature.objects.filter(
        petition=petition, canonical_email=canonical
    ).first()
    if signature is None or not Petition.objects.open().filter(pk=petition.pk):
        raise PetitionClosed  # closed since the caller looked it up
    if suspect:
        return signature
    if signature.state == Signature.State.SUSPECT:
        return _take_over_suspect(
            signature=signature, attempt=attempt, record=record, letter=letter
        )
    if _may_email(signature) and signature.reserve_email():
        # The owner of the address gets the email, whoever typed it this time.
        queue_email(
            kind=_reply_kind(signature), to_email=signature.email, signature=signature
        )
    return signature


# What a clean attempt writes over a suspect signature of its address; when and
# why it was suspect stay, as when staff release one.
TAKEOVER_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "country",
    "wants_updates",
    "consent_version",
    "source",
    "client_hash",
    "revision_id",
    "language",
]


def _take_over_suspect(
    *,
    signature: Signature,
    attempt: Signature,
    record: ConsentRecord,
    letter: dict[str, str] | None = None,
) -> Signature:
    """Make a suspect signature this clean attempt's, pending, and queue its
    confirmation. Repeat-safe: only a signature still suspect changes. On a
    letter action the letters become this attempt's too: what a script wrote
    never goes out under the address owner's name."""
    values = {name: getattr(attempt, name) for name in TAKEOVER_FIELDS}
    changed = Signature.objects.filter(
        pk=signature.pk, state=Signature.State.SUSPECT
    ).update(state=Signature.State.PENDING, emails_queued=1, **values)
    if not changed:
        return signature  # taken over or released a moment ago
    signature.refresh_from_db()
    if signature.petition.is_letter:
        drafts = []
        if letter is not None:
            drafts = letters.draft_letters(
                petition=signature.petition,
                country=str(signature.country),
                letter=letter,
            )
        letters.replace_letters(signature=signature, letters=drafts)
    consent.record_signing_again(signature=signature, record=record)
    queue_email(
        kind=OutboundEmail.Kind.CONFIRM, to_email=signature.email, signature=signature
    )
    return signature


def _may_email(signature: Signature) -> bool:
    """Whether signing again may bring this signature's owner an email."""
    return signature.state in {Signature.State.PENDING, Signature.State.CONFIRMED}


def _reply_kind(signature: Signature) -> str:
    if signature.state == Signature.State.CONFIRMED:
        return OutboundEmail.Kind.ALREADY_SIGNED
    return OutboundEmail.Kind.CONFIRM


def signature_from_token(token: str) -> Signature:
    """The signature a confirmation token names.

    Raises signing.SignatureExpired, signing.BadSignature or
    Signature.DoesNotExist.
    """
    pk = read_confirmation_token(token)
    # An erased signature is not confirmed after the fact: counts stay as they were.
    return Signature.objects.select_related("petition").get(pk=pk, anonymised_at=None)


@transaction.atomic
def confirm_signature(*, signature: Signature) -> bool:
    """Confirm a signature and count it. Safe to repeat: False the second time."""
    if not signature.confirm():
        return False
    add_to_count(petition_id=signature.petition_id, delta=1)
    if signature.petition.is_letter:
        letters.letters_confirmed(signature=signature)
    # The supporter's next page shows their signature counted.
    forget_count(petition_id=signature.petition_id)
    return True


def resend_confirmation(*, petition: Petition, email: str, client_ip: str = "") -> None:
    """Send the right email again to whoever owns this address, if they signed
    (and this client asked at most CLIENT_RESENDS_PER_HOUR times in the hour).

    Says nothing about whether they did: the caller shows the same page.
    """
    if over_client_limit(
        action="resend",
        client_ip=client_ip,
        limit=settings.CLIENT_RESENDS_PER_HOUR,
        seconds=3600,
    ):
        return
    signature = Signature.objects.filter(
        petition=petition, canonical_email=canonical_email(email)
    ).first()
    if signature is None or not _may_email(signature):
        return
    with transaction.atomic():
        if not signature.reserve_email():
            return
        queue_email(
            kind=_reply_kind(signature), to_email=signature.email, signature=signature
        )


def is_confirmed_signer(*, petition: Petition, token: str) -> bool:
    """Whether a thanks link's token names a confirmed signature of this
    petition, still held. Reads only; a bad or expired token is False."""
    if not token:
        return False
    try:
        pk = read_thanks_token(token)
    except signing.BadSignature:
        return False
    return Signature.objects.filter(
        pk=pk, petition=petition, state=Signature.State.CONFIRMED, anonymised_at=None
    ).exists()


def next_steps(*, petition: Petition) -> dict[str, list[Petition]]:
    """What a supporter can sign next: the statement's other open petitions,
    and open petitions of other public statements on any of its topics."""
    open_petitions = Petition.objects.open().select_related("statement", "target")
    same_statement = open_petitions.filter(statement=petition.statement_id).exclude(
        pk=petition.pk
    )
    on_its_topics = Statement.objects.published().filter(
        topics__in=petition.statement.topics.values("pk")
    )
    same_topics = (
        open_petitions.filter(statement__in=on_its_topics)
        .exclude(statement=petition.statement_id)
        .order_by("-statement__publish_at", "position", "pk")
    )
    return {
        "statement": list(same_statement[:NEXT_STEPS]),
        "topics": list(same_topics[:NEXT_STEPS]),
    }
