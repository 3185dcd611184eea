import logging

import pytest
from django.core.management import call_command
from django.test import RequestFactory

from campaign import clientip
from campaign.clientip import client_ip


def _request(forwarded: str | None = None, remote: str = "203.0.113.9"):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


@pytest.mark.parametrize("forwarded", [None, "", "198.51.100.1", "1.1.1.1, 2.2.2.2"])
def test_without_trusted_proxies_the_address_is_the_peer(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip(_request(forwarded)) == "203.0.113.9"


def test_behind_one_proxy_the_address_is_the_one_it_appended(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_ip(_request("198.51.100.7", remote="10.0.0.2")) == "198.51.100.7"


def test_entries_the_client_wrote_are_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    forged = "1.2.3.4, 5.6.7.8, 198.51.100.7"

    assert client_ip(_request(forged, remote="10.0.0.2")) == "198.51.100.7"


def test_behind_two_proxies_the_second_entry_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    forwarded = "6.6.6.6, 198.51.100.7, 10.0.0.3"

    assert client_ip(_request(forwarded, remote="10.0.0.2")) == "198.51.100.7"


@pytest.mark.parametrize("forwarded", ["not-an-address", "1.2.3.4\r\nX: y", "::g"])
def test_a_malformed_entry_falls_back_to_the_peer(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_ip(_request(forwarded, remote="10.0.0.2")) == "10.0.0.2"


def test_an_ipv6_address_is_written_in_its_short_form(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    forwarded = "2001:DB8:0:0:0:0:0:1"

    assert client_ip(_request(forwarded, remote="10.0.0.2")) == "2001:db8::1"


@pytest.fixture
def fresh_process():
    """As in a process that has logged nothing yet."""
    clientip._warn_forwarded_ignored.cache_clear()
    yield
    clientip._warn_forwarded_ignored.cache_clear()


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "campaign.clientip"]


def test_a_forwarded_header_with_no_trusted_proxy_is_logged_once(
    settings, caplog, fresh_process
):
    settings.TRUSTED_PROXY_COUNT = 0

    with caplog.at_level(logging.WARNING, logger="campaign.clientip"):
        client_ip(_request())
        assert _warnings(caplog) == []
        for n in range(3):
            client_ip(_request(f"198.51.100.{n}", remote="10.0.0.2"))

    (warning,) = _warnings(caplog)
    assert "X-Forwarded-For but TRUSTED_PROXY_COUNT is 0" in warning
    assert "every client looks the same" in warning


def test_a_trusted_proxy_logs_nothing(settings, caplog, fresh_process):
    settings.TRUSTED_PROXY_COUNT = 1

    with caplog.at_level(logging.WARNING, logger="campaign.clientip"):
        client_ip(_request("198.51.100.7", remote="10.0.0.2"))

    assert _warnings(caplog) == []


@pytest.mark.parametrize(
    ("proxy_header", "proxies", "warned"),
    [
        (("HTTP_X_FORWARDED_PROTO", "https"), 0, True),
        (("HTTP_X_FORWARDED_PROTO", "https"), 1, False),
        (None, 0, False),
    ],
)
def test_the_system_check_warns_a_proxied_site_that_trusts_no_proxy(
    settings, capsys, proxy_header, proxies, warned
):
    settings.SECURE_PROXY_SSL_HEADER = proxy_header
    settings.TRUSTED_PROXY_COUNT = proxies

    call_command("check", "--tag", "security")

    assert ("campaign.W001" in capsys.readouterr().err) is warned
