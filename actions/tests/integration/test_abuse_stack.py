"""The abuse controls through the real stack: gunicorn behind one trusted
proxy (the tests write X-Forwarded-For as the load balancer would), rate
limits in Redis, PostgreSQL, a Celery worker and an SMTP server.

A suspect signing must look exactly like any other to its sender, and never
be counted or emailed.
"""

import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse

from actions.abuse.models import BlockListEntry
from actions.abuse.stamp import make_stamp
from actions.core.canonical import canonical_email
from actions.models import Petition, Signature
from actions.outbox.models import OutboundEmail
from actions.tests.factories import make_petition, stamp_for
from actions.tests.integration.stack import (
    BLOCKLIST_CACHE_SECONDS,
    confirmation_link,
    post_all_at_once,
    wait_until,
)
from actions.tests.integration.test_signing_stack import counts_shown

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

Reason = Signature.SuspectReason
# Long enough for the outbox sweeper to have sent anything it would send.
SWEEPS = 4


def _paths(petition: Petition) -> tuple[str, str]:
    kwargs = {"slug": petition.slug}
    return reverse("actions:sign", kwargs=kwargs), reverse(
        "actions:check_email", kwargs=kwargs
    )


def _confirm(stack, mailbox, address: str) -> None:
    link = confirmation_link(mailbox.wait_for(address, timeout=30))
    assert stack.post(urlsplit(link).path).status == 302


def _wait_for_count(stack, petition: Petition, count: int) -> None:
    wait_until(
        lambda: counts_shown(stack, petition) == (count, count),
        timeout=15,
        interval=0.5,
        message=lambda: f"a count of {count}, shown {counts_shown(stack, petition)}",
    )


def _states(petition: Petition) -> list[tuple[str, str]]:
    return list(
        Signature.objects.filter(petition=petition)
        .order_by("pk")
        .values_list("state", "suspect_reason")
    )


def test_one_address_signing_ten_times_in_a_minute_is_counted_three_times(
    stack, mailbox, sign_data
):
    petition = make_petition()
    sign_path, check_email_path = _paths(petition)
    addresses = [f"burst{n}@example.org" for n in range(10)]

    started = time.monotonic()
    responses = [
        stack.post(
            sign_path,
            sign_data | {"started": stamp_for(petition), "email": a},
            forwarded_for="203.0.113.10",
        )
        for a in addresses
    ]
    took = time.monotonic() - started
    limit = settings.ABUSE_BURST_LIMIT
    for address in addresses[:limit]:
        _confirm(stack, mailbox, address)

    assert took < 60
    assert {(r.status, r.location) for r in responses[:limit]} == {
        (302, check_email_path)
    }
    # Over the soft limit: one more step, nothing held silently or stored yet.
    assert all(r.status == 200 and "One more step" in r.text for r in responses[limit:])
    _wait_for_count(stack, petition, 3)
    time.sleep(SWEEPS)
    assert not mailbox.count_by_recipient(set(addresses[3:]))
    assert _states(petition) == [("confirmed", "")] * 3
    print(f"10 signings in {took:.2f} s from one address: 3 counted, 7 asked a step")


def test_a_forged_forwarded_for_does_not_change_the_rate_limit(stack, sign_data):
    petition = make_petition()
    sign_path, check_email_path = _paths(petition)

    responses = [
        stack.post(
            sign_path,
            sign_data
            | {"started": stamp_for(petition), "email": f"forged{n}@example.org"},
            # The client wrote the first entry; the load balancer the last.
            forwarded_for=f"192.0.2.{n}, 203.0.113.77",
        )
        for n in range(10)
    ]

    assert {(r.status, r.location) for r in responses[:3]} == {(302, check_email_path)}
    assert all("One more step" in r.text for r in responses[3:])
    assert _states(petition) == [("pending", "")] * 3
    assert (
        Signature.objects.filter(petition=petition)
        .values("client_hash")
        .distinct()
        .count()
        == 1
    )


def _email_variants(n: int) -> list[str]:
    """Ten spellings of one Gmail box: case, dots, +tags, googlemail."""
    return [
        f"supporter.number{n}@gmail.com",
        f"Supporter.Number{n}@Gmail.com",
        f"supporternumber{n}@gmail.com",
        f"s.u.p.p.o.r.t.e.r.number{n}@gmail.com",
        f"supporter.number{n}+petition@gmail.com",
        f"supporter.number{n}@googlemail.com",
        f"SUPPORTER.NUMBER{n}+X@GMAIL.COM",
        f"sup.porternumber{n}+news@GoogleMail.com",
        f"Supporter.Number{n}+2026@googlemail.com",
        f"supporternumber{n}+a+b@gmail.com",
    ]


def test_a_thousand_concurrent_signings_of_a_hundred_boxes_keep_a_hundred(
    stack, mailbox, sign_data
):
    petition = make_petition()
    sign_path, _ = _paths(petition)
    people = [_email_variants(n) for n in range(100)]
    # Interleaved, so the spellings of each box race one another.
    emails = [email for round_ in zip(*people, strict=True) for email in round_]
    assert len(set(emails)) == 1000
    assert len({canonical_email(e) for e in emails}) == 100
    began = time.monotonic()
    # A crowd: each from a device of its own, so rate limits stay out of it.
    statuses = post_all_at_once(
        stack,
        sign_path,
        [sign_data | {"started": stamp_for(petition), "email": e} for e in emails],
        network="10.2",
    )
    took = time.monotonic() - began

    assert statuses == {302: 1000}
    signatures = Signature.objects.filter(petition=petition)
    assert sorted(signatures.values_list("canonical_email", flat=True)) == sorted(
        {canonical_email(e) for e in emails}
    )
    assert set(signatures.values_list("state", flat=True)) == {"pending"}
    cap = settings.MAX_EMAILS_PER_SIGNATURE
    # The workers queue the repeats after the responses (sign_again).
    queued = OutboundEmail.objects.filter(signature__petition=petition)
    wait_until(
        lambda: queued.count() >= cap * 100,
        timeout=120,
        interval=1,
        message=lambda: f"{cap} emails queued for each of 100 boxes",
    )
    assert queued.count() == cap * 100
    stored = set(signatures.values_list("email", flat=True))
    wait_until(
        lambda: sum(mailbox.count_by_recipient(stored).values()) >= cap * 100,
        # 500 emails through two worker processes on a shared machine.
        timeout=300,
        interval=1,
        message=lambda: f"{cap} emails to each of 100 boxes\n{stack.logs()}",
    )
    assert set(mailbox.count_by_recipient(stored).values()) == {cap}
    # The outbox sweeper enqueued the backlog again and again meanwhile: the
    # worker is left to discard those no-op tasks before the next test.
    wait_until(lambda: stack.queued_tasks() == 0, timeout=120, interval=1)
    print(f"1,000 concurrent signings in {took:.1f} s: 100 signatures, no 5xx")


def _suspects_and_a_person(
    stack, mailbox, sign_data, petition, attempts: dict[str, tuple[dict, str]]
) -> None:
    """Send each attempt (email: extra fields, client), then a person who
    confirms. All look alike; once the person is counted and the outbox
    sweeper has had its turns, anything the others were to get has come."""
    sign_path, check_email_path = _paths(petition)
    person = f"person-{petition.slug}@example.org"

    responses = [
        stack.post(
            sign_path,
            sign_data | {"started": stamp_for(petition)} | fields | {"email": email},
            forwarded_for=ip,
        )
        for email, (fields, ip) in attempts.items()
    ]
    stack.post(
        sign_path,
        sign_data | {"started": stamp_for(petition), "email": person},
        forwarded_for="203.0.113.99",
    )
    _confirm(stack, mailbox, person)

    assert {(r.status, r.location) for r in responses} == {(302, check_email_path)}
    _wait_for_count(stack, petition, 1)
    time.sleep(SWEEPS)
    assert not mailbox.count_by_recipient(set(attempts))
    assert not OutboundEmail.objects.filter(to_email__in=attempts).exists()


def test_signing_from_a_blocked_range_domain_or_address_is_not_counted_or_emailed(
    stack, mailbox, sign_data
):
    petition = make_petition()
    BlockListEntry.objects.create(kind="network", value="198.51.100.0/24")
    BlockListEntry.objects.create(kind="domain", value="blocked.example")
    BlockListEntry.objects.create(kind="email", value="blockedperson@gmail.com")
    time.sleep(BLOCKLIST_CACHE_SECONDS + 0.5)  # every process reads it again

    _suspects_and_a_person(
        stack,
        mailbox,
        sign_data,
        petition,
        {
            "from-the-range@example.org": ({}, "198.51.100.23"),
            "someone@mail.blocked.example": ({}, "203.0.113.30"),
            "Blocked.Person+petition@googlemail.com": ({}, "203.0.113.31"),
        },
    )

    assert _states(petition) == [
        ("suspect", Reason.BLOCKED_ADDRESS),
        ("suspect", Reason.BLOCKED_DOMAIN),
        ("suspect", Reason.BLOCKED_EMAIL),
        ("confirmed", ""),
    ]


def test_the_honeypot_and_a_form_sent_too_fast_ask_one_more_step_and_store_nothing(
    stack, mailbox, sign_data
):
    petition = make_petition()
    sign_path, _ = _paths(petition)
    attempts = {
        "honeypot@example.org": ({"website": "https://spam.example"}, "203.0.113.40"),
        "at-once@example.org": (
            {"started": make_stamp(petition_id=petition.pk)},
            "203.0.113.41",
        ),
        "no-stamp@example.org": ({"started": ""}, "203.0.113.42"),
    }

    responses = [
        stack.post(
            sign_path,
            sign_data | {"started": stamp_for(petition)} | fields | {"email": email},
            forwarded_for=ip,
        )
        for email, (fields, ip) in attempts.items()
    ]
    time.sleep(SWEEPS)

    assert all(r.status == 200 and "One more step" in r.text for r in responses)
    assert _states(petition) == []
    assert not mailbox.count_by_recipient(set(attempts))


def test_without_redis_signing_goes_on_unlimited_and_the_limit_returns_with_it(
    outage_stack, private_redis, sign_data
):
    petition = make_petition()
    sign_path, check_email_path = _paths(petition)

    def sign(n: int):
        return outage_stack.post(
            sign_path,
            sign_data
            | {"started": stamp_for(petition), "email": f"outage{n}@example.org"},
            forwarded_for="203.0.113.60",
        )

    private_redis.stop()
    during = [sign(n) for n in range(10)]
    private_redis.start()
    # Each web process tries Redis again once its circuit breaker's time is up.
    time.sleep(settings.REDIS_BREAKER_SECONDS + 0.5)
    after = [sign(n) for n in range(10, 14)]

    assert {(r.status, r.location) for r in during + after[:3]} == {
        (302, check_email_path)
    }
    assert "One more step" in after[3].text  # the soft limit is back
    assert _states(petition) == [("pending", "")] * 13
    assert "Rate limit store unavailable" in outage_stack.log("web")
