"""Checking a receipt (its JSON text) against the published daily roots.
Reads only; malformed input is an invalid receipt, never an error."""

import json
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from actions.receipts import merkle
from actions.receipts.models import DailyRoot

RECEIPT_KIND = "signature-receipt"
MAX_PATH = 64


@dataclass
class Verdict:
    is_valid: bool
    message: str
    day: date | None = None


def check_receipt(text: str) -> Verdict:
    """Whether a receipt (JSON text) leads to the root published for its day.
    Reads only; malformed input is an invalid receipt, never an error."""
    parsed = _parse_receipt(text)
    if parsed is None:
        return Verdict(
            False, _("This is not a receipt from this site: it could not be read.")
        )
    day, value, position, size, siblings = parsed
    daily = DailyRoot.objects.filter(day=day).first()
    if daily is None:
        message = _(
            "No root is published for %(day)s, so this receipt cannot be valid."
        )
        return Verdict(False, message % {"day": day.isoformat()}, day)
    root = merkle.root_from_path(value, position, size, siblings)
    if size != daily.size or root is None or root.hex() != daily.root:
        message = _(
            "Invalid: this receipt does not lead to the root published for "
            "%(day)s. It was changed, or it is not from this site."
        )
        return Verdict(False, message % {"day": day.isoformat()}, day)
    message = _(
        "Valid: this signature is one of the %(size)s signatures in the root "
        "published for %(day)s."
    )
    return Verdict(True, message % {"size": size, "day": day.isoformat()}, day)


def _parse_receipt(text: str) -> tuple[date, bytes, int, int, list[bytes]] | None:
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("kind") != RECEIPT_KIND:
            return None
        position, size, path = data["position"], data["size"], data["path"]
        if not all(_is_count(n) for n in (position, size)):
            return None
        if not isinstance(path, list) or len(path) > MAX_PATH:
            return None
        return (
            date.fromisoformat(data["day"]),
            _hash(data["leaf"]),
            position,
            size,
            [_hash(sibling) for sibling in path],
        )
    except (ValueError, KeyError, TypeError, RecursionError):
        return None


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _hash(value: object) -> bytes:
    if not isinstance(value, str) or len(value) != 2 * merkle.HASH_SIZE:
        raise ValueError("Not a hash")
    return bytes.fromhex(value)
