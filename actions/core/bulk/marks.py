"""Sent marks for bulk email: at most once, fenced by the claim.

Never twice, even when a worker dies mid-batch: a delivery is marked sent in
a database transaction whose commit leaves with the end-of-data mark of its
SMTP transaction (actions.core.bulk.transport). A worker killed before the
commit leaves a partial message, which the server must discard (RFC 5321,
4.1.1.4), and a row the sweep queues again; killed after both, the row is
sent and committed.

On PostgreSQL over TCP on Linux the commit is written first but held back in
the kernel (TCP_CORK) until the end-of-data mark has been written: a worker
killed between the two writes has its socket closed by the kernel, which
sends the commit then. So the email is lost only if the process dies in the
microseconds between the two system calls. With the commit awaited before
the mark (other databases, platforms without TCP_CORK, a Unix socket, or
FOLLOW_UP_PIPELINED_COMMIT off) the gap is a round trip:
bench/followup_kills.py measures both.

Follow-ups (one row per email) and letters (a letter per email, or a
recipient's digest of many) use these marks; each says which rows its mark
writes.
"""

import socket
from collections.abc import Callable

import psycopg
from django.conf import settings
from django.db import connection
from psycopg import pq


def can_pipeline() -> bool:
    """Whether sent marks are committed with the end-of-data mark (see above).
    Inside a transaction (tests) there is nothing to pipeline; without a cork
    to hold the commit back the plain order is kept."""
    return (
        settings.FOLLOW_UP_PIPELINED_COMMIT
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and can_cork()
    )


class AutocommitMark:
    """Any database: the rows are committed sent before the end-of-data mark.
    ``write`` commits them and says whether this worker still held them."""

    def __init__(self, write: Callable[[], bool]) -> None:
        self.write = write

    def hold(self) -> bool:
        return self.write()

    def commit(self) -> None:
        pass

    def wait(self) -> None:
        pass


class PipelinedMark:
    """PostgreSQL: the sent mark in a transaction of its own, on libpq directly
    (one round trip for BEGIN and the statement; the COMMIT written, corked,
    just before the SMTP end-of-data mark and let go after it).

    ``sql`` is one statement with its values inlined (integers and the
    caller's constants only: BEGIN and it travel as one simple query); it
    holds the delivery if it changes at least one row. Its row locks hold off
    an unsubscribe, an erasure or a take-over until the commit.
    """

    def __init__(self, sql: str) -> None:
        self.sql = sql
        connection.ensure_connection()
        self.pgconn = connection.connection.pgconn

    def hold(self) -> bool:
        # Errors come out as Django's, and mark the connection for a check.
        with connection.wrap_database_errors:
            result = self.pgconn.exec_(f"BEGIN; {self.sql}".encode())
            if result.status not in (
                pq.ExecStatus.COMMAND_OK,
                pq.ExecStatus.TUPLES_OK,
            ):
                self._rollback()
                raise psycopg.DatabaseError(_pq_error(result))
            if result.command_tuples < 1:
                self._rollback()
                return False
            return True

    def commit(self) -> None:
        with connection.wrap_database_errors:
            # Held in the kernel: writing it does not wake the database's
            # process, which could take this one's CPU before the next write.
            _cork(self.pgconn.socket, True)
            self.pgconn.send_query(b"COMMIT")
            while self.pgconn.flush():  # 1: not all of it is written yet
                pass

    def wait(self) -> None:
        with connection.wrap_database_errors:
            _cork(self.pgconn.socket, False)  # the commit leaves now
            failed = None
            while (result := self.pgconn.get_result()) is not None:
                if result.status != pq.ExecStatus.COMMAND_OK:
                    failed = result
            if failed is not None:
                raise psycopg.DatabaseError(_pq_error(failed))

    def _rollback(self) -> None:
        if self.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            self.pgconn.exec_(b"ROLLBACK")


def can_cork() -> bool:
    """Whether this platform can hold the commit back on the database's
    socket: TCP_CORK (Linux) on a TCP connection."""
    if not hasattr(socket, "TCP_CORK"):
        return False
    connection.ensure_connection()
    sock = socket.socket(fileno=connection.connection.pgconn.socket)
    try:
        return sock.family in (socket.AF_INET, socket.AF_INET6)
    finally:
        sock.detach()  # the descriptor stays libpq's


def _cork(fd: int, on: bool) -> None:
    """Hold back (or let go) what is written to the database's TCP socket."""
    sock = socket.socket(fileno=fd)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, int(on))
    finally:
        sock.detach()  # the descriptor stays libpq's


def _pq_error(result: "pq.abc.PGresult") -> str:
    return result.error_message.decode(errors="replace") or "no answer"
