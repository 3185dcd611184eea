"""Enrolling an administrator's TOTP device (the admin's second factor), their
backup codes, and enrolling oneself at first login."""

import base64
import io
import time
from base64 import b32encode
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEVICE_NAME = "authenticator app"
BACKUP_DEVICE_NAME = "backup codes"
BACKUP_CODE_COUNT = 10
# Self-enrolment: the page lives this long after the password, in that session,
# and allows this many wrong codes before the password is asked for again.
ENROLMENT_SECONDS = 10 * 60
ENROLMENT_ATTEMPTS = 5
ENROLMENT_SESSION_KEY = "staff_enrolment"


@transaction.atomic
def enrol_totp_device(*, user: AbstractBaseUser) -> TOTPDevice:
    """Give ``user`` a new confirmed TOTP device, replacing any earlier ones.

    Running it again invalidates the previous key (a lost phone is re-enrolled
    this way). The caller shows ``device.config_url`` (an ``otpauth://`` URI)
    to the user once; it holds the secret.
    """
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)


@transaction.atomic
def issue_backup_codes(*, user: AbstractBaseUser) -> list[str]:
    """Replace ``user``'s backup codes with fresh ones and return them.

    Each code opens the admin once in place of a TOTP code. They are shown
    to the person once, when issued; nothing shows them again.
    """
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(
        user=user, name=BACKUP_DEVICE_NAME, confirmed=True
    )
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=code) for code in codes
    )
    return codes


def normalise_code(code: str) -> str:
    """A typed code as stored: no spaces or dashes, lower case."""
    return "".join(code.split()).replace("-", "").lower()


def manual_key(device: TOTPDevice, *, grouped: bool = False) -> str:
    """The device's secret in base32, for typing into an app by hand
    (``grouped``: in groups of four, easier to read)."""
    key = b32encode(device.bin_key).decode("ascii").rstrip("=")
    if grouped:
        return " ".join(key[i : i + 4] for i in range(0, len(key), 4))
    return key


def enrolment_instructions(device: TOTPDevice) -> str:
    """Plain text telling a person how to add the device to an authenticator."""
    return (
        f"Add this to an authenticator app (any TOTP app; nothing is sent "
        f"anywhere):\n  {device.config_url}\n"
        f"or type the key by hand: {manual_key(device)}\n"
        f"The admin login then asks for the 6-digit code the app shows."
    )


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The device's otpauth URI as an inline SVG QR code (a data: URI)."""
    out = io.BytesIO()
    write_qrcode_image(device.config_url, out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


# Self-enrolment at first login


@dataclass(frozen=True)
class Enrolment:
    user: "User"
    device: TOTPDevice


def has_confirmed_device(user: AbstractBaseUser) -> bool:
    return any(devices_for_user(user, confirmed=True))


@transaction.atomic
def begin_self_enrolment(*, session: SessionBase, user: AbstractBaseUser) -> None:
    """Start enrolment for ``user``, who just proved their password in this
    session and has no confirmed device.

    A new, unconfirmed TOTP device is made (earlier unconfirmed ones go); the
    session gets a new key and remembers the enrolment for
    ``ENROLMENT_SECONDS``. A user with a confirmed device is refused.
    """
    if has_confirmed_device(user):
        raise ValueError("The user already has a confirmed device.")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    session.cycle_key()
    session[ENROLMENT_SESSION_KEY] = {
        "user": user.pk,
        "device": device.pk,
        "until": time.time() + ENROLMENT_SECONDS,
        "failures": 0,
    }


def pending_enrolment(session: SessionBase) -> Enrolment | None:
    """The enrolment this session began, if it is still open.

    Open means: begun less than ``ENROLMENT_SECONDS`` ago, with fewer than
    ``ENROLMENT_ATTEMPTS`` wrong codes, for an active staff user who still has
    no confirmed device. Otherwise it is forgotten and None returned.
    """
    state = session.get(ENROLMENT_SESSION_KEY)
    if not isinstance(state, dict):
        return None
    user = (
        get_user_model()
        .objects.filter(pk=int(state.get("user") or 0), is_active=True, is_staff=True)
        .first()
    )
    device = TOTPDevice.objects.filter(
        pk=int(state.get("device") or 0), user=user, confirmed=False
    ).first()
    if (
        user is None
        or device is None
        or time.time() > state.get("until", 0)
        or state.get("failures", 0) >= ENROLMENT_ATTEMPTS
        or has_confirmed_device(user)
    ):
        end_self_enrolment(session)
        return None
    return Enrolment(user=user, device=device)


def end_self_enrolment(session: SessionBase) -> None:
    session.pop(ENROLMENT_SESSION_KEY, None)


def count_enrolment_failure(session: SessionBase) -> None:
    state = session[ENROLMENT_SESSION_KEY]
    session[ENROLMENT_SESSION_KEY] = state | {"failures": state["failures"] + 1}


@transaction.atomic
def confirm_self_enrolment(*, enrolment: Enrolment, code: str) -> list[str] | None:
    """Confirm the enrolment's device with a current code from the app.

    Returns the user's new backup codes (to show once), or None when the code
    is wrong or the user meanwhile got a confirmed device: an existing device
    is never replaced this way.
    """
    user_model = get_user_model()
    # One confirmation at a time per user.
    user_model.objects.select_for_update().filter(pk=enrolment.user.pk).first()
    if has_confirmed_device(enrolment.user):
        return None
    device = TOTPDevice.objects.select_for_update().get(pk=enrolment.device.pk)
    if device.confirmed or not device.verify_token(normalise_code(code)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return issue_backup_codes(user=enrolment.user)
