"""Logging into the admin the way a person does: password, then TOTP code."""

from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

LOGIN = reverse("admin:login")


def current_code(device: TOTPDevice) -> str:
    """The code an authenticator app holding the device's key shows now."""
    device.refresh_from_db()
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{code:0{device.digits}d}"


def post_login(
    client: Client,
    *,
    username: str,
    password: str,
    code: str = "",
    next_url: str | None = None,
    **headers: str,
):
    """Submit the admin login form; the response (a redirect when it worked)."""
    data = {"username": username, "password": password, "otp_token": code}
    if next_url is not None:
        data["next"] = next_url
    return client.post(LOGIN, data, **headers)
