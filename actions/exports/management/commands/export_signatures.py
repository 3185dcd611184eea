"""Export signatures to a CSV or XLSX file, as a user with the permission.

    manage.py export_signatures --user ada --format csv --output out.csv \\
        --petition cancel-the-visit --state confirmed --confirmed-from 2026-01-01

The export is recorded under that user. The file appears only when complete
(written beside it, then renamed); an existing file is replaced only with
--force. A progress bar runs on stderr: redrawn on a terminal, else written
once at the end, for the log.
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
from actions.exports.forms import ExportForm, day_help
from actions.exports.models import SignatureExport
from actions.exports.query import count_rows
from actions.exports.writers import TooManyRows
from actions.models import Signature

FILTERS = ["petition", "state", "confirmed_from", "confirmed_to", "country"]
FILTERS += ["consent", "source"]


def _plain(text: str) -> str:
    # Django styles stderr as errors (red); progress is no error.
    return text


class ProgressBar:
    """Rows written, as a bar: redrawn in place on a terminal at most ten
    times a second; elsewhere (a log, a pipe) written once, when done."""

    width = 30

    def __init__(self, stream: OutputWrapper, total: int | None) -> None:
        self.stream, self.total, self.drawn_at = stream, total, 0.0
        self.live = stream.isatty()

    def update(self, done: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not self.live or (not force and now - self.drawn_at < 0.1):
            return
        self.drawn_at = now
        self.stream.write("\r" + self._line(done), style_func=_plain, ending="")
        self.stream.flush()

    def close(self, done: int, *, complete: bool) -> None:
        """End the bar: on a terminal, its line; elsewhere the bar, if the
        export completed."""
        if self.live:
            self.update(done, force=True)
            self.stream.write("", style_func=_plain)
        elif complete:
            self.stream.write(self._line(done), style_func=_plain)

    def _line(self, done: int) -> str:
        total = max(done if self.total is None else self.total, 1)
        share = min(done / total, 1.0)
        filled = round(share * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        counts = _("%(done)d/%(total)d rows") % {"done": done, "total": total}
        return f"[{bar}] {share:4.0%} {counts}"


class Command(BaseCommand):
    help = "Export signatures to a CSV or XLSX file; the export is recorded."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help=_("Who exports (username)."))
        parser.add_argument("--format", required=True, choices=["csv", "xlsx"])
        parser.add_argument("--output", required=True, type=Path)
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("Replace the output file if it exists."),
        )
        parser.add_argument("--petition", help=_("A petition's slug."))
        states = ", ".join(Signature.State.values)
        parser.add_argument(
            "--state", help=_("One of: %(states)s.") % {"states": states}
        )
        day = _("YYYY-MM-DD, inclusive.") + " " + day_help()
        parser.add_argument("--confirmed-from", help=day)
        parser.add_argument("--confirmed-to", help=day)
        parser.add_argument("--country", help=_("A two-letter country code."))
        parser.add_argument("--consent", choices=["yes", "no"])
        parser.add_argument("--source", help=_("Exactly as recorded."))

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
        _check_output(output, force=options["force"])
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
        # Counting costs a query the CSV's COPY does not otherwise need: only
        # a bar redrawn as rows go needs the total.
        total = None
        if self.stderr.isatty():
            total = count_rows(export.filters)
        bar = ProgressBar(self.stderr, total)
        # mkstemp makes the file readable by its owner only: it holds
        # personal data.
        fd, partial = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
        rows, complete = 0, False
        try:
            with os.fdopen(fd, "wb") as file:
                rows = services.write_export(export, file, progress=bar.update)
            os.replace(partial, output)
            complete = True
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        finally:
            bar.close(rows, complete=complete)
        services.finish(export, rows=rows)
        return rows


def _check_output(output: Path, *, force: bool) -> None:
    """Refuse a file name the export cannot take, before anything is recorded."""
    if not output.parent.is_dir():
        raise CommandError(_("No such directory: %s") % output.parent)
    if output.is_dir():
        raise CommandError(_("%s is a directory: give a file name.") % output)
    if output.exists() and not force:
        raise CommandError(
            _("%s exists: give another name, or --force to replace it.") % output
        )


def _errors(form: ExportForm) -> str:
    return "\n".join(
        f"--{name.replace('_', '-')}: {' '.join(map(str, errors))}"
        for name, errors in form.errors.items()
    )
