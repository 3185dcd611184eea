"""No redirect built from user input leaves the site: 200 payloads against the
admin login's and logout's ``next``."""

import itertools
import re
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff.tests.otp import current_code, post_login
from staff.twofactor import enrol_totp_device

pytestmark = pytest.mark.django_db

SCHEMES = [
    "//",
    "///",
    "////",
    "\\\\",
    "\\/",
    "/\\",
    "/\\/",
    "https://",
    "http://",
    "https:",
    "http:/",
    "https:/\\",
    " //",
    "\t//",
    "/\t/",
    "%2f%2f",
    "/%2f",
    "/%5c",
    "%5c%5c",
    "\uff0f\uff0f",
    "ftp://",
    "javascript://",
    "data://",
    "HTTPS://",
    "hTtP://",
]
HOSTS = [
    "evil.example",
    "evil.example/admin/",
    "testserver@evil.example",
    "testserver.evil.example",
    "evil.example\\@testserver",
    "evil.example%23@testserver",
    "evil\u3002example",
    "0x7f.1",
]
PAYLOADS = ["".join(pair) for pair in itertools.product(SCHEMES, HOSTS)]
assert len(PAYLOADS) == 200
SITE = "testserver"


def _lands_on_the_site(location: str, page: str) -> bool:
    """Where a browser goes from ``page`` with this Location header."""
    # Browsers drop tabs and newlines and read backslashes as slashes.
    cleaned = re.sub(r"[\t\n\r]", "", location).strip().replace("\\", "/")
    target = urlsplit(urljoin(f"http://{SITE}{page}", cleaned))
    return target.scheme in {"http", "https"} and target.hostname == SITE


@pytest.fixture
def staff(settings) -> tuple[str, TOTPDevice]:
    # A cheap hash: this test logs in 200 times; the login path is unchanged.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = get_user_model().objects.create_user(
        "editor", password="a long password", is_staff=True, is_superuser=True
    )
    return "editor", enrol_totp_device(user=user)


def test_a_safe_next_is_followed(staff):
    username, device = staff
    wanted = reverse("admin:statements_statement_changelist")

    response = post_login(
        Client(),
        username=username,
        password="a long password",
        code=current_code(device),
        next_url=wanted,
    )

    assert response.status_code == 302
    assert response["Location"] == wanted


def test_no_login_next_leaves_the_site(staff):
    username, device = staff
    off_site = {}
    for payload in PAYLOADS:
        # Each payload is a fresh login; the code of this time step may be used
        # once per login, as a person would type the next one.
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
        response = post_login(
            Client(),
            username=username,
            password="a long password",
            code=current_code(device),
            next_url=payload,
        )
        assert response.status_code == 302, payload
        if not _lands_on_the_site(response["Location"], reverse("admin:login")):
            off_site[payload] = response["Location"]

    assert off_site == {}


def test_no_logout_next_leaves_the_site(admin_client):
    logout = reverse("admin:logout")
    off_site = {}
    for payload in PAYLOADS:
        response = admin_client.post(f"{logout}?{urlencode({'next': payload})}")
        assert response.status_code == 302, payload
        if not _lands_on_the_site(response["Location"], logout):
            off_site[payload] = response["Location"]

    assert off_site == {}


@pytest.mark.parametrize(
    "location, safe",
    [
        ("/admin/", True),
        ("//evil.example/", False),
        ("/\\evil.example", False),
        ("\t//evil.example", False),
        ("https://testserver/x", True),
        ("javascript:alert(1)", False),
    ],
)
def test_the_checker_itself_tells_on_site_from_off_site(location, safe):
    assert _lands_on_the_site(location, "/admin/login/") is safe
