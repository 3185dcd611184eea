"""The tree: roots, paths and their checks, promotion of odd nodes, chunks,
and the domain separation of leaves and inner nodes."""

import hashlib
import os
from datetime import UTC, datetime, timedelta, timezone

import pytest

from actions.receipts import merkle


def _values(n: int) -> list[bytes]:
    return [hashlib.sha256(str(i).encode()).digest() for i in range(n)]


def _root(values: list[bytes]) -> bytes:
    return merkle.fold([merkle.leaf_node(v) for v in values])


def _chunked(values: list[bytes]) -> list[bytes]:
    return [
        merkle.chunk_root(values[i : i + merkle.CHUNK])
        for i in range(0, len(values), merkle.CHUNK)
    ]


def test_a_single_leaf_is_its_own_root_with_an_empty_path():
    (value,) = _values(1)
    assert _root([value]) == merkle.leaf_node(value)
    assert merkle.path([merkle.leaf_node(value)], 0) == []
    assert merkle.root_from_path(value, 0, 1, []) == _root([value])


def test_three_leaves_promote_the_third_unchanged():
    a, b, c = _values(3)
    expected = merkle.inner_node(
        merkle.inner_node(merkle.leaf_node(a), merkle.leaf_node(b)),
        merkle.leaf_node(c),
    )
    assert _root([a, b, c]) == expected


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 13, 100])
def test_every_leafs_path_leads_to_the_root(size):
    values = _values(size)
    nodes = [merkle.leaf_node(v) for v in values]
    root = merkle.fold(nodes)
    for position, value in enumerate(values):
        siblings = merkle.path(nodes, position)
        assert merkle.root_from_path(value, position, size, siblings) == root


@pytest.mark.parametrize("size", [1, 1023, 1024, 1025, 2049, 3000])
def test_chunked_trees_equal_the_whole_tree_and_give_the_same_paths(size):
    values = _values(size)
    chunk_roots = _chunked(values)
    assert merkle.fold(chunk_roots) == _root(values)
    nodes = [merkle.leaf_node(v) for v in values]
    for position in {0, size // 2, size - 1, min(1024, size - 1)}:
        chunk = position // merkle.CHUNK * merkle.CHUNK
        siblings = merkle.receipt_path(
            values[chunk : chunk + merkle.CHUNK], chunk_roots, position
        )
        assert siblings == merkle.path(nodes, position)
        assert merkle.root_from_path(values[position], position, size, siblings)


def test_a_wrong_position_size_or_path_leads_elsewhere():
    values = _values(6)
    nodes = [merkle.leaf_node(v) for v in values]
    root = merkle.fold(nodes)
    siblings = merkle.path(nodes, 2)
    assert merkle.root_from_path(values[2], 3, 6, siblings) != root
    assert merkle.root_from_path(values[2], 2, 4, siblings) is None
    assert merkle.root_from_path(values[2], 2, 6, siblings[:-1]) is None
    assert merkle.root_from_path(values[2], 2, 6, [*siblings, root]) is None
    assert merkle.root_from_path(values[2], 6, 6, siblings) is None
    assert merkle.root_from_path(values[3], 2, 6, siblings) != root


def test_duplicating_the_last_leaf_changes_the_root():
    values = _values(3)
    assert _root(values) != _root([*values, values[-1]])


def test_an_inner_node_cannot_pass_for_a_leaf():
    """With the two children's concatenation as a "leaf value", the root of
    a two-leaf tree differs from the one-leaf tree of that value."""
    a, b = _values(2)
    joined = merkle.leaf_node(a) + merkle.leaf_node(b)
    assert merkle.leaf_node(joined) != _root([a, b])


def test_leaf_values_depend_on_key_id_email_and_time_to_the_microsecond():
    key = merkle.derive_key("secret")
    when = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    value = merkle.leaf_value(key, 1, "ada@example.org", when)
    assert value != merkle.leaf_value(
        merkle.derive_key("other"), 1, "ada@example.org", when
    )
    assert value != merkle.leaf_value(key, 2, "ada@example.org", when)
    assert value != merkle.leaf_value(key, 1, "bob@example.org", when)
    later = when + timedelta(microseconds=1)
    assert value != merkle.leaf_value(key, 1, "ada@example.org", later)
    same_instant = when.astimezone(timezone(timedelta(hours=7)))
    assert value == merkle.leaf_value(key, 1, "ada@example.org", same_instant)
    assert merkle.canonical_time(same_instant) == "2026-11-02T10:00:00.000000Z"


def test_the_leaf_key_is_not_the_secret_itself():
    secret = os.urandom(16).hex()
    assert merkle.derive_key(secret) != secret.encode()
    assert len(merkle.derive_key(secret)) == 32
