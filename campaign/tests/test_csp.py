"""Security headers and the CSP nonce on public pages, cached or not."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

NONCE_IN_HEADER = re.compile(r"script-src 'self' 'nonce-([\w-]+)'")
NONCE_IN_PAGE = re.compile(r'<script [^>]*nonce="([^"]*)"')


def _header_nonce(response) -> str:
    match = NONCE_IN_HEADER.search(response["Content-Security-Policy"])
    assert match, response["Content-Security-Policy"]
    return match.group(1)


def test_a_cached_page_gets_a_fresh_nonce_that_its_script_carries(client, petition):
    url = petition.statement.get_absolute_url()

    first, second = client.get(url), client.get(url)  # the second from the cache

    nonces = [_header_nonce(first), _header_nonce(second)]
    assert nonces[0] != nonces[1]
    for response, nonce in zip([first, second], nonces, strict=True):
        assert NONCE_IN_PAGE.findall(response.text) == [nonce, nonce]  # 2 scripts
        assert "csp-nonce-" not in response.text
        assert int(response["Content-Length"]) == len(response.content)


@pytest.mark.parametrize("name", ["home", "statement", "sign", "thanks", "missing"])
def test_public_pages_send_the_security_headers(client, petition, name):
    url = {
        "home": reverse("statements:home"),
        "statement": petition.statement.get_absolute_url(),
        "sign": reverse("actions:sign", args=[petition.slug]),
        "thanks": reverse("actions:thanks", args=[petition.slug]),
        "missing": "/no-such-page/",
    }[name]

    response = client.get(url)

    policy = response["Content-Security-Policy"]
    assert _header_nonce(response)
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_admin_has_its_own_policy_with_inline_styles_only(admin_client):
    response = admin_client.get(reverse("admin:index"))

    policy = response["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert re.search(r"script-src 'self' 'nonce-[\w-]+'(;|$)", policy)
    assert "frame-ancestors 'none'" in policy
    assert "csp-nonce-" not in response.text


def test_the_admin_login_page_has_the_admin_policy(client):
    response = client.get(reverse("admin:login"))

    assert "'unsafe-inline'" in response["Content-Security-Policy"]


def test_https_adds_hsts(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_SSL_REDIRECT = False

    response = client.get(reverse("statements:home"), secure=True)

    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_nonce_and_form_stamp_placeholders_are_the_same_in_every_process():
    """A page cached by one process (in a shared cache) is served by another."""
    script = (
        "import django; django.setup(); "
        "from campaign.csp import placeholder; "
        "from actions.abuse.stamp import placeholder as stamp; "
        "print(placeholder(), stamp())"
    )
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "campaign.settings"}

    def run() -> list[str]:
        return subprocess.run(
            [sys.executable, "-c", script],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()

    first, second = run(), run()
    assert first == second
    assert first[0] != first[1] and all(len(value) > 40 for value in first)
