"""A minimal SMTP server that accepts every message and keeps only who got it."""

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator


class Sink:
    """Where confirmation emails land: when and to whom each arrived, and
    what ``keep`` takes from each message's data (bench/letters.py)."""

    def __init__(self, keep: Callable[[bytes], object] | None = None) -> None:
        self.received: list[tuple[float, str]] = []
        self.keep = keep
        self.kept: list[object] = []

    def arrivals(self, prefix: str) -> list[tuple[float, str]]:
        return [
            (at, rcpt) for at, rcpt in list(self.received) if rcpt.startswith(prefix)
        ]


class SmtpSession(asyncio.Protocol):
    """Just enough SMTP for smtplib: every message accepted, then dropped.

    Far cheaper per message than a full server (aiosmtpd costs about 4 ms of
    CPU per message here), so the sink takes little from the cores it shares
    with the set being measured.
    """

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.buffer = b""
        self.in_data = False
        self.recipients: list[str] = []

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        transport.write(b"220 bench-sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    return
                if self.sink.keep is not None:
                    self.sink.kept.append(self.sink.keep(self.buffer[:end]))
                self.buffer = self.buffer[end + 5 :]
                self.in_data = False
                now = time.monotonic()
                self.sink.received.extend((now, rcpt) for rcpt in self.recipients)
                self.recipients = []
                self.transport.write(b"250 OK queued\r\n")
                continue
            line, sep, rest = self.buffer.partition(b"\r\n")
            if not sep:
                return
            self.buffer = rest
            self._command(line.decode("ascii", errors="replace"))

    def _command(self, line: str) -> None:
        verb = line[:4].upper()
        if verb in {"EHLO", "HELO"}:
            self.transport.write(b"250-bench-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
        elif verb == "RCPT":
            self.recipients.append(line.partition("<")[2].partition(">")[0])
            self.transport.write(b"250 OK\r\n")
        elif verb == "DATA":
            self.in_data = True
            # An empty message ends with the very next ".": match it too.
            self.buffer = b"\r\n" + self.buffer
            self.transport.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == "QUIT":
            self.transport.write(b"221 Bye\r\n")
            self.transport.close()
        elif verb == "RSET":
            self.recipients = []
            self.transport.write(b"250 OK\r\n")
        else:  # MAIL, NOOP
            self.transport.write(b"250 OK\r\n")


@contextlib.contextmanager
def smtp_sink(
    keep: Callable[[bytes], object] | None = None,
) -> Iterator[tuple[Sink, int]]:
    sink = Sink(keep)
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(lambda: SmtpSession(sink), "127.0.0.1", 0)
    )
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield sink, server.sockets[0].getsockname()[1]
    finally:
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
