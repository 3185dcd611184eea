"""The Merkle tree of a day's confirmed signatures (pure functions, no Django).

- A leaf value is HMAC-SHA256 under the receipt key of
  ``"<signature id>\\n<canonical email>\\n<confirmed at, UTC ISO 8601>"``:
  nothing personal is published, and nobody without the key can test a guess.
- Hashes are domain-separated: a leaf's node is SHA-256(0x00 || leaf value),
  an inner node SHA-256(0x01 || left || right), so a leaf can never pass for
  an inner node.
- Levels pair nodes left to right; an odd last node is promoted to the next
  level unchanged (never duplicated, so two different lists of leaves never
  share a root).
- A path lists the sibling hashes from the leaf up; which side each is on, and
  which levels have none (a promoted node), follow from the leaf's position
  and the tree's size, so a receipt cannot reorder them.

The tree is built in chunks of CHUNK leaves: positions are aligned, so each
full chunk is a complete subtree and the last one folds to one node too; the
roots of the chunks are the tree's level log2(CHUNK), kept with the day's root
so that a receipt needs only its own chunk's leaves.
"""

import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime

CHUNK = 1024
CHUNK_LEVELS = 10  # log2(CHUNK)
HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
KEY_LABEL = b"actions.receipts.leaf-key.v1"


def derive_key(secret: str) -> bytes:
    """The leaf key: its own key, derived from a secret used for other things."""
    return hmac.new(secret.encode(), KEY_LABEL, hashlib.sha256).digest()


def canonical_time(at: datetime) -> str:
    """The confirmation time as hashed: UTC, microseconds, a trailing Z."""
    if at.utcoffset():
        at = at.astimezone(UTC)
    return at.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def leaf_message(signature_id: int, email: str, confirmed_at: datetime) -> str:
    return f"{signature_id}\n{email}\n{canonical_time(confirmed_at)}"


def message_value(key: bytes, message: str) -> bytes:
    return hmac.digest(key, message.encode(), "sha256")


def leaf_value(
    key: bytes, signature_id: int, email: str, confirmed_at: datetime
) -> bytes:
    return message_value(key, leaf_message(signature_id, email, confirmed_at))


def leaf_node(value: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + value).digest()


def inner_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def next_level(nodes: Sequence[bytes]) -> list[bytes]:
    sha = hashlib.sha256
    paired = [
        sha(NODE_PREFIX + nodes[i] + nodes[i + 1]).digest()
        for i in range(0, len(nodes) - 1, 2)
    ]
    if len(nodes) % 2:
        paired.append(nodes[-1])
    return paired


def fold(nodes: Sequence[bytes]) -> bytes:
    """The root over these nodes of one level (one node: itself)."""
    if not nodes:
        raise ValueError("An empty tree has no root")
    level = list(nodes)
    while len(level) > 1:
        level = next_level(level)
    return level[0]


def chunk_root(values: Sequence[bytes]) -> bytes:
    """The root of one chunk of leaf values."""
    sha = hashlib.sha256
    return fold([sha(LEAF_PREFIX + value).digest() for value in values])


def path(nodes: Sequence[bytes], position: int) -> list[bytes]:
    """Sibling hashes from nodes[position] up to the root over nodes."""
    siblings = []
    level = list(nodes)
    while len(level) > 1:
        sibling = position ^ 1
        if sibling < len(level):
            siblings.append(level[sibling])
        level = next_level(level)
        position //= 2
    return siblings


def receipt_path(
    chunk_values: Sequence[bytes], chunk_roots: Sequence[bytes], position: int
) -> list[bytes]:
    """The path of the leaf at ``position`` of the day, from its chunk's leaf
    values and the day's chunk roots."""
    within = path([leaf_node(v) for v in chunk_values], position % CHUNK)
    return within + path(chunk_roots, position // CHUNK)


def root_from_path(
    value: bytes, position: int, size: int, siblings: Sequence[bytes]
) -> bytes | None:
    """The root a leaf value and its path lead to; None when the path's length
    does not fit the position and size."""
    if not 0 <= position < size:
        return None
    node = leaf_node(value)
    remaining = list(siblings)
    while size > 1:
        if position % 2:
            if not remaining:
                return None
            node = inner_node(remaining.pop(0), node)
        elif position + 1 < size:
            if not remaining:
                return None
            node = inner_node(node, remaining.pop(0))
        position //= 2
        size = (size + 1) // 2
    return None if remaining else node
