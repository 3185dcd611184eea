import re

import pytest

from actions.abuse import screening
from actions.abuse.models import AbuseSettings, BlockListEntry
from actions.models import Petition, Signature

pytestmark = pytest.mark.django_db

Reason = Signature.SuspectReason


def _screen(petition: Petition, **overrides: object) -> screening.Screening:
    attempt = {
        "client_ip": "203.0.113.9",
        "email": "ada@example.org",
        "honeypot": "",
        "fill_seconds": 30.0,
    }
    return screening.screen(petition=petition, **attempt | overrides)


# client_hash


def test_a_client_hash_is_32_hex_digits_and_never_the_address(settings):
    hashed = screening.client_hash("203.0.113.9")

    assert re.fullmatch(r"[0-9a-f]{32}", hashed)
    assert "203" not in hashed
    assert screening.client_hash("203.0.113.9") == hashed
    assert screening.client_hash("203.0.113.10") != hashed


def test_the_hash_depends_on_the_key(settings):
    before = screening.client_hash("203.0.113.9")
    settings.CLIENT_HASH_KEY = "another key"

    assert screening.client_hash("203.0.113.9") != before


def test_an_ipv6_client_is_known_by_its_slash_64():
    home = screening.client_hash("2001:db8:1:2::1")

    assert screening.client_hash("2001:db8:1:2:ffff:abcd::9") == home
    assert screening.client_hash("2001:db8:1:3::1") != home


def test_an_ipv4_mapped_address_hashes_as_its_ipv4_address():
    assert screening.client_hash("::ffff:203.0.113.9") == screening.client_hash(
        "203.0.113.9"
    )


def test_no_address_gives_no_hash():
    assert screening.client_hash("") == ""


# limits


def test_a_petition_without_settings_has_the_site_limits(petition, settings):
    settings.ABUSE_BURST_LIMIT = 4
    settings.ABUSE_FLAG_THRESHOLD = 40

    limits = screening.limits_for(petition)

    assert (limits.burst, limits.flag_threshold) == (4, 40)
    assert limits.sustained == settings.ABUSE_SUSTAINED_LIMIT


def test_a_petitions_own_limit_wins_and_blank_falls_back(petition, settings):
    AbuseSettings.objects.create(petition=petition, burst_limit=0, min_fill_seconds=9)
    petition = Petition.objects.select_related("abuse_settings").get(pk=petition.pk)

    limits = screening.limits_for(petition)

    assert (limits.burst, limits.min_fill_seconds) == (0, 9)
    assert limits.sustained == settings.ABUSE_SUSTAINED_LIMIT


# screen


def test_a_plain_attempt_is_clean_and_carries_its_client_hash(petition):
    screened = _screen(petition)

    assert screened == screening.Screening(
        client_hash=screening.client_hash("203.0.113.9"), reason=""
    )


def test_the_honeypot_makes_an_attempt_suspect(petition):
    assert _screen(petition, honeypot="http://spam.example").reason == Reason.HONEYPOT


@pytest.mark.parametrize("fill_seconds", [0.0, 2.9, -5.0])
def test_a_form_sent_too_soon_is_suspect(petition, fill_seconds):
    assert _screen(petition, fill_seconds=fill_seconds).reason == Reason.TOO_FAST


def test_an_attempt_not_made_through_the_form_has_no_fill_time_check(petition):
    assert _screen(petition, fill_seconds=None).reason == ""


def test_a_minimum_fill_time_of_zero_turns_the_check_off(petition):
    AbuseSettings.objects.create(petition=petition, min_fill_seconds=0)

    assert _screen(petition, fill_seconds=0.0).reason == ""


def test_the_fourth_attempt_in_the_burst_window_is_suspect(petition, settings):
    reasons = [_screen(petition, email=f"s{n}@example.org").reason for n in range(5)]

    assert reasons == ["", "", "", Reason.BURST_LIMIT, Reason.BURST_LIMIT]


def test_the_sustained_limit_catches_a_slower_client(petition, settings):
    AbuseSettings.objects.create(petition=petition, burst_limit=0, sustained_limit=4)

    reasons = [_screen(petition).reason for _ in range(6)]

    assert reasons == ["", "", "", "", Reason.SUSTAINED_LIMIT, Reason.SUSTAINED_LIMIT]


def test_limits_count_per_petition_and_per_client(petition, settings):
    other = Petition.objects.create(
        statement=petition.statement,
        target=petition.target,
        title="Other",
        slug="other",
        demand="Act.",
    )
    for _ in range(3):
        _screen(petition)

    assert _screen(petition).reason == Reason.BURST_LIMIT
    assert _screen(other).reason == ""
    assert _screen(petition, client_ip="203.0.113.10").reason == ""


def test_suspect_attempts_count_toward_the_limit_too(petition):
    for _ in range(3):
        _screen(petition, honeypot="x")

    assert _screen(petition).reason == Reason.BURST_LIMIT


def test_limits_of_zero_turn_rate_limiting_off(petition):
    AbuseSettings.objects.create(petition=petition, burst_limit=0, sustained_limit=0)

    assert {_screen(petition).reason for _ in range(20)} == {""}


def test_an_attempt_without_a_client_address_is_not_rate_limited(petition):
    reasons = {_screen(petition, client_ip="").reason for _ in range(5)}

    assert reasons == {""}


def test_the_block_list_comes_before_the_other_reasons(petition):
    BlockListEntry.objects.create(kind="domain", value="example.org")

    assert _screen(petition, honeypot="x").reason == Reason.BLOCKED_DOMAIN
