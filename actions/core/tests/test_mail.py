"""One build of an email gives the same bytes to every mail backend: what
the SMTP server receives, what tests receive and what the development
console prints from."""

import io
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy

import pytest
from django.core import mail
from django.core.mail import mailers
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from actions.core.bulk import transport
from actions.core.mail import Message, MessageWriter, one_line, prebuilt
from actions.followups import rendering
from actions.followups.tests.factories import make_follow_up
from actions.outbox.messages import build_message
from actions.outbox.models import OutboundEmail
from actions.tests.factories import make_signature
from actions.tests.smtp import Mailbox, smtp_mailers, smtp_server
from campaign.mail import ReadableConsoleBackend

pytestmark = pytest.mark.django_db

LINK = "http://127.0.0.1:8000/petitions/p/confirm/" + "x" * 90 + "/"
# What differs from one build to the next: a fresh Date, Message-ID, boundary.
PER_BUILD = re.compile(rb"(Date: [^\r\n]*|Message-ID: <[^>]*>|=_[0-9a-f]{24})")


@dataclass
class RawMailbox(Mailbox):
    """Also keeps each message's bytes as the server received them."""

    raw: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(envelope.original_content)
        return await super().handle_DATA(server, session, envelope)


def _confirmation(petition) -> OutboundEmail:
    signature = make_signature(petition, first_name="Zoë", email="ada@example.org")
    return OutboundEmail.objects.create(
        kind=OutboundEmail.Kind.CONFIRM, to_email=signature.email, signature=signature
    )


def test_smtp_receives_the_bytes_tests_and_the_console_get(petition, settings):
    message = build_message(_confirmation(petition))
    built = message.message(policy=policy.SMTP).as_bytes()
    box = RawMailbox()
    stream = io.StringIO()

    with smtp_server(box) as port:
        settings.MAILERS = smtp_mailers(port)
        mailers.default.send_messages([message])
    LocmemBackend().send_messages([message])
    ReadableConsoleBackend(stream=stream).send_messages([message])

    [received] = box.raw
    assert received == built
    assert mail.outbox[-1].message(policy=policy.SMTP).as_bytes() == built
    assert message.message().as_bytes() == built.replace(b"\r\n", b"\n")
    parsed = message_from_bytes(built, policy=policy.default)
    shown = stream.getvalue()
    assert f"Subject: {parsed['Subject']}" in shown
    plain = parsed.get_body(preferencelist=("plain",)).get_content()
    assert plain.strip() in shown
    assert "Zoë" in shown


def test_a_link_is_printed_whole_from_the_bytes():
    message = prebuilt(
        Message("Confirm", f"Open:\n\n{LINK}\n", f"<p>{LINK}</p>"), to="a@example.org"
    )
    stream = io.StringIO()

    ReadableConsoleBackend(stream=stream).send_messages([message])

    assert b"=\r\n" in message.data  # quoted-printable cut the line in the bytes
    assert LINK in stream.getvalue().splitlines()


def test_a_follow_up_is_the_same_email_over_raw_smtp_and_through_a_backend(
    petition, settings
):
    follow_up = make_follow_up(petition, subject="News for {{ first_name }}")
    email = rendering.render_draft(follow_up, count=3).personalise(
        first_name="Ada", token="t0ken"
    )
    box = RawMailbox()
    with smtp_server(box) as port:
        settings.MAILERS = smtp_mailers(port)
        with transport.open_transport() as smtp:
            smtp.send(
                to="ada@example.org",
                message=rendering.as_message(email),
                mark=transport.Unmarked(),
            )

    through_backend = rendering.django_message(email, to="ada@example.org")

    [received] = box.raw
    built = through_backend.message(policy=policy.SMTP).as_bytes()
    assert PER_BUILD.sub(b"", received) == PER_BUILD.sub(b"", built)


def test_an_internationalised_domain_is_written_in_ascii():
    message = prebuilt(Message("Hi", "Hello", "<p>Hello</p>"), to="ada@bücher.example")

    assert message.to == ["ada@xn--bcher-kva.example"]
    assert b"To: ada@xn--bcher-kva.example\r\n" in message.data
    MessageWriter("Campaign <campaign@example.org>").build(
        Message("Hi", "Hello", "<p>Hello</p>"), to=message.to[0]
    ).decode("ascii")


def test_a_header_value_is_one_line_and_keeps_its_no_break_spaces():
    assert one_line(" Signez\u00a0: la\npétition\u2028now\r\n ") == (
        "Signez\u00a0: la pétition now"
    )
