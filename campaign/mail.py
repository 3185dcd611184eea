"""The development email backend: every email printed as a person reads it."""

from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend


class ReadableConsoleBackend(EmailBackend):
    """Prints headers and the plain-text body undecorated.

    The stock console backend prints the raw MIME source, whose
    quoted-printable line breaks cut the confirmation link in two.
    """

    def write_message(self, message: EmailMessage) -> None:
        self.stream.write(
            f"From: {message.from_email}\nTo: {', '.join(message.to)}\n"
            f"Subject: {message.subject}\n\n{message.body}\n{'-' * 79}\n"
        )
