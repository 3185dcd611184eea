"""The development email backend: every email printed as a person reads it."""

from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend


class ReadableConsoleBackend(EmailBackend):
    """Prints the headers and the plain-text part of the very bytes that
    would be sent (see actions.core.mail), decoded.

    The stock console backend prints the raw MIME source, whose
    quoted-printable line breaks cut the confirmation link in two.
    """

    def write_message(self, message: EmailMessage) -> None:
        parsed = message.message()
        plain = parsed.get_body(preferencelist=("plain",))
        text = plain.get_content() if plain is not None else ""
        # A letter's writer is in Reply-To: where the target's answer goes.
        reply_to = f"Reply-To: {parsed['Reply-To']}\n" if parsed["Reply-To"] else ""
        self.stream.write(
            f"From: {parsed['From']}\nTo: {parsed['To']}\n{reply_to}"
            f"Subject: {parsed['Subject']}\n\n{text}\n{'-' * 79}\n"
        )
