"""Two hosts of one site on one PostgreSQL and one Redis: each its own
gunicorn and Celery workers on a port of its own, with per-process caches of
its own; beat on host A only. What a supporter or a staff member does through
one host holds on the other (see conftest's host_pair).
"""

import csv
import io
import re
import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from actions.models import Petition, Signature
from actions.outbox.models import OutboundEmail
from actions.tests.factories import make_petition, stamp_for
from actions.tests.integration.stack import (
    BLOCKLIST_CACHE_SECONDS,
    HOSTS_EXPORT_MAX_ROWS,
    StaffBrowser,
    confirmation_link,
    wait_until,
)
from actions.tests.integration.test_signing_stack import counts_shown
from staff.tests.otp import current_code
from staff.twofactor import enrol_totp_device

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

Reason = Signature.SuspectReason
# How long a process keeps a petition's row (settings.CACHES["rows"]).
ROW_CACHE_SECONDS = settings.CACHES["rows"]["TIMEOUT"]
# A count reaches the pages within the count cache and the page cache.
COUNT_SHOWN_WITHIN = settings.COUNT_CACHE_SECONDS + settings.PAGE_CACHE_SECONDS
# Long enough for the outbox sweeper to have sent anything it would send.
SWEEPS = 4
DOWNLOAD_LINK = re.compile(r'href="(/admin/exports/signatureexport/download/[^"]+/)"')


def _sign_path(petition: Petition) -> str:
    return reverse("actions:sign", kwargs={"slug": petition.slug})


def _sign(host, petition: Petition, sign_data: dict, email: str, client: str):
    return host.post(
        _sign_path(petition),
        sign_data | {"started": stamp_for(petition), "email": email},
        forwarded_for=client,
    )


def _check_email_path(petition: Petition) -> str:
    return reverse("actions:check_email", kwargs={"slug": petition.slug})


def _wait_for_counts(hosts, petition: Petition, count: int, since: float) -> None:
    for host in hosts:
        wait_until(
            lambda host=host: counts_shown(host, petition) == (count, count),
            timeout=COUNT_SHOWN_WITHIN - (time.monotonic() - since),
            interval=0.5,
            message=lambda host=host: (
                f"a count of {count} on {host.name}, "
                f"shown {counts_shown(host, petition)}"
            ),
        )


def _staff_browser(host, username: str) -> StaffBrowser:
    """A superuser's browser, logged in on this host with password and code."""
    user = get_user_model().objects.create_user(
        username, password="a long password", is_staff=True, is_superuser=True
    )
    code = current_code(enrol_totp_device(user=user))
    browser = StaffBrowser()
    browser.log_in(host, username=username, password="a long password", code=code)
    return browser


def test_signatures_made_and_confirmed_through_either_host_count_on_both(
    hosts, mailbox, sign_data
):
    host_a, host_b = hosts
    petition = make_petition()
    assert [counts_shown(host, petition) for host in hosts] == [(0, 0), (0, 0)]

    signed = [
        _sign(host_a, petition, sign_data, "via.a@example.org", "203.0.113.101"),
        _sign(host_b, petition, sign_data, "via.b@example.org", "203.0.113.102"),
    ]
    links = [
        confirmation_link(mailbox.wait_for(address, timeout=30))
        for address in ("via.a@example.org", "via.b@example.org")
    ]

    assert {(r.status, r.location) for r in signed} == {
        (302, _check_email_path(petition))
    }
    for count, (host, link) in enumerate(zip(hosts, links, strict=True), start=1):
        path = urlsplit(link).path
        assert "Confirm my signature" in host.get(path).text
        confirmed = host.post(path)
        confirmed_at = time.monotonic()
        assert confirmed.status == 302
        assert confirmed.location.startswith(
            reverse("actions:thanks", kwargs={"slug": petition.slug})
        )
        _wait_for_counts(hosts, petition, count, since=confirmed_at)
    assert set(
        Signature.objects.filter(petition=petition).values_list("email", "state")
    ) == {("via.a@example.org", "confirmed"), ("via.b@example.org", "confirmed")}


def test_a_petition_closed_through_one_host_refuses_signatures_on_the_other_at_once(
    hosts, mailbox, sign_data
):
    host_a, host_b = hosts
    petition = make_petition()
    browser = _staff_browser(host_a, "closer")
    # Host B's one web process now keeps the petition, open, in its row cache.
    assert '<form method="post"' in host_b.get(_sign_path(petition)).text
    warmed_at = time.monotonic()

    closed = browser.post(
        host_a,
        reverse("admin:actions_petition_changelist"),
        {
            "action": "close_selected",
            "_selected_action": str(petition.pk),
            "index": "0",
            "confirmed": "yes",
        },
    )
    refused = _sign(host_b, petition, sign_data, "too.late@example.org", "203.0.113.2")
    took = time.monotonic() - warmed_at

    assert closed.status == 302
    assert "1 petition is now closed." in browser.get(host_a, closed.location).text
    assert refused.status == 409
    assert "Sorry, this petition closed" in refused.text
    assert not Signature.objects.filter(petition=petition).exists()
    assert not OutboundEmail.objects.exists()
    # Otherwise host B may have read the closed petition afresh: no proof.
    assert took < ROW_CACHE_SECONDS, f"{took:.1f} s: host B's cached row expired"
    time.sleep(SWEEPS)
    assert not mailbox.messages_to("too.late@example.org")


def test_a_block_list_entry_added_through_one_host_holds_on_both_within_its_delay(
    hosts, mailbox, sign_data
):
    host_a, host_b = hosts
    petition = make_petition()
    browser = _staff_browser(host_a, "blocker")
    # Each host's web process reads the block list, still empty, and keeps it.
    for n, host in enumerate(hosts):
        before = f"before.{n}@blocked-hosts.example"
        assert _sign(host, petition, sign_data, before, f"198.51.100.{n}").status == 302
    add = reverse("admin:abuse_blocklistentry_add")

    added = [
        browser.post(host_a, add, {"kind": "domain", "value": "blocked-hosts.example"}),
        browser.post(host_a, add, {"kind": "network", "value": "198.51.100.0/24"}),
    ]
    time.sleep(BLOCKLIST_CACHE_SECONDS + 0.5)  # every process reads it again
    attempts = {
        (host_a, "on.a@blocked-hosts.example", "203.0.113.21"),
        (host_b, "on.b@mail.blocked-hosts.example", "203.0.113.22"),
        (host_a, "range.a@example.org", "198.51.100.31"),
        (host_b, "range.b@example.org", "198.51.100.32"),
    }
    responses = [_sign(h, petition, sign_data, e, ip) for h, e, ip in attempts]
    # A person signing meanwhile is emailed: once that email has come and the
    # sweeper has had its turns, anything the others were to get has come too.
    person = _sign(host_b, petition, sign_data, "person@example.org", "203.0.113.23")
    mailbox.wait_for("person@example.org", timeout=30)
    time.sleep(SWEEPS)

    assert [r.status for r in added] == [302, 302]
    assert {(r.status, r.location) for r in [*responses, person]} == {
        (302, _check_email_path(petition))
    }
    blocked = {email for _, email, _ in attempts}
    assert dict(
        Signature.objects.filter(petition=petition, email__in=blocked).values_list(
            "email", "suspect_reason"
        )
    ) == {
        "on.a@blocked-hosts.example": Reason.BLOCKED_DOMAIN,
        "on.b@mail.blocked-hosts.example": Reason.BLOCKED_DOMAIN,
        "range.a@example.org": Reason.BLOCKED_ADDRESS,
        "range.b@example.org": Reason.BLOCKED_ADDRESS,
    }
    assert set(
        Signature.objects.filter(email__in=blocked).values_list("state", flat=True)
    ) == {"suspect"}
    assert not OutboundEmail.objects.filter(to_email__in=blocked).exists()
    assert not mailbox.count_by_recipient(blocked)


def test_an_export_started_on_one_host_downloads_from_the_other(
    hosts, mailbox, sign_data
):
    host_a, host_b = hosts
    petition = make_petition()
    rows = HOSTS_EXPORT_MAX_ROWS + 3
    emails = {f"exported{n}@example.org" for n in range(rows)}
    for n, email in enumerate(sorted(emails)):
        signed = _sign(hosts[n % 2], petition, sign_data, email, f"203.0.113.{50 + n}")
        assert signed.status == 302
    browser = _staff_browser(host_a, "exporter")
    exports = reverse("admin:exports_signatureexport_changelist")

    started = browser.post(
        host_a,
        reverse("admin:actions_signature_export"),
        {"format": "csv", "petition": petition.slug},
    )
    queued_page = browser.get(host_a, exports).text
    # The same browser, its session verified on host A, on host B.
    link = wait_until(
        lambda: DOWNLOAD_LINK.search(browser.get(host_b, exports).text),
        timeout=60,
        interval=0.5,
        message=lambda: "a download link on host B\n" + host_a.logs() + host_b.logs(),
    ).group(1)
    downloaded = browser.get(host_b, link)

    assert (started.status, started.location) == (302, exports)
    assert "being built in the background" in queued_page
    assert downloaded.status == 200
    assert downloaded.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert downloaded.text.startswith("\ufeff")  # the BOM: UTF-8 in spreadsheets
    table = list(csv.DictReader(io.StringIO(downloaded.text[1:], newline="")))
    assert len(table) == rows
    assert {row["email"] for row in table} == emails
    assert {row["petition"] for row in table} == {petition.slug}
