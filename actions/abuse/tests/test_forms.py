from datetime import UTC, datetime

import pytest

from actions.abuse.forms import AbuseSettingsForm, BlockListEntryForm, InvalidateForm
from actions.abuse.models import BlockListEntry
from actions.abuse.services import SignatureFilter

pytestmark = pytest.mark.django_db


def _block(kind: str, value: str, note: str = "") -> BlockListEntryForm:
    return BlockListEntryForm({"kind": kind, "value": value, "note": note})


@pytest.mark.parametrize(
    ("kind", "typed", "stored"),
    [
        ("network", "198.51.100.0/24", "198.51.100.0/24"),
        ("network", " 198.51.100.77/24 ", "198.51.100.0/24"),
        ("network", "203.0.113.7", "203.0.113.7/32"),
        ("network", "2001:DB8:0:0::/48", "2001:db8::/48"),
        ("network", "2001:db8::1", "2001:db8::1/128"),
        ("domain", "Spam.Example", "spam.example"),
        ("domain", "@spam.example.", "spam.example"),
        ("domain", "*.spam.example", "spam.example"),
        ("email", "Ada.Lovelace+petitions@GoogleMail.com", "adalovelace@gmail.com"),
        ("email", "Ada@Example.org", "ada@example.org"),
    ],
)
def test_block_list_values_are_stored_normalised(kind, typed, stored):
    form = _block(kind, typed)

    assert form.is_valid(), form.errors
    assert form.save().value == stored


@pytest.mark.parametrize(
    ("kind", "typed", "message"),
    [
        ("network", "198.51.100.0/33", "is not an address range"),
        ("network", "198.51.100", "is not an address range"),
        ("network", "spam.example", "is not an address range"),
        ("network", "10.0.0.0/7", "an IPv4 range needs a prefix of /8 or longer"),
        ("network", "2001::/15", "an IPv6 range needs a prefix of /16 or longer"),
        ("domain", "com", "is not an email domain"),
        ("domain", "spam example", "is not an email domain"),
        ("domain", "ada@spam.example", "is not an email domain"),
        ("email", "not-an-address", "Enter a valid email address."),
    ],
)
def test_a_bad_block_list_value_gets_a_clear_message(kind, typed, message):
    form = _block(kind, typed)

    assert not form.is_valid()
    assert message in form.errors["value"][0]
    assert not BlockListEntry.objects.exists()


def test_the_same_value_cannot_be_blocked_twice_in_another_spelling():
    _block("network", "198.51.100.0/24").save()

    form = _block("network", "198.51.100.9/24")

    assert not form.is_valid()
    assert "This is on the block list already." in str(form.errors)


def test_the_abuse_settings_form_says_what_blank_means(settings):
    settings.ABUSE_BURST_LIMIT = 4
    form = AbuseSettingsForm()

    assert "the site default (4)" in form.fields["burst_limit"].help_text
    assert "0: no limit" in form.fields["burst_limit"].help_text


def _invalidate(petition, **data: str) -> InvalidateForm:
    return InvalidateForm({"petition": petition.pk} | data)


def test_the_invalidate_form_builds_the_filter(petition):
    form = _invalidate(
        petition,
        email_domain="@Bots.Example",
        client_hash=" ABCDEF0123456789 ",
        signed_from="2026-11-02T10:00",
        signed_to="2026-11-02T11:00",
        state="pending",
    )

    assert form.is_valid(), form.errors
    assert form.signature_filter() == SignatureFilter(
        petition=petition,
        email_domain="bots.example",
        client_hash="abcdef0123456789",
        signed_from=datetime(2026, 11, 2, 10, tzinfo=UTC),
        signed_to=datetime(2026, 11, 2, 11, tzinfo=UTC),
        state="pending",
    )


def test_the_invalidate_forms_times_are_read_in_the_sites_zone_and_say_so(
    petition, settings
):
    settings.TIME_ZONE = "Asia/Bangkok"
    form = _invalidate(petition, signed_from="2026-11-02T17:00")

    assert form.is_valid(), form.errors
    assert form.signature_filter().signed_from == datetime(2026, 11, 2, 10, tzinfo=UTC)
    assert form.fields["signed_from"].help_text == (
        "Times are in the site's time zone, Asia/Bangkok."
    )
    assert "UTC" not in str(form.fields["signed_to"].label)


def test_the_invalidate_form_needs_a_narrowing_criterion(petition):
    form = _invalidate(petition, state="confirmed")

    assert not form.is_valid()
    assert form.non_field_errors() == [
        "Choose an email domain, a client hash or a time range."
    ]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"client_hash": "xyz"}, "client_hash", "hexadecimal"),
        ({"email_domain": "not a domain"}, "email_domain", "is not an email domain"),
        (
            {"signed_from": "2026-11-02T11:00", "signed_to": "2026-11-02T10:00"},
            "signed_to",
            "after “signed from”",
        ),
        ({"signed_from": "yesterday"}, "signed_from", "Enter a valid date/time."),
        (
            {"email_domain": "a.example", "state": "invalidated"},
            "state",
            "valid choice",
        ),
    ],
)
def test_bad_invalidate_criteria_get_a_clear_message(petition, data, field, message):
    form = _invalidate(petition, **data)

    assert not form.is_valid()
    assert message in str(form.errors[field])
