"""Recipients from a CSV file: every row checked first, nothing imported if
any row is wrong.

Columns (a header row names them, in any order; the first three required):
name, email, country, role, organisation, postal_address, active. ``country``
is an ISO 3166 code ("FR") or an English name ("France"), or empty;
``active`` is yes/no (or 1/0, true/false; empty: yes). A row whose email is in
the directory already updates that recipient.
"""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django_countries import countries

from actions.letters.models import Recipient

REQUIRED = ["name", "email", "country"]
OPTIONAL = ["role", "organisation", "postal_address", "active"]
MAX_BYTES = 2_000_000
MAX_ROWS = 10_000
_YES = {"", "yes", "y", "1", "true"}
_NO = {"no", "n", "0", "false"}


@dataclass
class CsvResult:
    rows: list[dict[str, object]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_recipients(data: bytes) -> CsvResult:
    """Every row of the file, checked; its errors by line ("Line 3: ...")."""
    result = CsvResult()
    if len(data) > MAX_BYTES:
        result.errors.append(_("The file is larger than 2 MB."))
        return result
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append(_("The file is not UTF-8 text."))
        return result
    reader = csv.DictReader(io.StringIO(content, newline=""))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in REQUIRED + OPTIONAL]
    if missing or unknown:
        result.errors.append(
            _(
                "Line 1: the columns must be %(columns)s (missing: "
                "%(missing)s; unknown: %(unknown)s)."
            )
            % {
                "columns": ", ".join(REQUIRED + OPTIONAL),
                "missing": ", ".join(missing) or "-",
                "unknown": ", ".join(unknown) or "-",
            }
        )
        return result
    reader.fieldnames = header
    seen: dict[str, int] = {}
    ended = reader.line_num  # the header's last line
    for raw in reader:
        # A row's first line: a quoted cell may span several.
        line, ended = ended + 1, reader.line_num
        if len(result.rows) >= MAX_ROWS:
            result.errors.append(_("More than %(max)s rows.") % {"max": MAX_ROWS})
            break
        row, problems = _row(raw)
        email = str(row.get("email", "")).lower()
        if email and email in seen:
            problems.append(
                _("the email is on line %(line)s too") % {"line": seen[email]}
            )
        seen.setdefault(email, line)
        for problem in problems:
            result.errors.append(
                _("Line %(line)s: %(problem)s") % {"line": line, "problem": problem}
            )
        result.rows.append(row)
    if not result.rows and not result.errors:
        result.errors.append(_("The file holds no recipients."))
    return result


def _row(raw: dict[str | None, str | list[str] | None]) -> tuple[dict, list[str]]:
    if None in raw:
        return {}, [_("more cells than columns")]
    cells = {k: " ".join(str(v or "").split()) for k, v in raw.items() if k}
    address = str(raw.get("postal_address") or "").strip()
    problems = []
    if not cells["name"]:
        problems.append(_("the name is empty"))
    try:
        validate_email(cells["email"])
    except ValidationError:
        problems.append(_("“%(email)s” is not an email address") % cells)
    country = _country(cells["country"])
    if country is None:
        problems.append(_("“%(country)s” is not a country") % cells)
    active = cells.get("active", "").lower()
    if active not in _YES | _NO:
        problems.append(_("active must be yes or no"))
    for name, limit in [("name", 200), ("role", 200), ("organisation", 200)]:
        if len(cells.get(name, "")) > limit:
            problems.append(_("the %(column)s is too long") % {"column": name})
    row = {
        "name": cells["name"],
        "email": cells["email"],
        "country": country or "",
        "role": cells.get("role", ""),
        "organisation": cells.get("organisation", ""),
        "postal_address": address,
        "is_active": active not in _NO,
    }
    return row, problems


def _country(value: str) -> str | None:
    """An ISO code from a code or an English name; '' for empty; None if neither."""
    if not value:
        return ""
    if value.upper() in dict(countries):
        return value.upper()
    return countries.by_name(value) or None


@transaction.atomic
def import_recipients(rows: list[dict[str, object]]) -> tuple[int, int]:
    """Add or update (by email) the recipients of checked rows; (added, updated)."""
    added = updated = 0
    for row in rows:
        email = str(row["email"])
        fields = {k: v for k, v in row.items() if k != "email"}
        existing = Recipient.objects.filter(email__iexact=email).first()
        if existing is None:
            Recipient.objects.create(email=email, **fields)
            added += 1
        else:
            Recipient.objects.filter(pk=existing.pk).update(**fields)
            updated += 1
    return added, updated
