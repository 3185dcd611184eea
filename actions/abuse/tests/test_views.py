"""Signing through the form under the abuse controls: a suspect signing looks
exactly like any other to the one who sent it."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.abuse import blocklist
from actions.abuse.models import AbuseSettings, BlockListEntry
from actions.abuse.stamp import make_stamp
from actions.models import Petition, Signature
from actions.outbox.models import OutboundEmail
from actions.services import confirm_signature

pytestmark = pytest.mark.django_db

Reason = Signature.SuspectReason


def _sign_url(petition: Petition) -> str:
    return reverse("actions:sign", kwargs={"slug": petition.slug})


def _sign(client, petition, data, **extra):
    return client.post(_sign_url(petition), data, **extra)


def _looks(client, response) -> tuple[int, str, bytes]:
    """What the sender sees: status, redirect, and the page it leads to."""
    page = (
        client.get(response["Location"]).content if response.status_code == 302 else b""
    )
    return response.status_code, response.get("Location", ""), page


def _is_step_page(response) -> bool:
    return response.status_code == 200 and b"One more step" in response.content


def test_ten_signings_from_one_address_in_a_minute_take_three_then_ask_a_step(
    client, petition, sign_data, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        responses = [
            _sign(client, petition, sign_data | {"email": f"crowd{n}@example.org"})
            for n in range(10)
        ]

    assert [r.status_code for r in responses[:3]] == [302] * 3
    assert all(_is_step_page(response) for response in responses[3:])
    # The soft limit holds no one silently: the seven were not stored yet.
    assert Signature.objects.filter(state=Signature.State.PENDING).count() == 3
    assert Signature.objects.count() == 3
    assert sorted(m.to[0] for m in mailoutbox) == [
        f"crowd{n}@example.org" for n in range(3)
    ]


def test_a_filled_honeypot_asks_one_more_step_and_stores_nothing_yet(
    client, petition, sign_data, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        filled = _sign(client, petition, sign_data | {"website": "ada@example.org"})

    assert _is_step_page(filled)
    assert not Signature.objects.exists()
    assert mailoutbox == []


@pytest.mark.parametrize(
    "started",
    [
        lambda petition: make_stamp(petition_id=petition.pk),  # sent at once
        lambda petition: "",  # no stamp
        lambda petition: make_stamp(1_000.0, petition_id=petition.pk).replace(
            "1000.000", "900.000"
        ),  # moved back
        lambda petition: "1000.000",  # unsigned
        # A day and more old.
        lambda petition: make_stamp(time.time() - 25 * 3600, petition_id=petition.pk),
        lambda petition: make_stamp(time.time() - 60, petition_id=petition.pk + 1),
        lambda petition: make_stamp(time.time() - 60),  # bound to no petition
    ],
    ids=["at-once", "missing", "tampered", "unsigned", "expired", "foreign", "unbound"],
)
def test_a_form_sent_too_fast_or_with_a_bad_stamp_asks_one_more_step(
    client, petition, sign_data, mailoutbox, django_capture_on_commit_callbacks, started
):
    with django_capture_on_commit_callbacks(execute=True):
        bot = _sign(
            client,
            petition,
            sign_data | {"email": "bot@example.org", "started": started(petition)},
        )

    assert _is_step_page(bot)
    assert not Signature.objects.exists()
    assert mailoutbox == []


def test_a_petition_without_a_fill_time_check_takes_a_form_without_a_stamp(
    client, petition, sign_data, mailoutbox, django_capture_on_commit_callbacks
):
    AbuseSettings.objects.create(petition=petition, min_fill_seconds=0)

    with django_capture_on_commit_callbacks(execute=True):
        _sign(client, petition, sign_data | {"started": ""})

    assert Signature.objects.get().state == Signature.State.PENDING
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    ("kind", "value", "address", "email", "reason"),
    [
        ("network", "198.51.100.0/24", "198.51.100.20", "a@example.org", "address"),
        ("network", "2001:db8:bad::/48", "2001:db8:bad::1", "a@example.org", "address"),
        ("domain", "spam.example", "203.0.113.1", "a@mail.spam.example", "domain"),
        (
            "email",
            "adalovelace@gmail.com",
            "203.0.113.1",
            "Ada.Lovelace+x@Gmail.com",
            "email",
        ),
    ],
    ids=["ipv4-range", "ipv6-range", "subdomain", "canonical-email"],
)
def test_a_blocked_signer_is_suspect_uncounted_and_sent_nothing(
    client,
    petition,
    sign_data,
    mailoutbox,
    django_capture_on_commit_callbacks,
    kind,
    value,
    address,
    email,
    reason,
):
    BlockListEntry.objects.create(kind=kind, value=value)
    blocklist.forget()

    with django_capture_on_commit_callbacks(execute=True):
        response = _sign(
            client, petition, sign_data | {"email": email}, REMOTE_ADDR=address
        )

    assert response.status_code == 302
    signature = Signature.objects.get()
    assert signature.suspect_reason == f"blocked_{reason}"
    assert petition.confirmed_count() == 0
    assert mailoutbox == []
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize(
    ("proxies", "forwarded_for"),
    [
        (0, "198.51.100.{n}"),  # no proxy: the header is the client's own
        (1, "198.51.100.{n}, 203.0.113.5"),  # the proxy appended the real one
    ],
    ids=["no-proxy", "behind-a-proxy"],
)
def test_a_forged_forwarded_for_does_not_change_the_rate_limit(
    client, petition, sign_data, settings, proxies, forwarded_for
):
    settings.TRUSTED_PROXY_COUNT = proxies
    responses = [
        _sign(
            client,
            petition,
            sign_data | {"email": f"forged{n}@example.org"},
            HTTP_X_FORWARDED_FOR=forwarded_for.format(n=n),
        )
        for n in range(6)
    ]

    assert Signature.objects.filter(state="pending").count() == 3
    assert [_is_step_page(r) for r in responses] == [False] * 3 + [True] * 3
    assert len(set(Signature.objects.values_list("client_hash", flat=True))) == 1


def test_behind_a_proxy_another_client_has_its_own_limit(
    client, petition, sign_data, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(4):
        _sign(
            client,
            petition,
            sign_data | {"email": f"busy{n}@example.org"},
            HTTP_X_FORWARDED_FOR="203.0.113.5",
        )
    _sign(
        client,
        petition,
        sign_data | {"email": "neighbour@example.org"},
        HTTP_X_FORWARDED_FOR="203.0.113.6",
    )

    assert Signature.objects.get(email="neighbour@example.org").state == "pending"


def test_the_client_address_is_kept_only_as_its_hash(client, petition, sign_data):
    _sign(client, petition, sign_data, REMOTE_ADDR="203.0.113.77")

    row = Signature.objects.values().get()
    assert len(row["client_hash"]) == 32
    assert not [name for name, value in row.items() if "203.0.113" in str(value)]


def _block(kind: str, value: str) -> None:
    BlockListEntry.objects.create(kind=kind, value=value)
    blocklist.forget()


def test_a_clean_signing_takes_its_address_back_from_a_suspect_signature(
    client, petition, sign_data, mailoutbox, django_capture_on_commit_callbacks
):
    """A script on a blocked network signs with someone's address first: the
    owner's own signing later makes it theirs, pending their confirmation."""
    _block("network", "198.51.100.0/24")
    with django_capture_on_commit_callbacks(execute=True):
        _sign(
            client,
            petition,
            sign_data | {"first_name": "Not", "last_name": "Ada", "country": "FR"},
            REMOTE_ADDR="198.51.100.20",
        )
        assert Signature.objects.get().state == "suspect"
        again = _sign(client, petition, sign_data, REMOTE_ADDR="203.0.113.50")

    assert again.status_code == 302
    signature = Signature.objects.get()
    assert signature.state == "pending"
    assert (signature.first_name, signature.last_name, signature.country) == (
        "Ada",
        "Lovelace",
        "KH",
    )
    # When and why it was suspect stay on record.
    assert signature.suspect_reason == Reason.BLOCKED_ADDRESS
    assert [m.to for m in mailoutbox] == [["ada@example.org"]]
    confirm_signature(signature=signature)
    assert petition.confirmed_count() == 1


def test_taking_over_a_sensitive_petitions_suspect_signature_stores_no_client_hash(
    client, petition, sign_data, django_capture_on_commit_callbacks
):
    petition.sensitive = True
    petition.save(update_fields=["sensitive"])
    _block("network", "198.51.100.0/24")
    with django_capture_on_commit_callbacks(execute=True):
        _sign(client, petition, sign_data, REMOTE_ADDR="198.51.100.20")
        _sign(client, petition, sign_data, REMOTE_ADDR="203.0.113.50")

    signature = Signature.objects.get()
    assert signature.state == "pending"
    assert signature.client_hash == ""


def test_a_suspect_attempt_does_not_take_over_a_suspect_signature(
    client, petition, sign_data, mailoutbox, django_capture_on_commit_callbacks
):
    _block("network", "198.51.100.0/24")
    with django_capture_on_commit_callbacks(execute=True):
        _sign(client, petition, sign_data, REMOTE_ADDR="198.51.100.20")
        _sign(client, petition, sign_data, REMOTE_ADDR="198.51.100.21")
        resend = client.post(
            reverse("actions:resend", kwargs={"slug": petition.slug}),
            {"email": sign_data["email"]},
        )

    assert resend.status_code == 302
    assert Signature.objects.get().state == "suspect"
    assert mailoutbox == []


def test_suspect_signatures_are_capped_per_client_and_petition(
    client, petition, sign_data, settings
):
    settings.ABUSE_SUSPECT_CAP = 3
    _block("network", "198.51.100.0/24")
    responses = [
        _sign(
            client,
            petition,
            sign_data | {"email": f"many{n}@example.org"},
            REMOTE_ADDR="198.51.100.20",
        )
        for n in range(5)
    ]

    assert {r.status_code for r in responses} == {302}
    assert Signature.objects.filter(state="suspect").count() == 3
    # Another client's suspects have their own cap.
    _sign(
        client,
        petition,
        sign_data | {"email": "other@example.org"},
        REMOTE_ADDR="198.51.100.99",
    )
    assert Signature.objects.filter(state="suspect").count() == 4


def test_a_suspect_attempt_on_a_real_signature_changes_and_sends_nothing(
    client, petition, sign_data, mailoutbox, django_capture_on_commit_callbacks
):
    _block("network", "198.51.100.0/24")
    with django_capture_on_commit_callbacks(execute=True):
        _sign(client, petition, sign_data)
        confirm_signature(signature=Signature.objects.get())
        bot = _sign(client, petition, sign_data, REMOTE_ADDR="198.51.100.20")

    assert bot.status_code == 302
    signature = Signature.objects.get()
    assert (signature.state, signature.suspect_reason) == ("confirmed", "")
    assert signature.emails_queued == 1
    assert len(mailoutbox) == 1
    assert petition.confirmed_count() == 1


def test_signing_adds_no_query_to_the_hot_path(
    client, petition, sign_data, django_assert_num_queries
):
    _sign(client, petition, sign_data)  # the petition and block list are read

    # Elsewhere: a savepoint, the signature, its email and its consent record.
    on_postgresql = connection.vendor == "postgresql"
    with django_assert_num_queries(1 if on_postgresql else 5):
        response = _sign(client, petition, sign_data | {"email": "b@example.org"})

    assert response.status_code == 302
    assert Signature.objects.get(email="b@example.org").state == "pending"


def test_signing_a_known_address_costs_the_request_what_a_new_one_does(
    client, petition, sign_data, mailoutbox, django_capture_on_commit_callbacks
):
    """No extra query in the request when the address signed already: the
    statement that inserts also says so, and the workers do the rest after the
    response (one message to them on either path)."""
    _sign(client, petition, sign_data)  # the petition and block list are read
    counts = {}
    for label, email in (("new", "b@example.org"), ("known", "b@example.org")):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            with CaptureQueriesContext(connection) as queries:
                response = _sign(client, petition, sign_data | {"email": email})
        assert response.status_code == 302
        counts[label] = (len(queries), len(callbacks))
        for callback in callbacks:
            callback()

    # On PostgreSQL, one statement and one message each; SQLite (development)
    # takes the plain path, which asks the known address's case separately.
    if connection.vendor == "postgresql":
        assert counts["new"] == counts["known"] == (1, 1)
    assert counts["new"][1] == counts["known"][1] == 1
    # The second confirmation email was queued after the response.
    assert OutboundEmail.objects.filter(to_email="b@example.org").count() == 2
