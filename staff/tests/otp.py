"""Logging into the admin the way a person does: password, then TOTP code."""

import django_otp
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff.sessions import extend_staff_session
from staff.twofactor import enrol_totp_device

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


def log_in_verified(client: Client, user, device: TOTPDevice | None = None) -> None:
    """Log a user in as the login form leaves them after a right password and
    TOTP code (django_otp.login), without paying for a password hash."""
    device = device or enrol_totp_device(user=user)
    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    request.user = user
    django_otp.login(request, device)
    extend_staff_session(request.session)  # as the login's response does
    request.session.save()
