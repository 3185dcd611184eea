"""One more step for a signing attempt with a weak signal: a proof of work,
self-hosted, with no CAPTCHA and no third party.

The server issues a challenge: a signed string naming the petition, a hash of
the form's data (carried signed in the step page, so nothing is lost and
nothing is stored), a random salt, a difficulty and the time it was issued.
The browser (static/js/step.js) finds a nonce such that
SHA-256(challenge ":" nonce) starts with ``difficulty`` zero bits, about a
second's work, and sends the form. The server checks it with one hash. Without
JavaScript the page shows a button, and pressing it passes once
``ABUSE_STEP_WAIT_SECONDS`` have gone by since the challenge was issued, as its
signed time says. A challenge that passed is used up: a second use is refused
(a key set once in the default cache, Redis in production, until the challenge
expires anyway).
"""

import enum
import hashlib
import logging
import secrets
import time
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import caches

logger = logging.getLogger(__name__)

SALT = "actions.abuse.challenge"
DATA_SALT = "actions.abuse.challenge.data"
# The form fields a step carries to the signing it completes.
CARRIED_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "country",
    "wants_updates",
    "source",
    # A letter action's letter (subject, body, postal town); None on a petition.
    "letter",
)
MAX_NONCE_LENGTH = 20


class Outcome(enum.Enum):
    PASSED = "passed"
    TOO_EARLY = "too_early"  # no proof, and pressed before the wait was over
    EXPIRED = "expired"
    INVALID = "invalid"  # tampered with, or for another petition or form
    USED = "used"  # passed once already


def carry(fields: dict[str, Any]) -> str:
    """The form's data, signed, for the step page to send back."""
    return signing.dumps(
        {name: fields.get(name) for name in CARRIED_FIELDS},
        salt=DATA_SALT,
        compress=True,
    )


def read_carried(carried: str) -> dict[str, Any]:
    """The form's data a step page sent back. Raises signing.BadSignature
    (signing.SignatureExpired when older than the challenge may be)."""
    fields = signing.loads(
        carried, salt=DATA_SALT, max_age=settings.ABUSE_STEP_MAX_AGE_SECONDS
    )
    if not isinstance(fields, dict) or set(fields) != set(CARRIED_FIELDS):
        raise signing.BadSignature("Not a step's data")
    return fields


def _data_hash(carried: str) -> str:
    return hashlib.sha256(carried.encode()).hexdigest()[:32]


def issue(*, petition_id: int, carried: str, at: float | None = None) -> str:
    """A new challenge for this petition and this carried data."""
    issued_ms = int((time.time() if at is None else at) * 1000)
    value = ":".join(
        [
            str(petition_id),
            _data_hash(carried),
            secrets.token_hex(8),
            str(settings.ABUSE_POW_DIFFICULTY),
            str(issued_ms),
        ]
    )
    return signing.Signer(salt=SALT).sign(value)


def difficulty(challenge: str) -> int:
    """The leading zero bits a challenge asks for (0 for a malformed one)."""
    try:
        return int(challenge.split(":")[3])
    except (IndexError, ValueError):
        return 0


def is_solution(challenge: str, nonce: str, bits: int) -> bool:
    """Whether SHA-256(challenge ":" nonce) starts with ``bits`` zero bits."""
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    return int.from_bytes(digest) >> (256 - bits) == 0


def check(*, challenge: str, petition_id: int, carried: str, nonce: str) -> Outcome:
    """Whether this answer to a challenge passes; a passing one is used up."""
    try:
        value = signing.Signer(salt=SALT).unsign(challenge)
        petition, data_hash, _, bits_text, issued_text = value.split(":")
        bits, issued = int(bits_text), int(issued_text) / 1000
    except (signing.BadSignature, ValueError):
        return Outcome.INVALID
    if petition != str(petition_id) or data_hash != _data_hash(carried):
        return Outcome.INVALID
    age = time.time() - issued
    if age > settings.ABUSE_STEP_MAX_AGE_SECONDS:
        return Outcome.EXPIRED
    solved = (
        0 < len(nonce) <= MAX_NONCE_LENGTH
        and nonce.isascii()
        and nonce.isdigit()
        and is_solution(challenge, nonce, bits)
    )
    if not solved and age < settings.ABUSE_STEP_WAIT_SECONDS:
        return Outcome.TOO_EARLY
    return Outcome.PASSED if _use_up(challenge) else Outcome.USED


def _use_up(challenge: str) -> bool:
    """Mark a challenge used; False if it was already. A cache outage lets it
    through (logged): losing a person is worse than one replay."""
    key = "campaign:step-used:" + hashlib.sha256(challenge.encode()).hexdigest()
    try:
        return bool(
            caches["default"].add(key, 1, settings.ABUSE_STEP_MAX_AGE_SECONDS + 60)
        )
    except Exception:  # the cache backend's errors when Redis is down
        logger.warning("Step store unavailable; a challenge is not used up")
        return True
