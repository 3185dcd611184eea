"""The block list: address ranges, email domains and email addresses.

Signing checks every attempt against it without asking the database: each
process keeps the list, compiled for quick lookups, in its short-lived row
cache (``caches["rows"]``, the one mechanism for such per-process caches) and
reads it again after ``settings.ABUSE_BLOCKLIST_CACHE_SECONDS``. A new entry
therefore takes effect within those seconds everywhere (at once in the
process that saved it).
"""

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import caches

from actions.abuse.models import BlockListEntry
from actions.models import Signature

Kind = BlockListEntry.Kind
Reason = Signature.SuspectReason


@dataclass(frozen=True)
class BlockList:
    """The block list compiled for lookups in constant time per prefix length."""

    # (IP version, prefix length) -> the ranges' leading bits, as integers.
    networks: dict[tuple[int, int], frozenset[int]] = field(default_factory=dict)
    domains: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()

    def reason(self, *, ip: str, email: str) -> str:
        """Why a signing from this address with this canonical email is
        blocked (a Signature.SuspectReason), or "" if it is not."""
        if self.networks and ip and self._has_address(ip):
            return Reason.BLOCKED_ADDRESS
        labels = email.rpartition("@")[2].split(".")
        if any(".".join(labels[i:]) in self.domains for i in range(len(labels))):
            return Reason.BLOCKED_DOMAIN
        if email in self.emails:
            return Reason.BLOCKED_EMAIL
        return ""

    def _has_address(self, ip: str) -> bool:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        if address.version == 6 and address.ipv4_mapped:
            address = address.ipv4_mapped
        bits = address.max_prefixlen
        return any(
            int(address) >> (bits - prefix) in starts
            for (version, prefix), starts in self.networks.items()
            if version == address.version
        )


def compile_entries(entries: Iterable[tuple[str, str]]) -> BlockList:
    """A BlockList from (kind, value) pairs as stored."""
    networks: dict[tuple[int, int], set[int]] = {}
    domains, emails = set(), set()
    for kind, value in entries:
        if kind == Kind.NETWORK:
            network = ipaddress.ip_network(value, strict=False)
            start = int(network.network_address) >> (
                network.max_prefixlen - network.prefixlen
            )
            networks.setdefault((network.version, network.prefixlen), set()).add(start)
        elif kind == Kind.DOMAIN:
            domains.add(value)
        elif kind == Kind.EMAIL:
            emails.add(value)
    return BlockList(
        networks={key: frozenset(starts) for key, starts in networks.items()},
        domains=frozenset(domains),
        emails=frozenset(emails),
    )


CACHE_KEY = "abuse-blocklist"


def current() -> BlockList:
    """This process's copy of the block list, read again when it is stale."""
    block_list = caches["rows"].get_or_set(
        CACHE_KEY,
        lambda: compile_entries(BlockListEntry.objects.values_list("kind", "value")),
        settings.ABUSE_BLOCKLIST_CACHE_SECONDS,
    )
    assert isinstance(block_list, BlockList)  # computed when missing
    return block_list


def forget() -> None:
    """Read the block list again at the next signing (after a change here)."""
    caches["rows"].delete(CACHE_KEY)
