from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import escape
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


def test_enrol_totp_prints_an_otpauth_uri_and_replaces_the_old_device(admin_user):
    out = StringIO()
    call_command("enrol_totp", "admin", stdout=out)
    first = TOTPDevice.objects.get(user=admin_user)
    call_command("enrol_totp", "admin", stdout=StringIO())

    [device] = TOTPDevice.objects.filter(user=admin_user)
    assert device.pk != first.pk and device.confirmed
    assert "otpauth://totp/" in out.getvalue()
    assert first.config_url in out.getvalue()


def test_enrol_totp_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="No staff user"):
        call_command("enrol_totp", "nobody", stdout=StringIO())


def test_load_demo_gives_the_admin_a_device_once(monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    first, second = StringIO(), StringIO()

    call_command("load_demo", stdout=first)
    call_command("load_demo", stdout=second)

    [device] = TOTPDevice.objects.filter(user__username="admin")
    assert device.config_url in first.getvalue()
    assert "otpauth://" not in second.getvalue()


def test_a_superuser_sees_a_device_key_as_a_uri_and_a_local_svg_qr_code(
    admin_client, admin_device
):
    config = admin_client.get(
        reverse("admin:otp_totp_totpdevice_config", args=[admin_device.pk])
    )
    qrcode = admin_client.get(
        reverse("admin:otp_totp_totpdevice_qrcode", args=[admin_device.pk])
    )

    assert escape(admin_device.config_url) in config.text
    assert qrcode.status_code == 200
    assert qrcode["Content-Type"] == "image/svg+xml"
    assert qrcode.content.lstrip().startswith((b"<?xml", b"<svg"))
