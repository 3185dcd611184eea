"""Sample Mailgun tracking events, signed as Mailgun signs them.

Mailgun posts JSON: {"signature": {"timestamp", "token", "signature"},
"event-data": {...}}, where signature is the hex HMAC-SHA256 of the timestamp
followed by the token, keyed with the account's webhook signing key.
"""

import hashlib
import hmac
import secrets
import time

SIGNING_KEY = "test-webhook-signing-key"


def sign(timestamp: str, token: str, key: str = SIGNING_KEY) -> str:
    message = f"{timestamp}{token}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def signed(
    data: dict, key: str = SIGNING_KEY, token: str | None = None, age: float = 0
) -> dict:
    """The webhook body for ``data``, signed with ``key`` ``age`` seconds ago."""
    timestamp = str(int(time.time() - age))
    token = token or secrets.token_hex(25)
    return {
        "signature": {
            "timestamp": timestamp,
            "token": token,
            "signature": sign(timestamp, token, key),
        },
        "event-data": data,
    }


def _event(kind: str, recipient: str, **fields: object) -> dict:
    return {
        "event": kind,
        "id": secrets.token_urlsafe(16),
        "timestamp": time.time(),
        "recipient": recipient,
        "message": {"headers": {"message-id": "20260101.1@mg.example.org"}},
    } | fields


def hard_bounce(recipient: str) -> dict:
    status = {"code": 550, "message": "5.1.1 The email account does not exist"}
    return _event(
        "failed",
        recipient,
        severity="permanent",
        reason="bounce",
        **{"delivery-status": status},
    )


def soft_bounce(recipient: str) -> dict:
    status = {"code": 452, "message": "4.2.2 Mailbox full, try again later"}
    return _event(
        "failed",
        recipient,
        severity="temporary",
        reason="generic",
        **{"delivery-status": status},
    )


def complaint(recipient: str) -> dict:
    return _event("complained", recipient)


def delivered(recipient: str) -> dict:
    status = {"code": 250, "message": "OK"}
    return _event("delivered", recipient, **{"delivery-status": status})
