"""Fixtures of the site-wide tests."""

import copy
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from django.db import connections
from django.db.utils import load_backend


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket closes


@pytest.fixture
def database_down() -> Callable[[], AbstractContextManager[None]]:
    """A context in which the default database cannot be reached, as in an
    outage: the connection is swapped for one to a database that is not there
    (a closed port on PostgreSQL, a file in a folder that does not exist on
    SQLite), so every query raises what the driver raises."""

    @contextmanager
    def down() -> Iterator[None]:
        working = connections["default"]
        unreachable = copy.deepcopy(working.settings_dict)
        if working.vendor == "sqlite":
            unreachable["NAME"] = "/no-such-folder/campaign.sqlite3"
        else:
            unreachable |= {"HOST": "127.0.0.1", "PORT": str(closed_port())}
        backend = load_backend(unreachable["ENGINE"])
        connections["default"] = backend.DatabaseWrapper(unreachable, "default")
        try:
            yield
        finally:
            connections["default"].close()
            connections["default"] = working

    return down
