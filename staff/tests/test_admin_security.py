"""The admin opens only with a password and a second factor, and an address
that keeps guessing is locked out, whatever X-Forwarded-For says."""

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from staff.site import SECTIONS
from staff.tests.otp import LOGIN, current_code, post_login

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")


def _every_admin_page() -> list[str]:
    """The index, each section's and each app's page, and each registered
    model's list and add form."""
    urls = {INDEX, *(reverse("admin:section", args=[key]) for key, *_ in SECTIONS)}
    for model in admin.site._registry:
        meta = model._meta
        urls.add(reverse("admin:app_list", args=[meta.app_label]))
        for view in ["changelist", "add"]:
            try:
                urls.add(reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}"))
            except NoReverseMatch:
                continue
    return sorted(urls)


ADMIN_PAGES = _every_admin_page()


def test_the_crawl_covers_the_sites_own_models_and_the_audit_log():
    assert reverse("admin:actions_signature_changelist") in ADMIN_PAGES
    assert reverse("admin:statements_statement_changelist") in ADMIN_PAGES
    assert reverse("admin:admin_logentry_changelist") in ADMIN_PAGES
    assert reverse("admin:auth_user_changelist") in ADMIN_PAGES


def test_without_a_second_factor_no_admin_page_opens(client, admin_user):
    client.force_login(admin_user)  # password only: no verified device

    opened = {}
    for url in ADMIN_PAGES:
        response = client.get(url)
        if response.status_code != 302 or not response["Location"].startswith(LOGIN):
            opened[url] = response.status_code

    assert opened == {}


def test_with_a_verified_device_every_admin_page_opens(admin_client):
    # 403: an add form of a read-only list (signatures, the audit log).
    statuses = {url: admin_client.get(url).status_code for url in ADMIN_PAGES}

    assert {url: s for url, s in statuses.items() if s not in {200, 403}} == {}
    assert statuses[INDEX] == 200


def test_password_and_code_open_the_admin(client, admin_user, admin_device):
    response = post_login(
        client, username="admin", password="password", code=current_code(admin_device)
    )

    assert response.status_code == 302
    assert client.get(INDEX).status_code == 200


@pytest.mark.parametrize("code", ["", "000000x", "12345"])
def test_the_password_alone_does_not_open_the_admin(
    client, admin_user, admin_device, code
):
    response = post_login(client, username="admin", password="password", code=code)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get(INDEX).status_code == 302


def test_a_user_without_a_device_cannot_log_in(client, admin_user):
    response = post_login(client, username="admin", password="password", code="123456")

    # They are sent to enrol a device (staff/tests/test_enrolment.py), not in.
    assert response["Location"] == reverse("admin:enrol")
    assert client.get(INDEX).status_code == 302


def test_a_code_cannot_be_used_twice(client, admin_user, admin_device):
    code = current_code(admin_device)
    post_login(client, username="admin", password="password", code=code)
    client.logout()

    response = post_login(client, username="admin", password="password", code=code)

    assert response.status_code == 200
    assert client.get(INDEX).status_code == 302


# lockout


def _fail(client, times: int, **headers: str) -> None:
    for n in range(times):
        response = post_login(
            client, username="admin", password=f"wrong-{n}", **headers
        )
        assert response.status_code == 200  # the form again, with an error


def test_after_five_failures_even_the_right_password_is_refused(
    client, admin_user, admin_device, settings
):
    _fail(client, settings.AXES_FAILURE_LIMIT - 1)

    locked = post_login(client, username="admin", password="wrong-again")
    right = post_login(
        client, username="admin", password="password", code=current_code(admin_device)
    )

    assert locked.status_code == 429
    assert right.status_code == 429
    assert "Too many failed logins" in right.text
    assert client.get(INDEX).status_code == 302


def test_a_forged_forwarded_for_does_not_escape_the_lockout(
    client, admin_user, admin_device, settings
):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(settings.AXES_FAILURE_LIMIT):
        post_login(
            client,
            username="admin",
            password="wrong",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )

    response = post_login(
        client,
        username="admin",
        password="password",
        code=current_code(admin_device),
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )

    assert response.status_code == 429
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [
        "127.0.0.1"
    ]


def test_behind_a_proxy_forged_entries_do_not_escape_the_lockout(
    client, admin_user, admin_device, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    # Each failure names another account: the account is locked out apart.
    for n in range(settings.AXES_FAILURE_LIMIT):
        post_login(
            client,
            username=f"nobody-{n}",
            password="wrong",
            # the client wrote the first entry, our proxy appended the second
            HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 203.0.113.5",
        )

    same_client = post_login(
        client,
        username="admin",
        password="password",
        code=current_code(admin_device),
        HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.5",
    )
    other_client = post_login(
        client,
        username="admin",
        password="password",
        code=current_code(admin_device),
        HTTP_X_FORWARDED_FOR="203.0.113.77",
    )

    assert same_client.status_code == 429
    assert other_client.status_code == 302  # a different address is not locked


def test_guessing_codes_with_the_right_password_also_locks_out(
    client, admin_user, admin_device, settings
):
    for n in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, username="admin", password="password", code=f"{n:06d}")

    response = post_login(
        client, username="admin", password="password", code=current_code(admin_device)
    )

    assert response.status_code == 429
    assert client.get(INDEX).status_code == 302
