"""Benchmark the receipt job: commit one day of a million confirmations.

    .venv/bin/python bench/receipts.py                        # 1,000,000
    .venv/bin/python bench/receipts.py --rows 100000 --database NAME

Recreates the database (campaign_h6_bench by default), migrates it and seeds
one petition with --rows signatures confirmed on one UTC day (2026-01-01),
with generate_series as bench/export.py does. Then, in a process of its own,
runs the service the beat task calls (commit_finished_days) and reports its
time and peak memory (ru_maxrss); then recomputes the day with the
verify_receipts service and checks one receipt. Writes
bench/results/receipts.json. See bench/README.md.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from stack import BENCH, ROOT, manage, reset_database

SERVER = "postgres://postgres@127.0.0.1:5432"
RESULTS = BENCH / "results"
MAX_SECONDS = 60.0

SEED_CONTENT = """
INSERT INTO statements_statement (title, slug, standfirst, body, background, state,
    publish_at, published_at, created_at, updated_at)
VALUES ('Cancel the visit', 'bench-receipts', 'A visit would reward the coup.',
    'Body', '', 'published', now(), now(), now(), now());
INSERT INTO actions_target (name, description)
VALUES ('Head of government', 'Prime Minister');
INSERT INTO actions_petition (statement_id, target_id, title, slug, demand, position,
    goal, opens_at, state, sensitive)
SELECT s.id, t.id, 'Cancel the visit', 'bench-receipts-petition',
    'Cancel the visit and say why in public.', 0, 1000000, now(), 'open', false
FROM statements_statement s, actions_target t;
"""

# A million confirmations in one day: one every 86.4 ms, with microseconds.
SEED_SIGNATURES = """
INSERT INTO actions_signature (petition_id, first_name, last_name, email,
    canonical_email, country, wants_updates, consent_version, source, client_hash,
    suspect_reason, state, created_at, confirmed_at, invalidated_at, emails_queued)
SELECT p.id, 'Ada', 'Signer ' || n, 'signer' || n || '@example.org',
    'signer' || n || '@example.org', 'KH', false, '', '', '', '', 'confirmed',
    timestamptz '2026-01-01 00:00:00+00' + n * (interval '86399 seconds' / %s),
    timestamptz '2026-01-01 00:00:00+00' + n * (interval '86399 seconds' / %s),
    NULL, 1
FROM actions_petition p, generate_series(1, %s::bigint) AS n;
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", default="campaign_h6_bench")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the seeded database; only empty the receipts tables",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def child() -> None:
    """Commit, verify and check one receipt in this process; print the facts."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")
    import django

    django.setup()
    from django.db import connection

    from actions.models import Signature
    from actions.receipts import checking, services
    from actions.receipts.models import DailyRoot

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE receipts_leaf, receipts_dailyroot")
    copy_seconds = [0.0]
    write_leaves = services._write_leaves

    def timed_write_leaves(*args: object) -> None:
        start = time.perf_counter()
        write_leaves(*args)
        copy_seconds[0] += time.perf_counter() - start

    services._write_leaves = timed_write_leaves
    cpu_before = _cpu_seconds()
    start = time.perf_counter()
    days = services.commit_finished_days()
    commit_seconds = time.perf_counter() - start
    commit_cpu = _cpu_seconds() - cpu_before
    services._write_leaves = write_leaves
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    daily = DailyRoot.objects.get()
    start = time.perf_counter()
    (check,) = services.verify_days()
    verify_seconds = time.perf_counter() - start
    last = Signature.objects.order_by("-confirmed_at").values_list("pk", flat=True)[0]
    start = time.perf_counter()
    status = services.receipt_status(signature_id=last)
    receipt_ms = (time.perf_counter() - start) * 1000
    verdict = checking.check_receipt(json.dumps(status.receipt))
    print(
        json.dumps(
            {
                "days": [day.isoformat() for day in days],
                "size": daily.size,
                "commit_seconds": commit_seconds,
                "commit_python_cpu_seconds": commit_cpu,
                "commit_copy_seconds": copy_seconds[0],
                "peak_mb": peak,
                "verify_seconds": verify_seconds,
                "verifies": check.matches,
                "receipt_ms": receipt_ms,
                "receipt_valid": verdict.is_valid,
                "path_length": len(status.receipt["path"]),
            }
        )
    )


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def seed(database_url: str, rows: int) -> float:
    start = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SEED_CONTENT)
        conn.execute(SEED_SIGNATURES, (rows, rows, rows))
        conn.execute("VACUUM ANALYZE actions_signature")
    return time.perf_counter() - start


def main() -> None:
    args = parse_args()
    if args.child:
        child()
        return
    if args.reuse:
        database_url = f"{SERVER}/{args.database}"
    else:
        database_url = reset_database(SERVER, args.database)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "DATABASE_", "REDIS_"))
    } | {"DATABASE_URL": database_url, "DEBUG": "0", "PYTHONUNBUFFERED": "1"}
    RESULTS.mkdir(exist_ok=True)
    if not args.reuse:
        manage(env, "migrate", "--no-input", logfile=RESULTS / "receipts-migrate.log")
        log(f"seeding {args.rows:,} confirmed signatures on one day")
        log(f"seeded in {seed(database_url, args.rows):.1f} s")
    result = subprocess.run(
        [sys.executable, __file__, "--child"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"The run failed:\n{result.stdout}\n{result.stderr}")
    run = json.loads(result.stdout.strip().splitlines()[-1])
    run |= {"database": args.database, "rows": args.rows}
    run["load"] = Path("/proc/loadavg").read_text().split()[:3]
    run["checks"] = {
        f"committed in under {MAX_SECONDS:.0f} s": run["commit_seconds"] < MAX_SECONDS,
        "every confirmation committed": run["size"] == args.rows,
        "the day verifies": run["verifies"],
        "the last signer's receipt is valid": run["receipt_valid"],
    }
    (RESULTS / "receipts.json").write_text(json.dumps(run, indent=2))
    print(f"\nReceipt job, {args.rows:,} confirmations in one day (load {run['load']})")
    print("| step | seconds |")
    print("|---|---:|")
    print(f"| commit (leaves by COPY, root) | {run['commit_seconds']:.1f} |")
    cpu = run["commit_python_cpu_seconds"]
    print(f"| of which CPU of the Python process | {cpu:.1f} |")
    print(f"| of which COPY (wall) | {run['commit_copy_seconds']:.1f} |")
    print(f"| verify_receipts (recompute) | {run['verify_seconds']:.1f} |")
    path = run["path_length"]
    print(f"| one receipt (path of {path}) | {run['receipt_ms'] / 1000:.3f} |")
    print(f"peak memory of the process: {run['peak_mb']:.0f} MB")
    for name, passed in run["checks"].items():
        print(f"{'pass' if passed else 'FAIL'}: {name}")
    if not all(run["checks"].values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
