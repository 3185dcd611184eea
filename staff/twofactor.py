"""Enrolling an administrator's TOTP device (the admin's second factor)."""

from base64 import b32encode

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "authenticator app"


@transaction.atomic
def enrol_totp_device(*, user: AbstractBaseUser) -> TOTPDevice:
    """Give ``user`` a new confirmed TOTP device, replacing any earlier ones.

    Running it again invalidates the previous key (a lost phone is re-enrolled
    this way). The caller shows ``device.config_url`` (an ``otpauth://`` URI)
    to the user once; it holds the secret.
    """
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)


def enrolment_instructions(device: TOTPDevice) -> str:
    """Plain text telling a person how to add the device to an authenticator."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return (
        f"Add this to an authenticator app (any TOTP app; nothing is sent "
        f"anywhere):\n  {device.config_url}\n"
        f"or type the key by hand: {secret}\n"
        f"The admin login then asks for the 6-digit code the app shows."
    )
