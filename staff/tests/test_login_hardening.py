"""Issue 12, item 6: the admin login tells a guesser nothing, locks out per
account and per IPv6 /64 as well as per address, and a staff session ends
after 8 idle hours while public pages stay cookie-free."""

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from staff.tests.otp import LOGIN, current_code, log_in_verified, post_login

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
EIGHT_HOURS = 8 * 60 * 60


def _page(response) -> str:
    """The login page as a guesser reads it, minus what changes per request
    (the CSRF token, the CSP nonce)."""
    return re.sub(r'(value|nonce)="[^"]*"', r'\1=""', response.text)


def test_a_wrong_password_and_a_wrong_code_read_the_same(
    client, admin_user, admin_device
):
    wrong_password = post_login(
        client, username="admin", password="not-it", code=current_code(admin_device)
    )
    wrong_code = post_login(client, username="admin", password="password", code="1")
    no_code = post_login(client, username="admin", password="password", code="")

    assert wrong_password.status_code == wrong_code.status_code == 200
    assert wrong_password.context["form"].errors == wrong_code.context["form"].errors
    assert wrong_code.context["form"].errors == no_code.context["form"].errors
    assert _page(wrong_password) == _page(wrong_code) == _page(no_code)


def test_failures_from_many_addresses_lock_the_account(
    client, admin_user, admin_device, settings
):
    for n in range(settings.AXES_FAILURE_LIMIT):
        post_login(
            client, username="admin", password="wrong", REMOTE_ADDR=f"198.51.100.{n}"
        )

    response = post_login(
        client,
        username="admin",
        password="password",
        code=current_code(admin_device),
        REMOTE_ADDR="192.0.2.99",
    )

    assert response.status_code == 429
    assert client.get(INDEX).status_code == 302


def test_an_ipv6_client_is_locked_out_by_its_slash_64(
    client, admin_user, admin_device, settings
):
    # Each failure names another account, so only the address counts.
    for n in range(settings.AXES_FAILURE_LIMIT):
        post_login(
            client,
            username=f"nobody-{n}",
            password="wrong",
            REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}",
        )

    same_network = post_login(
        client,
        username="admin",
        password="password",
        code=current_code(admin_device),
        REMOTE_ADDR="2001:db8:1:2:ffff:ffff:ffff:fffe",
    )
    other_network = post_login(
        client,
        username="admin",
        password="password",
        code=current_code(admin_device),
        REMOTE_ADDR="2001:db8:1:3::1",
    )

    assert same_network.status_code == 429
    assert other_network.status_code == 302


def test_an_ipv4_mapped_address_counts_as_its_ipv4_address(
    client, admin_user, admin_device, settings
):
    for n in range(settings.AXES_FAILURE_LIMIT):
        post_login(
            client, username=f"nobody-{n}", password="wrong", REMOTE_ADDR="192.0.2.7"
        )

    response = post_login(
        client,
        username="admin",
        password="password",
        code=current_code(admin_device),
        REMOTE_ADDR="::ffff:192.0.2.7",
    )

    assert response.status_code == 429


def test_a_staff_session_lasts_eight_idle_hours_from_an_admin_request(
    client, admin_user, admin_device
):
    from staff.sessions import REFRESH_SECONDS, SEEN_KEY

    log_in_verified(client, admin_user, admin_device)
    session = client.session
    session[SEEN_KEY] -= REFRESH_SECONDS  # a few minutes pass
    session.save()

    response = client.get(INDEX)

    assert response.status_code == 200
    assert response.cookies["sessionid"]["max-age"] == EIGHT_HOURS
    row = Session.objects.get(session_key=client.session.session_key)
    left = row.expire_date - timezone.now()
    assert timedelta(hours=8) - timedelta(minutes=1) < left <= timedelta(hours=8)


def test_the_login_itself_starts_the_eight_hour_clock(client, admin_user, admin_device):
    response = post_login(
        client, username="admin", password="password", code=current_code(admin_device)
    )

    assert response.status_code == 302
    assert response.cookies["sessionid"]["max-age"] == EIGHT_HOURS


def test_after_eight_idle_hours_the_admin_asks_to_log_in_again(
    client, admin_user, admin_device
):
    log_in_verified(client, admin_user, admin_device)
    client.get(INDEX)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    response = client.get(INDEX)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


@pytest.mark.parametrize("logged_in", [False, True])
def test_public_pages_stay_cookie_free_and_cacheable(
    client, admin_user, admin_device, petition, logged_in
):
    if logged_in:  # a campaigner checks the public site from the same browser
        log_in_verified(client, admin_user, admin_device)
        client.get(INDEX)

    cacheable = [
        reverse("statements:home"),
        reverse("statements:statement_detail", args=[petition.statement.slug]),
    ]
    for url in [*cacheable, petition.get_absolute_url()]:
        response = client.get(url)

        assert response.status_code == 200, url
        assert not response.cookies, url
        assert "Cookie" not in response.get("Vary", ""), url
        if url in cacheable:
            assert "public" in response["Cache-Control"], url
