"""A real SMTP server (aiosmtpd) on a free local port, for delivery tests."""

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def smtp_mailers(port: int) -> dict[str, dict]:
    """A MAILERS setting that sends through 127.0.0.1:<port>."""
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 2},
        }
    }


@dataclass
class Mailbox:
    """Accepts mail, or answers RCPT/DATA with a fixed refusal such as '550 ...';
    takes ``delay`` seconds over each message."""

    rcpt_reply: str | None = None
    data_reply: str | None = None
    delay: float = 0.0
    envelopes: list[tuple[str, list[str], Message]] = field(default_factory=list)
    # The client's address and port for each message: one per SMTP connection.
    peers: list[tuple[str, int]] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        if self.data_reply:
            return self.data_reply
        message = message_from_bytes(envelope.original_content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        self.peers.append(session.peer)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(mailbox: Mailbox, port: int | None = None) -> Iterator[int]:
    """Run an SMTP server for ``mailbox`` (a free port unless given); yield the port."""
    port = port or free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
