"""Issue 12, item 8: backup codes, and staff enrolling their own second
factor at first login, driven as a person does with a browser-free client."""

import re
import time
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff import twofactor
from staff.tests.otp import current_code, post_login

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
ENROL = reverse("admin:enrol")
LOGIN = reverse("admin:login")


@pytest.fixture
def newcomer(db):
    """A staff user with a password and no device yet."""
    return get_user_model().objects.create_user(
        "newcomer", password="newcomer-password", is_staff=True
    )


def _shown_codes(response) -> list[str]:
    return re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.text)


def _password(client, **extra):
    return post_login(
        client, username="newcomer", password="newcomer-password", **extra
    )


def test_a_newcomer_enrols_after_the_password_and_sees_backup_codes_once(
    client, newcomer
):
    after_password = _password(client)
    assert after_password.status_code == 302
    assert after_password["Location"] == ENROL
    assert client.get(INDEX).status_code == 302  # not logged in yet

    page = client.get(ENROL)
    device = TOTPDevice.objects.get(user=newcomer)
    assert page.status_code == 200
    assert not device.confirmed
    assert escape(device.config_url) in page.text
    assert device.config_url.startswith("otpauth://totp/")
    assert "data:image/svg+xml;base64," in page.text  # the QR code, inline
    assert twofactor.manual_key(device, grouped=True) in page.text
    assert "no-store" in page["Cache-Control"]

    done = client.post(ENROL, {"code": current_code(device)})

    codes = _shown_codes(done)
    assert done.status_code == 200
    assert len(codes) == twofactor.BACKUP_CODE_COUNT
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=newcomer).values_list(
            "token", flat=True
        )
    )
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(INDEX).status_code == 200  # logged in and verified
    assert client.get(ENROL)["Location"] == LOGIN  # the codes are not shown again


def test_a_wrong_code_confirms_nothing(client, newcomer):
    _password(client)

    response = client.post(ENROL, {"code": "000000"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not TOTPDevice.objects.get(user=newcomer).confirmed
    assert not StaticToken.objects.exists()
    assert client.get(INDEX).status_code == 302


def test_the_page_closes_after_too_many_wrong_codes(client, newcomer):
    _password(client)
    for _ in range(twofactor.ENROLMENT_ATTEMPTS):
        client.post(ENROL, {"code": "000000"})
    device = TOTPDevice.objects.get(user=newcomer)

    response = client.post(ENROL, {"code": current_code(device)})

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert not TOTPDevice.objects.filter(confirmed=True).exists()


def test_the_page_opens_only_in_the_session_that_gave_the_password(
    client, newcomer, django_user_model
):
    from django.test import Client

    _password(client)
    device = TOTPDevice.objects.get(user=newcomer)
    stranger = Client()

    assert stranger.get(ENROL)["Location"] == LOGIN
    assert stranger.post(ENROL, {"code": current_code(device)}).status_code == 302
    assert not TOTPDevice.objects.filter(confirmed=True).exists()


def test_the_page_expires(client, newcomer, monkeypatch):
    _password(client)
    device = TOTPDevice.objects.get(user=newcomer)
    later = time.time() + twofactor.ENROLMENT_SECONDS + 1
    monkeypatch.setattr(twofactor.time, "time", lambda: later)

    response = client.post(ENROL, {"code": current_code(device)})

    assert response["Location"] == LOGIN
    device.refresh_from_db()
    assert not device.confirmed


def test_an_existing_device_is_never_replaced_from_the_page(
    client, admin_user, admin_device
):
    # A right password for a user with a device asks for the code; no enrolment.
    response = post_login(client, username="admin", password="password")

    assert response.status_code == 200
    assert client.get(ENROL)["Location"] == LOGIN
    assert list(TOTPDevice.objects.filter(user=admin_user)) == [admin_device]


def test_a_device_confirmed_meanwhile_closes_the_page(client, newcomer):
    _password(client)
    pending = TOTPDevice.objects.get(user=newcomer)
    other = twofactor.enrol_totp_device(user=newcomer)  # e.g. by the command

    assert client.post(ENROL, {"code": "123456"})["Location"] == LOGIN
    assert list(TOTPDevice.objects.filter(user=newcomer)) == [other]
    assert not TOTPDevice.objects.filter(pk=pending.pk).exists()


def test_a_non_staff_user_is_not_offered_enrolment(client, django_user_model):
    django_user_model.objects.create_user("member", password="member-password")

    response = post_login(client, username="member", password="member-password")

    assert response.status_code == 200
    assert client.get(ENROL)["Location"] == LOGIN
    assert not TOTPDevice.objects.exists()


def test_a_backup_code_opens_the_admin_once(client, admin_user, admin_device):
    codes = twofactor.issue_backup_codes(user=admin_user)

    first = post_login(client, username="admin", password="password", code=codes[0])
    assert first.status_code == 302
    assert client.get(INDEX).status_code == 200
    client.logout()

    again = post_login(client, username="admin", password="password", code=codes[0])
    assert again.status_code == 200
    assert client.get(INDEX).status_code == 302
    twice = post_login(
        client, username="admin", password="password", code=codes[0].upper()
    )
    assert twice.status_code == 200
    assert StaticToken.objects.count() == len(codes) - 1

    # The app's codes still work beside the backup codes.
    totp = post_login(
        client, username="admin", password="password", code=current_code(admin_device)
    )
    assert totp.status_code == 302


def test_enrol_totp_prints_backup_codes_once_and_replaces_old_ones(admin_user):
    first, second = StringIO(), StringIO()
    call_command("enrol_totp", "admin", stdout=first)
    old = set(StaticToken.objects.values_list("token", flat=True))
    call_command("enrol_totp", "admin", stdout=second)

    new = set(StaticToken.objects.values_list("token", flat=True))
    assert len(old) == len(new) == twofactor.BACKUP_CODE_COUNT
    assert all(code in first.getvalue() for code in old)
    assert all(code in second.getvalue() for code in new)
    assert not old & new
