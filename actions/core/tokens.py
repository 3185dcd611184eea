"""The signed tokens in the site's links, one salt per purpose.

Each link carries the id it names, signed with ``django.core.signing`` under
a salt of its own, so a token made for one purpose is refused for any other.
The salts never change: links already sent must keep working. Reading a token
raises ``signing.BadSignature`` (``signing.SignatureExpired`` past its age);
what the id names is for the caller to look up.
"""

from django.conf import settings
from django.core import signing

CONFIRM_SALT = "actions.signature.confirm"
DATA_LINK_SALT = "actions.privacy.data_link"
UNSUBSCRIBE_SALT = "actions.followups.unsubscribe"
DOWNLOAD_SALT = "actions.export.download"
THANKS_SALT = "actions.signature.thanks"
DELIVERY_PACK_SALT = "actions.deliverypack.download"
RECEIPT_SALT = "actions.receipts.receipt"


def make_confirmation_token(signature_id: int) -> str:
    return signing.dumps(signature_id, salt=CONFIRM_SALT, compress=False)


def read_confirmation_token(token: str) -> int:
    """The signature id a confirmation link names."""
    return _signature_id(
        signing.loads(token, salt=CONFIRM_SALT, max_age=settings.CONFIRMATION_MAX_AGE)
    )


def make_thanks_token(signature_id: int) -> str:
    return signing.dumps(signature_id, salt=THANKS_SALT, compress=False)


def read_thanks_token(token: str) -> int:
    """The signature id a thanks page's link names."""
    return _signature_id(
        signing.loads(token, salt=THANKS_SALT, max_age=settings.THANKS_LINK_MAX_AGE)
    )


def make_receipt_token(signature_id: int) -> str:
    return signing.dumps(signature_id, salt=RECEIPT_SALT, compress=False)


def read_receipt_token(token: str) -> int:
    """The signature id a receipt link names."""
    return _signature_id(
        signing.loads(token, salt=RECEIPT_SALT, max_age=settings.RECEIPT_LINK_MAX_AGE)
    )


def make_data_token(signature_id: int) -> str:
    return signing.dumps(signature_id, salt=DATA_LINK_SALT, compress=False)


def read_data_token(token: str) -> int:
    """The signature id a "Your data" link names."""
    return _signature_id(
        signing.loads(token, salt=DATA_LINK_SALT, max_age=settings.DATA_LINK_MAX_AGE)
    )


def make_unsubscribe_token(signature_id: int) -> str:
    """A signed, timestamped token naming the signature, for its links."""
    return _unsubscribe_signer().sign(str(signature_id))


def read_unsubscribe_token(token: str) -> int:
    """The signature id an unsubscribe link names."""
    value = _unsubscribe_signer().unsign(token, max_age=settings.UNSUBSCRIBE_MAX_AGE)
    if not value.isdigit():
        raise signing.BadSignature("Not a signature id")
    return int(value)


def make_download_token(*, export_id: int, user_id: int) -> str:
    """A link token for this user and this export, valid EXPORT_LINK_MAX_AGE."""
    return signing.dumps({"export": export_id, "user": user_id}, salt=DOWNLOAD_SALT)


def read_download_token(token: str) -> tuple[int, int]:
    """The (export id, user id) a download link names."""
    data = signing.loads(
        token, salt=DOWNLOAD_SALT, max_age=settings.EXPORT_LINK_MAX_AGE
    )
    if not isinstance(data, dict):
        raise signing.BadSignature("Not a download token")
    return data["export"], data["user"]


def make_delivery_pack_token(*, pack_id: int, user_id: int) -> str:
    """A link token for this user and this delivery pack."""
    return signing.dumps({"pack": pack_id, "user": user_id}, salt=DELIVERY_PACK_SALT)


def read_delivery_pack_token(token: str) -> tuple[int, int]:
    """The (pack id, user id) a delivery pack's link names, valid
    EXPORT_LINK_MAX_AGE like an export's."""
    data = signing.loads(
        token, salt=DELIVERY_PACK_SALT, max_age=settings.EXPORT_LINK_MAX_AGE
    )
    if not isinstance(data, dict) or not {"pack", "user"} <= data.keys():
        raise signing.BadSignature("Not a delivery pack token")
    return data["pack"], data["user"]


def _unsubscribe_signer() -> signing.TimestampSigner:
    # A plain string value: a follow-up signs one per email, and dumps()'s
    # JSON and base64 would double the cost.
    return signing.TimestampSigner(salt=UNSUBSCRIBE_SALT)


def _signature_id(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise signing.BadSignature("Not a signature id")
    return value
