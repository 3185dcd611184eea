"""Export signatures to a CSV or XLSX file, as a user with the permission.

    manage.py export_signatures --user ada --format csv --output out.csv \\
        --petition cancel-the-visit --state confirmed --confirmed-from 2026-01-01

The export is recorded under that user. The file appears only when complete
(written beside it, then renamed). On a terminal a progress bar runs on stderr.
"""

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    OutputWrapper,
)
from django.utils.translation import gettext as _

from actions.exports import services
from actions.exports.forms import ExportForm
from actions.exports.models import SignatureExport
from actions.exports.query import filter_signatures
from actions.exports.writers import TooManyRows

FILTERS = ["petition", "state", "confirmed_from", "confirmed_to", "country"]
FILTERS += ["consent", "source"]


class ProgressBar:
    """A one-line bar on a terminal, redrawn at most ten times a second."""

    width = 30

    def __init__(self, stream: OutputWrapper, total: int) -> None:
        self.stream, self.total, self.drawn_at = stream, max(total, 1), 0.0

    def update(self, done: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.drawn_at < 0.1:
            return
        self.drawn_at = now
        share = min(done / self.total, 1.0)
        filled = round(share * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        counts = _("%(done)d/%(total)d rows") % {"done": done, "total": self.total}
        self.stream.write(f"\r[{bar}] {share:4.0%} {counts}", ending="")
        self.stream.flush()

    def close(self, done: int) -> None:
        self.update(done, force=True)
        self.stream.write("")


class Command(BaseCommand):
    help = "Export signatures to a CSV or XLSX file; the export is recorded."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="Who exports (username).")
        parser.add_argument("--format", required=True, choices=["csv", "xlsx"])
        parser.add_argument("--output", required=True, type=Path)
        parser.add_argument("--petition", help="A petition's slug.")
        parser.add_argument("--state", help="pending, confirmed or invalidated.")
        parser.add_argument("--confirmed-from", help="YYYY-MM-DD, inclusive, UTC.")
        parser.add_argument("--confirmed-to", help="YYYY-MM-DD, inclusive, UTC.")
        parser.add_argument("--country", help="A two-letter country code.")
        parser.add_argument("--consent", choices=["yes", "no"])
        parser.add_argument("--source", help="Exactly as recorded.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._exporter(str(options["user"]))
        form = ExportForm(
            {"format": options["format"]}
            | {name: options[name] for name in FILTERS if options[name] is not None},
            user=user,
        )
        if not form.is_valid():
            raise CommandError(_errors(form))
        output: Path = options["output"]
        if not output.parent.is_dir():
            raise CommandError(_("No such directory: %s") % output.parent)
        try:
            export = services.start_export(
                user=user,
                filters=form.filters(),
                format=form.cleaned_data["format"],
                via=SignatureExport.Via.COMMAND,
            )
        except TooManyRows as exc:
            raise CommandError(
                _(
                    "%d signatures match: more than a spreadsheet holds. "
                    "Choose csv or narrow the filters."
                )
                % exc.args[0]
            ) from exc
        rows = self._write(export, output)
        self.stdout.write(
            _("Wrote %(rows)d signatures to %(output)s (export %(export)d).")
            % {"rows": rows, "output": output, "export": export.pk}
        )

    def _exporter(self, username: str) -> User:
        model = get_user_model()
        user = model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(_("No user named %s.") % username)
        if not services.may_export(user):
            raise CommandError(_("%s may not export signatures.") % username)
        return user

    def _write(self, export: SignatureExport, output: Path) -> int:
        bar = None
        if self.stderr.isatty():
            bar = ProgressBar(self.stderr, filter_signatures(export.filters).count())
        # mkstemp makes the file readable by its owner only: it holds
        # personal data.
        fd, partial = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
        rows = 0
        try:
            with os.fdopen(fd, "wb") as file:
                rows = services.write_export(
                    export, file, progress=bar.update if bar else None
                )
            os.replace(partial, output)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        finally:
            if bar:
                bar.close(rows)
        services.finish(export, rows=rows)
        return rows


def _errors(form: ExportForm) -> str:
    return "\n".join(
        f"--{name.replace('_', '-')}: {' '.join(map(str, errors))}"
        for name, errors in form.errors.items()
    )
