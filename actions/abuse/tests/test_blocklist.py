import pytest

from actions.abuse import blocklist
from actions.abuse.models import BlockListEntry
from actions.models import Signature

Reason = Signature.SuspectReason

BLOCKS = blocklist.compile_entries(
    [
        ("network", "198.51.100.0/24"),
        ("network", "192.0.2.7/32"),
        ("network", "2001:db8:bad::/48"),
        ("domain", "spam.example"),
        ("email", "ada@gmail.com"),
    ]
)


@pytest.mark.parametrize(
    ("ip", "email", "reason"),
    [
        ("198.51.100.1", "x@example.org", Reason.BLOCKED_ADDRESS),
        ("198.51.100.255", "x@example.org", Reason.BLOCKED_ADDRESS),
        ("198.51.101.1", "x@example.org", ""),
        ("192.0.2.7", "x@example.org", Reason.BLOCKED_ADDRESS),
        ("192.0.2.8", "x@example.org", ""),
        ("::ffff:198.51.100.9", "x@example.org", Reason.BLOCKED_ADDRESS),
        ("2001:db8:bad:1::9", "x@example.org", Reason.BLOCKED_ADDRESS),
        ("2001:db8:bae::9", "x@example.org", ""),
        ("203.0.113.1", "x@spam.example", Reason.BLOCKED_DOMAIN),
        ("203.0.113.1", "x@mail.spam.example", Reason.BLOCKED_DOMAIN),
        ("203.0.113.1", "x@notspam.example", ""),
        ("203.0.113.1", "x@spam.example.org", ""),
        ("203.0.113.1", "ada@gmail.com", Reason.BLOCKED_EMAIL),
        ("203.0.113.1", "ada2@gmail.com", ""),
        ("", "x@example.org", ""),
        ("not an address", "x@example.org", ""),
    ],
)
def test_the_block_list_matches_ranges_domains_and_addresses(ip, email, reason):
    assert BLOCKS.reason(ip=ip, email=email) == reason


def test_an_empty_block_list_blocks_nothing():
    assert blocklist.BlockList().reason(ip="198.51.100.1", email="a@b.example") == ""


@pytest.mark.django_db
def test_each_process_reads_the_list_again_once_it_is_stale(settings):
    settings.ABUSE_BLOCKLIST_CACHE_SECONDS = 3600
    assert blocklist.current().domains == frozenset()
    BlockListEntry.objects.create(kind="domain", value="spam.example")

    kept = blocklist.current().domains
    blocklist.forget()
    read_again = blocklist.current().domains

    assert kept == frozenset()
    assert read_again == {"spam.example"}


@pytest.mark.django_db
def test_a_fresh_copy_costs_no_query(django_assert_num_queries):
    blocklist.current()

    with django_assert_num_queries(0):
        blocklist.current()
