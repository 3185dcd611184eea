from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from staff.twofactor import (
    enrol_totp_device,
    enrolment_instructions,
    issue_backup_codes,
)


class Command(BaseCommand):
    help = (
        "Give a staff user a new TOTP device for the admin's second factor and "
        "new backup codes; print its otpauth URI and the codes (shown only "
        "now). Replaces any device and backup codes they had."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: object, username: str, **options: object) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None or not user.is_staff:
            raise CommandError(f"No staff user named {username!r}.")
        device = enrol_totp_device(user=user)
        codes = issue_backup_codes(user=user)
        self.stdout.write(f"TOTP device enrolled for {username!r}.")
        self.stdout.write(enrolment_instructions(device))
        self.stdout.write(
            "Backup codes (each opens the admin once in place of a code; keep "
            "them apart from the phone; they are not shown again):"
        )
        for code in codes:
            self.stdout.write(f"  {code}")
