"""Benchmark a delivery pack (PDF) for a petition of a million signatures.

    .venv/bin/python bench/delivery_pack.py                      # 1,000,000
    .venv/bin/python bench/delivery_pack.py --rows 100000 --database NAME

Recreates the database (campaign_bench_pack by default), migrates it and
seeds one petition with --rows confirmed signatures with generate_series, as
bench/export.py does (names in several scripts, six countries). Then builds
the pack twice, each in a process of its own through the service the Celery
task calls: without names and with names. Each process reports its time and
peak memory (ru_maxrss); the PDF is read back with pypdf (page count, the
first and the last signer's name). Prints a table and writes
bench/results/delivery_pack.json. See bench/README.md.
"""

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from stack import BENCH, ROOT, manage, reset_database

SERVER = "postgres://postgres@127.0.0.1:5432"
RESULTS = BENCH / "results"
MAX_PEAK_MB = 150.0

SEED_CONTENT = """
INSERT INTO statements_statement (title, slug, standfirst, body, background, state,
    publish_at, published_at, created_at, updated_at)
VALUES ('Cancel the visit', 'bench-pack', 'A visit would reward the coup.', 'Body',
    '', 'published', now(), now(), now(), now());
INSERT INTO actions_target (name, description)
VALUES ('Head of government', 'Prime Minister');
INSERT INTO actions_petition (statement_id, target_id, title, slug, demand, position,
    goal, opens_at, state, sensitive)
SELECT s.id, t.id, 'Cancel the visit', 'bench-pack-petition',
    'Cancel the visit and say why in public.', 0, 1000000, now(), 'open', false
FROM statements_statement s, actions_target t;
INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active,
    first_name, last_name, email, date_joined)
VALUES ('bench', '!', false, true, true, '', '', '', now());
INSERT INTO auth_user_groups (user_id, group_id)
SELECT u.id, g.id FROM auth_user u, auth_group g
WHERE u.username = 'bench' AND g.name = 'Reports';
"""

SEED_SIGNATURES = """
INSERT INTO actions_signature (petition_id, first_name, last_name, email,
    canonical_email, country, wants_updates, consent_version, source, client_hash,
    suspect_reason, state, created_at, confirmed_at, invalidated_at, emails_queued)
SELECT p.id,
    (ARRAY['Ada', 'សុខ', 'Aung', 'Marie-Claire', 'Thandiwe', 'Sok', 'Min',
           'O''Neil', 'Zoë', 'Nguyễn'])[1 + n %% 10],
    'Signer ' || n,
    'signer' || n || '@example.org',
    'signer' || n || '@example.org',
    (ARRAY['KH', 'MM', 'TH', 'GB', 'FR', 'ZA'])[1 + n %% 6],
    false, '', '', '', '', 'confirmed',
    timestamptz '2026-01-01' + n * interval '1 second',
    timestamptz '2026-01-01' + n * interval '1 second' + interval '3 min',
    NULL, 1
FROM actions_petition p, generate_series(1, %s::bigint) AS n;
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", default="campaign_bench_pack")
    parser.add_argument("--child", choices=["names", "counts"], help=argparse.SUPPRESS)
    parser.add_argument("--media", help=argparse.SUPPRESS)
    return parser.parse_args()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def child(kind: str, media: str) -> None:
    """Build one pack in this process; print time, peak memory, file facts."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")
    os.environ["MEDIA_ROOT"] = media
    import django

    django.setup()
    from django.contrib.auth.models import User

    from actions.deliverypacks import services
    from actions.deliverypacks.models import DeliveryPack
    from actions.models import Petition

    pack = DeliveryPack.objects.create(
        petition=Petition.objects.get(slug="bench-pack-petition"),
        user=User.objects.get(username="bench"),
        username="bench",
        include_names=kind == "names",
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    services.build_pack(pack.pk)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pack.refresh_from_db()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": peak,
                "rss_before_mb": rss_before,
                "state": pack.state,
                "signature_count": pack.signature_count,
                "path": pack.file.path,
            }
        )
    )


def read_back(path: str) -> dict:
    """Pages, and the first and last lines of the last page, read with pypdf."""
    from pypdf import PdfReader

    data = Path(path).read_bytes()
    reader = PdfReader(io.BytesIO(data))
    last = reader.pages[-1].extract_text().splitlines()
    return {"bytes": len(data), "pages": len(reader.pages), "last_line": last[-1]}


def run_child(env: dict[str, str], kind: str, media: Path) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--media", str(media)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"The build failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def seed(database_url: str, rows: int) -> float:
    start = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SEED_CONTENT)
        conn.execute(SEED_SIGNATURES, (rows,))
        conn.execute("VACUUM ANALYZE actions_signature")
    return time.perf_counter() - start


def main() -> None:
    args = parse_args()
    if args.child:
        child(args.child, args.media)
        return
    database_url = reset_database(SERVER, args.database)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "DATABASE_", "REDIS_"))
    } | {"DATABASE_URL": database_url, "DEBUG": "0", "PYTHONUNBUFFERED": "1"}
    RESULTS.mkdir(exist_ok=True)
    manage(env, "migrate", "--no-input", logfile=RESULTS / "pack-migrate.log")
    log(f"seeding {args.rows:,} confirmed signatures")
    log(f"seeded in {seed(database_url, args.rows):.1f} s")
    run = {"database": args.database, "rows": args.rows, "builds": {}}
    run["load"] = Path("/proc/loadavg").read_text().split()[:3]
    with tempfile.TemporaryDirectory(prefix="bench-pack-") as media:
        for kind in ("counts", "names"):
            build = run_child(env, kind, Path(media))
            build |= read_back(build.pop("path"))
            log(f"{kind}: {build['seconds']:.1f} s, peak {build['peak_mb']:.1f} MB")
            run["builds"][kind] = build
    names = run["builds"]["names"]
    run["checks"] = {
        f"peak memory under {MAX_PEAK_MB:.0f} MB": all(
            b["peak_mb"] < MAX_PEAK_MB for b in run["builds"].values()
        ),
        "every signature counted": all(
            b["signature_count"] == args.rows for b in run["builds"].values()
        ),
        "the last signer is on the last page": (
            names["last_line"].split()[1:3] == ["Signer", str(args.rows)]
        ),
    }
    (RESULTS / "delivery_pack.json").write_text(json.dumps(run, indent=2))
    print(f"\nDelivery pack, {args.rows:,} confirmed signatures (load {run['load']})")
    print("| pack | seconds | peak MB | pages | PDF MB |")
    print("|---|---:|---:|---:|---:|")
    for kind, b in run["builds"].items():
        print(
            f"| {kind} | {b['seconds']:.1f} | {b['peak_mb']:.1f} | {b['pages']:,} | "
            f"{b['bytes'] / 1e6:.1f} |"
        )
    for name, passed in run["checks"].items():
        print(f"{'pass' if passed else 'FAIL'}: {name}")
    if not all(run["checks"].values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
