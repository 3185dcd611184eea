"""Which signatures an export takes, and the cells it writes for each."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    Case,
    CharField,
    Expression,
    F,
    Func,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Concat, Ord
from django.db.models.lookups import (
    GreaterThanOrEqual,
    In,
    LessThanOrEqual,
    Range,
)
from django.db.models.sql.compiler import SQLCompiler
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from actions.models import Petition, Signature

# A cell a spreadsheet may run as a formula gets a quote in front (CSV
# injection: "=HYPERLINK(...)" as a name would become a live link). Excel,
# LibreOffice Calc and Google Sheets run a cell starting with = + - or @;
# guidance on CSV injection lists their full-width forms too (＝ ＋ － ＠),
# which spreadsheets in East Asian locales may take for the ASCII ones. A
# formula behind leading spaces is a known bypass of guards that look at the
# first character only (imports that trim spaces, such as LibreOffice's "Trim
# spaces", then run it), and OWASP names a leading tab and carriage return:
# so a cell starting with any white space or control character is neutralised
# too, whatever follows. A name from the signing form never starts with either
# (see actions.forms._clean_name).
FORMULA_STARTS = "=+-@\uff1d\uff0b\uff0d\uff20"
# Python's str.isspace() and the C0 and C1 control characters (but NUL, which
# PostgreSQL text cannot hold and whose code is also an empty cell's there).
_ASCII_STARTS = sorted(ord(ch) for ch in FORMULA_STARTS if ch.isascii())
_WIDE_STARTS = sorted(
    {ord(ch) for ch in FORMULA_STARTS if not ch.isascii()}
    | {0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000}
)


def needs_quote(field: str) -> Q:
    """Whether a column's text opens the way a formula may (see above).

    Tests of the first character's code only: a few integer comparisons per
    cell in PostgreSQL, cheaper than comparing strings on the export's hot
    path, and most names leave after two (a letter is above 64, below 127).
    """
    code = Ord(field)
    low = Q(LessThanOrEqual(code, 64)) & (
        Q(Range(code, (1, 32))) | Q(In(code, _ASCII_STARTS))
    )
    high = Q(GreaterThanOrEqual(code, 127)) & (
        Q(LessThanOrEqual(code, 160)) | Q(In(code, _WIDE_STARTS))
    )
    return low | high


def neutralised(field: str) -> Case:
    """The text of a column, with a quote in front where a spreadsheet would
    run it as a formula.

    Done in the query, so every writer (the CSV copy straight out of
    PostgreSQL included) gets the same cells without a Python call per cell.
    """
    return Case(
        When(
            needs_quote(field),
            then=Concat(Value("'"), F(field), output_field=CharField()),
        ),
        default=F(field),
        output_field=CharField(),
    )


class UtcText(Func):
    """A timestamp as "YYYY-MM-DD HH:MM:SS" in UTC, formatted by the database."""

    output_field = CharField()

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        *args: Any,
        **extra: Any,
    ) -> tuple[str, tuple[Any, ...]]:
        raise NotImplementedError(f"UtcText has no SQL for {connection.vendor}")

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, tuple[Any, ...]]:
        # Cheaper than to_char() on a million rows. The text is ISO as long as
        # DateStyle is (the default; the CSV copy sets it for itself).
        template = "(date_trunc('second', %(expressions)s AT TIME ZONE 'UTC'))::text"
        return Func.as_sql(self, compiler, connection, template=template, **extra)

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, tuple[Any, ...]]:
        # Django stores SQLite timestamps as UTC text; strftime trims the
        # microseconds. The format is a parameter: a literal % would have to
        # survive two rounds of %-formatting.
        clone = self.copy()
        clone.set_source_expressions(
            [Value("%Y-%m-%d %H:%M:%S"), *self.get_source_expressions()]
        )
        return Func.as_sql(clone, compiler, connection, function="strftime", **extra)


@dataclass(frozen=True)
class Column:
    header: str | Promise
    text: Expression | str  # CSV: text only, formatted by the database
    typed: Expression | str  # XLSX: dates and booleans as such


def _same(header: str | Promise, expression: Expression | str) -> Column:
    return Column(header, expression, expression)


def _flag(field: str) -> Case:
    return Case(
        When(**{field: True}, then=Value("true")),
        default=Value("false"),
        output_field=CharField(),
    )


COLUMNS = [
    _same(_("signature"), "pk"),
    _same(_("petition"), neutralised("petition__slug")),
    _same(_("first name"), neutralised("first_name")),
    _same(_("last name"), neutralised("last_name")),
    _same(_("email"), neutralised("email")),
    _same(_("country"), "country"),
    _same(_("state"), "state"),
    Column(_("signed at (UTC)"), UtcText("created_at"), "created_at"),
    Column(_("confirmed at (UTC)"), UtcText("confirmed_at"), "confirmed_at"),
    Column(_("wants updates"), _flag("wants_updates"), "wants_updates"),
    _same(_("consent wording version"), neutralised("consent_version")),
    _same(_("source"), neutralised("source")),
]


# A letter action's writers export one row per letter (a writer to several
# recipients has a row for each), their signature's cells first. The letters
# are reached through the signature (Letter.signature's related name), so
# exports import nothing of the letters' room.
LETTER_COLUMNS = [
    _same(_("recipient"), neutralised("letters__recipient__name")),
    _same(_("recipient email"), neutralised("letters__recipient__email")),
    _same(_("subject"), neutralised("letters__subject")),
    _same(_("letter"), neutralised("letters__body")),
    _same(_("postal town"), neutralised("letters__postal_town")),
    Column(_("edited"), _flag("letters__is_edited"), "letters__is_edited"),
    _same(_("moderation"), "letters__moderation_state"),
    _same(_("delivery"), "letters__delivery_state"),
    Column(_("letter sent at (UTC)"), UtcText("letters__sent_at"), "letters__sent_at"),
]


def is_letter_export(filters: Mapping[str, Any]) -> bool:
    """Whether an export's filters name a letter action (its writers)."""
    named = filters.get("petition")
    return (
        named is not None
        and Petition.objects.filter(pk=named, kind=Petition.Kind.LETTER).exists()
    )


def columns_for(filters: Mapping[str, Any]) -> list[Column]:
    """An export's columns: a letter action's writers get its letters'."""
    return COLUMNS + LETTER_COLUMNS if is_letter_export(filters) else COLUMNS


def headers(columns: list[Column] = COLUMNS) -> list[str]:
    return [str(column.header) for column in columns]


def export_rows(
    queryset: QuerySet[Signature], *, typed: bool, columns: list[Column] = COLUMNS
) -> QuerySet:
    """The queryset's rows as tuples of cells, in the order of the columns."""
    names = [f"c{i}" for i in range(len(columns))]
    cells = {
        name: F(expr) if isinstance(expr, str) else expr
        for name, expr in zip(
            names,
            (column.typed if typed else column.text for column in columns),
            strict=True,
        )
    }
    # A writer's letters in the order they were written.
    order = ["pk", "letters__pk"] if LETTER_COLUMNS[0] in columns else ["pk"]
    return queryset.order_by().annotate(**cells).order_by(*order).values_list(*names)


def count_rows(filters: Mapping[str, Any]) -> int:
    """How many rows an export with these filters writes."""
    signatures = filter_signatures(filters)
    if not is_letter_export(filters):
        return signatures.count()
    return export_rows(signatures, typed=False, columns=columns_for(filters)).count()


def filter_signatures(filters: Mapping[str, Any]) -> QuerySet[Signature]:
    """Signatures matching an export's recorded filters (see ExportForm.filters).

    Keys: petition (id), state, confirmed_from and confirmed_to (ISO dates,
    both inclusive, days in time_zone: an IANA name, UTC when absent as in
    exports recorded before it was), country, consent ("yes"/"no"), source,
    sensitive ("excluded": no signer of a sensitive petition).
    """
    zone = ZoneInfo(str(filters.get("time_zone", "UTC")))
    queryset = Signature.objects.all()
    if "petition" in filters:
        queryset = queryset.filter(petition_id=filters["petition"])
    if "state" in filters:
        queryset = queryset.filter(state=filters["state"])
    if "confirmed_from" in filters:
        start = _start_of(date.fromisoformat(str(filters["confirmed_from"])), zone)
        queryset = queryset.filter(confirmed_at__gte=start)
    if "confirmed_to" in filters:
        last = date.fromisoformat(str(filters["confirmed_to"]))
        end = _start_of(last + timedelta(1), zone)
        queryset = queryset.filter(confirmed_at__lt=end)
    if "country" in filters:
        queryset = queryset.filter(country=filters["country"])
    if "consent" in filters:
        queryset = queryset.filter(wants_updates=filters["consent"] == "yes")
    if "source" in filters:
        queryset = queryset.filter(source=filters["source"])
    if filters.get("sensitive") == "excluded":
        queryset = queryset.filter(petition__sensitive=False)
    return queryset


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)
