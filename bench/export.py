"""Benchmark signature exports against a PostgreSQL COPY of the same rows.

    .venv/bin/python bench/export.py                  # 100,000 and 1,000,000 rows
    .venv/bin/python bench/export.py --rows 100000 --repeat 1 --xlsx-rows ""

Recreates the database campaign_bench_export, migrates it and seeds the rows
with generate_series (growing the table from one size to the next). For each
size, in turns (--repeat times): a COPY of the export's rows (raw columns, same
join and order) to a file, and `manage.py export_signatures --format csv` in a
process of its own, which reports its time and peak memory (ru_maxrss). The
export is then parsed back and compared, row by row, with the rows read from
the database and formatted here independently. XLSX is measured once at the
sizes in --xlsx-rows. Prints a table and writes bench/results/export.json.
See bench/README.md.
"""

import argparse
import csv
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

import psycopg
from stack import BENCH, ROOT, manage, reset_database

SERVER = "postgres://postgres@127.0.0.1:5432"
RESULTS = BENCH / "results"
MAX_RATIO = 2.0
MAX_PEAK_MB = 100.0
# Formula starters, ASCII and full-width; white space or a control character
# in front is neutralised too (see actions.exports.query).
FORMULA_STARTS = "=+-@\uff1d\uff0b\uff0d\uff20"
COLUMNS = (
    "s.id, p.slug, s.first_name, s.last_name, s.email, s.country, s.state, "
    "s.created_at, s.confirmed_at, s.wants_updates, s.consent_version, s.source"
)
ROWS_QUERY = (
    f"SELECT {COLUMNS} FROM actions_signature s "
    "JOIN actions_petition p ON p.id = s.petition_id ORDER BY s.id"
)

SEED_CONTENT = """
INSERT INTO statements_statement (title, slug, standfirst, body, background, state,
    publish_at, published_at, created_at, updated_at)
VALUES ('Cancel the visit', 'bench-export', 'A visit would reward the coup.', 'Body',
    '', 'published', now(), now(), now(), now());
INSERT INTO actions_target (name, description) VALUES ('Head of government', '');
INSERT INTO actions_petition (statement_id, target_id, title, slug, demand, position,
    goal, opens_at, state, sensitive)
SELECT s.id, t.id, 'Cancel the visit', 'bench-export-petition', 'Cancel it.', 0,
    1000000, now(), 'open', false
FROM statements_statement s, actions_target t;
INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active,
    first_name, last_name, email, date_joined)
VALUES ('bench', '!', false, true, true, '', '', '', now());
INSERT INTO auth_user_groups (user_id, group_id)
SELECT u.id, g.id FROM auth_user u, auth_group g
WHERE u.username = 'bench' AND g.name = 'Reports';
"""

# One row in twenty has a name a spreadsheet would run; names in three
# scripts; a fifth pending; half consenting; timestamps with microseconds.
SEED_SIGNATURES = """
INSERT INTO actions_signature (petition_id, first_name, last_name, email,
    canonical_email, country, wants_updates, consent_version, source, client_hash,
    suspect_reason, state, created_at, confirmed_at, invalidated_at, emails_queued)
SELECT p.id,
    (ARRAY['Ada', '=HYPERLINK("http://x")', 'សុខ', 'Aung', 'Marie-Claire',
           '+Plus', 'O''Neil, Jr.', 'Thandiwe', 'Sok', 'Min'])[1 + n %% 10],
    'Signer ' || n,
    'signer' || n || '@example.org',
    'signer' || n || '@example.org',
    (ARRAY['KH', 'MM', 'TH', 'GB', 'FR', 'ZA'])[1 + n %% 6],
    n %% 2 = 0,
    CASE WHEN n %% 2 = 0 THEN '2026-11-updates-v1' ELSE '' END,
    (ARRAY['', 'newsletter', 'social', '-dash'])[1 + n %% 4],
    '', '',
    CASE WHEN n %% 5 = 0 THEN 'pending' ELSE 'confirmed' END,
    timestamptz '2026-01-01' + n * interval '1 second' + (n %% 997) * interval '1 us',
    CASE WHEN n %% 5 = 0 THEN NULL
         ELSE timestamptz '2026-01-01' + n * interval '1 second' + interval '3 min'
    END,
    NULL, 1
FROM actions_petition p, generate_series(%s::bigint, %s::bigint) AS n;
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="100000,1000000", help="sizes, ascending")
    parser.add_argument("--repeat", type=int, default=3, help="turns per size")
    parser.add_argument(
        "--xlsx-rows", default="100000", help="sizes to export as XLSX once ('' none)"
    )
    parser.add_argument("--database", default="campaign_bench_export")
    parser.add_argument(
        "--child", nargs=2, metavar=("FORMAT", "OUTPUT"), help=argparse.SUPPRESS
    )
    return parser.parse_args()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def child(export_format: str, output: str) -> None:
    """Run the command in this process; print its time and peak memory."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from actions.exports.management.commands import (  # noqa: F401
        export_signatures,
    )

    rss_before = _rss_mb()
    start = time.perf_counter()
    call_command(
        "export_signatures",
        "--user=bench",
        f"--format={export_format}",
        f"--output={output}",
        "--force",  # each turn writes the same file again
        stdout=open(os.devnull, "w"),
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps({"seconds": seconds, "peak_mb": peak, "rss_before_mb": rss_before})
    )


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def seed(database_url: str, first: int, last: int) -> float:
    start = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as conn:
        if first == 1:
            conn.execute(SEED_CONTENT)
        conn.execute(SEED_SIGNATURES, (first, last))
        conn.execute("VACUUM ANALYZE actions_signature")
    return time.perf_counter() - start


def copy_baseline(database_url: str, output: Path) -> float:
    """COPY of the same rows (raw columns, same join and order) to a file."""
    start = time.perf_counter()
    with psycopg.connect(database_url) as conn, output.open("wb") as file:
        statement = f"COPY ({ROWS_QUERY}) TO STDOUT WITH (FORMAT csv, HEADER)"
        with conn.cursor().copy(statement) as copy:
            for data in copy:
                file.write(data)
    return time.perf_counter() - start


def run_export(env: dict[str, str], export_format: str, output: Path) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", export_format, str(output)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"The export failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _safe(text: str) -> str:
    first = text[:1]
    risky = first in FORMULA_STARTS or first.isspace() or _is_control(first)
    return "'" + text if first and risky else text


def _is_control(ch: str) -> bool:
    return bool(ch) and unicodedata.category(ch) == "Cc"


def _utc(moment: datetime.datetime | None) -> datetime.datetime | None:
    if moment is None:
        return None
    return moment.astimezone(datetime.UTC).replace(tzinfo=None, microsecond=0)


def expected_rows(database_url: str):
    """Each row as the export must have it, worked out here from raw columns."""
    with psycopg.connect(database_url) as conn, conn.transaction():
        cursor = conn.cursor(name="expected")
        cursor.itersize = 5000
        cursor.execute(ROWS_QUERY)
        for (
            pk,
            slug,
            first,
            last,
            email,
            country,
            state,
            created,
            confirmed,
            wants,
            consent,
            source,
        ) in cursor:  # noqa: E501
            yield [
                pk,
                _safe(slug),
                _safe(first),
                _safe(last),
                _safe(email),
                country,
                state,
                _utc(created),
                _utc(confirmed),
                wants,
                _safe(consent),
                _safe(source),
            ]


def _as_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, datetime.datetime):
        return cell.strftime("%Y-%m-%d %H:%M:%S")
    return str(cell)


def verify_csv(database_url: str, path: Path) -> int:
    """Parse the export back; every row must equal the database's. Row count."""
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file)
        next(reader)
        count = 0
        for count, (got, want) in enumerate(  # noqa: B007
            zip(reader, expected_rows(database_url), strict=True), start=1
        ):
            if got != [_as_text(cell) for cell in want]:
                sys.exit(f"Row {count} differs:\n  export: {got}\n  database: {want}")
    return count


def verify_xlsx(database_url: str, path: Path) -> int:
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    next(rows)
    count = 0
    for count, (got, want) in enumerate(  # noqa: B007
        zip(rows, expected_rows(database_url), strict=True), start=1
    ):
        want = [cell if cell != "" else None for cell in want]
        if list(got) != want:
            sys.exit(f"Row {count} differs:\n  export: {got}\n  database: {want}")
    return count


def measure_size(env: dict, database_url: str, rows: int, args, tmp: Path) -> dict:
    copies, exports = [], []
    for turn in range(args.repeat):
        copies.append(copy_baseline(database_url, tmp / "copy.csv"))
        exports.append(run_export(env, "csv", tmp / "export.csv"))
        log(
            f"{rows:,} rows, turn {turn + 1}: COPY {copies[-1]:.2f} s, export "
            f"{exports[-1]['seconds']:.2f} s, peak {exports[-1]['peak_mb']:.1f} MB"
        )
    log(f"{rows:,} rows: parsing the CSV back against the database")
    checked = verify_csv(database_url, tmp / "export.csv")
    if checked != rows:
        sys.exit(f"The export has {checked} rows, the database {rows}")
    result = {
        "rows": rows,
        "copy_seconds": copies,
        "export_seconds": [e["seconds"] for e in exports],
        "export_peak_mb": max(e["peak_mb"] for e in exports),
        "rss_before_export_mb": max(e["rss_before_mb"] for e in exports),
        "copy_median": statistics.median(copies),
        "export_median": statistics.median(e["seconds"] for e in exports),
        "csv_bytes": (tmp / "export.csv").stat().st_size,
        "copy_bytes": (tmp / "copy.csv").stat().st_size,
        "verified_rows": checked,
    }
    result["ratio"] = result["export_median"] / result["copy_median"]
    if str(rows) in args.xlsx_rows.split(","):
        xlsx = run_export(env, "xlsx", tmp / "export.xlsx")
        log(f"{rows:,} rows: XLSX {xlsx['seconds']:.1f} s; parsing it back")
        result["xlsx"] = xlsx | {
            "bytes": (tmp / "export.xlsx").stat().st_size,
            "verified_rows": verify_xlsx(database_url, tmp / "export.xlsx"),
        }
    return result


def print_table(run: dict) -> None:
    print(f"\nSignature exports on {run['database']} (load before: {run['load']})")
    print("| rows | COPY s (median) | export s (median) | ratio | peak MB | verified |")
    print("|---:|---:|---:|---:|---:|---|")
    for size in run["sizes"]:
        print(
            f"| {size['rows']:,} | {size['copy_median']:.2f} | "
            f"{size['export_median']:.2f} | {size['ratio']:.2f}x | "
            f"{size['export_peak_mb']:.1f} | {size['verified_rows']:,} rows equal |"
        )
    for size in run["sizes"]:
        if "xlsx" in size:
            x = size["xlsx"]
            print(
                f"XLSX, {size['rows']:,} rows: {x['seconds']:.1f} s, peak "
                f"{x['peak_mb']:.1f} MB, {x['verified_rows']:,} rows equal"
            )
    for name, passed in run["checks"].items():
        print(f"{'pass' if passed else 'FAIL'}: {name}")


def main() -> None:
    args = parse_args()
    if args.child:
        child(*args.child)
        return
    sizes = sorted(int(size) for size in args.rows.split(","))
    database_url = reset_database(SERVER, args.database)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "DATABASE_", "REDIS_"))
    } | {"DATABASE_URL": database_url, "DEBUG": "0", "PYTHONUNBUFFERED": "1"}
    RESULTS.mkdir(exist_ok=True)
    manage(env, "migrate", "--no-input", logfile=RESULTS / "export-migrate.log")
    run = {
        "database": args.database,
        "load": Path("/proc/loadavg").read_text().split()[:3],
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip(),
        "sizes": [],
    }
    seeded = 0
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        for rows in sizes:
            log(f"seeding rows {seeded + 1:,} to {rows:,}")
            took = seed(database_url, seeded + 1, rows)
            log(f"seeded in {took:.1f} s")
            seeded = rows
            run["sizes"].append(measure_size(env, database_url, rows, args, Path(tmp)))
    first, last = run["sizes"][0], run["sizes"][-1]
    run["checks"] = {
        f"export at most {MAX_RATIO}x COPY at every size": all(
            s["ratio"] <= MAX_RATIO for s in run["sizes"]
        ),
        f"peak memory under {MAX_PEAK_MB:.0f} MB": all(
            s["export_peak_mb"] < MAX_PEAK_MB for s in run["sizes"]
        ),
        "peak memory at the largest size no higher than at the smallest (+2 MB)": (
            last["export_peak_mb"] <= first["export_peak_mb"] + 2
        ),
    }
    (RESULTS / "export.json").write_text(json.dumps(run, indent=2))
    print_table(run)
    if not all(run["checks"].values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
