"""The outbox by state and age, and the oldest email still waiting.

    manage.py outbox_status

Ages count from when the email was queued. Addresses never appear: the
oldest email's last error is shown with any address in it masked.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from actions.outbox import status


def _age(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds < 120:
        return _("%(n)d s") % {"n": seconds}
    if seconds < 2 * 3600:
        return _("%(n)d min") % {"n": seconds // 60}
    return _("%(n).1f h") % {"n": seconds / 3600}


class Command(BaseCommand):
    help = "Show the outbox by state and age, and the oldest email still waiting."

    def handle(self, *args: object, **options: object) -> None:
        counts = status.counts_by_state_and_age()
        labels = [label for label, _upper in status.AGE_BUCKETS]
        self.stdout.write(
            f"{_('state'):<10}{_('total'):>10}"
            + "".join(f"{label:>10}" for label in labels)
        )
        for state, buckets in counts.items():
            self.stdout.write(
                f"{state:<10}{sum(buckets):>10}" + "".join(f"{n:>10}" for n in buckets)
            )
        oldest = status.oldest_waiting()
        if oldest is None:
            self.stdout.write(_("No email is waiting."))
            return
        self.stdout.write(
            _(
                "Oldest waiting: #%(id)d %(kind)s (%(state)s), %(age)s old, "
                "%(attempts)d attempts, last error: %(error)s"
            )
            % {
                "id": oldest.id,
                "kind": oldest.kind,
                "state": oldest.state,
                "age": _age(oldest.age),
                "attempts": oldest.attempts,
                "error": oldest.last_error or _("none"),
            }
        )
