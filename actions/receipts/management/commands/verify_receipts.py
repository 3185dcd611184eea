"""Recompute every committed day's Merkle root from the database and report
each day that no longer matches its published root.

    manage.py verify_receipts

A signature deleted, invalidated or changed after its day was committed, or
one confirmed on a committed day (or on a day before the last committed one
that has no root), makes its day fail. Erased and anonymised signers keep
their leaf, so their days still match. Exits 1 when any day fails.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from actions.receipts import services


class Command(BaseCommand):
    help = "Recompute the daily receipt roots and report the days that differ."

    def handle(self, *args: Any, **options: Any) -> None:
        checks = services.verify_days()
        failed = [check for check in checks if not check.matches]
        for check in failed:
            self.stdout.write(self._describe(check))
        summary = _("%(days)s days checked, %(failed)s do not match.") % {
            "days": len(checks),
            "failed": len(failed),
        }
        if failed:
            raise CommandError(summary, returncode=1)
        self.stdout.write(self.style.SUCCESS(summary))

    def _describe(self, check: services.DayCheck) -> str:
        if check.published is None:
            return _(
                "%(day)s: no root was published, yet %(count)s signatures were "
                "confirmed that day (ids %(ids)s)."
            ) % {"day": check.day, "count": check.size, "ids": _ids(check.added)}
        return _(
            "%(day)s: does not match its published root %(root)s. Signatures "
            "missing: %(missing)s; signatures added: %(added)s."
        ) % {
            "day": check.day,
            "root": check.published,
            "missing": _ids(check.missing),
            "added": _ids(check.added),
        }


def _ids(ids: list[int]) -> str:
    shown = ", ".join(str(pk) for pk in ids[:20])
    return shown + (" …" if len(ids) > 20 else "") if ids else "-"
