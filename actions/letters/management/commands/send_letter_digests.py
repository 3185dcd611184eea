from django.core.management.base import BaseCommand, CommandParser

from actions.letters import delivery, digests


class Command(BaseCommand):
    help = (
        "Gather today's digests of the digest-mode letter actions now, whatever "
        "LETTER_DIGEST_HOUR says, and send them (here, or on the bulk queue)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Hand the digests to the bulk workers instead of sending here.",
        )

    def handle(self, *args: object, **options: object) -> None:
        delivery.requeue_stale()
        ids = digests.compose()
        if options["queue"]:
            digests.enqueue_digests(ids)
            self.stdout.write(f"{len(ids)} digests handed to the bulk queue.")
            return
        sent = sum(digests.send_digest(pk) for pk in ids)
        self.stdout.write(f"{len(ids)} digests, {sent} letters sent.")
