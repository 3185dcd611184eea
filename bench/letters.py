"""Benchmark letter delivery on the production-like set.

    .venv/bin/python bench/letters.py
    .venv/bin/python bench/letters.py --letters 5000 --runs individual-kill,digest-kill

Each run: a fresh database (campaign_bench_letters) and Redis db, the
benchmark statement and petition (bench/seed.py), a letter action to
--recipients recipients in individual or digest mode (daily cap above the
load), and --letters confirmed writers' letters, queued, inserted with one
INSERT ... SELECT each. Then the Procfile set with CAMPAIGN_ENV=production
(BULK_CONCURRENCY=2); beat's run_letters starts the delivery within a
second (digests: LETTER_DIGEST_HOUR=0). Meanwhile the petition is signed
through the web every --sign-interval seconds and each confirmation email is
timed at the SMTP sink. A "-kill" run sends SIGKILL to one of the bulk
worker's pool processes once a third of the letters arrived; the sweep
(FOLLOW_UP_STALE_SENDING_AFTER=3) puts its claims back.

Reports letters/s (individual), the letters counted in what the sink got
(each letter's number, from its subject or from inside the digests): lost,
sent twice; confirmation latencies; peak RSS of the bulk worker's processes
(VmHWM, polled). Writes bench/results/letters.json. See bench/README.md.
"""

import argparse
import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import time
from collections import Counter
from pathlib import Path

import psycopg
import redis
from followups import (
    MAX_CONFIRMATION_SECONDS,
    Signer,
    confirmation_latencies,
    wait_for_log,
)
from smtp_sink import smtp_sink
from stack import (
    BENCH,
    BIN,
    ROOT,
    free_port,
    log,
    manage,
    production_env,
    production_set,
    reset_database,
    seed,
    wait_until_ready,
)

RESULTS = BENCH / "results"
RECIPIENT_PREFIX = "embassy"
MIN_LETTERS_PER_SECOND = 500
MAX_WORKER_MB = 200
SUBJECT = re.compile(rb"\r\nSubject: Letter (\d+)\r\n")
IN_DIGEST = re.compile(rb"This is letter (\d+)\.")

SETUP = """
import json
from actions.letters.models import LetterAction, LetterSettings, Recipient
from actions.models import Petition
petition = Petition.objects.get(slug={slug!r})
action = LetterAction.objects.create(
    statement=petition.statement, target=petition.target, title="Write to them",
    slug="bench-letters", demand="Refer the situation to the ICC.", goal=10**6,
)
settings = LetterSettings.objects.create(
    action=action, subject="Refer it", body="Dear Ambassador,", min_length=1,
    delivery_mode={mode!r}, daily_cap=10**7,
)
recipients = [
    Recipient.objects.create(name=f"Embassy {{n}}", email=f"{prefix}{{n}}@example.org")
    for n in range({recipients})
]
settings.recipients.set(recipients)
print(json.dumps({{"action": action.pk, "recipients": [r.pk for r in recipients]}}))
"""

# The letter's body as SQL, numbered by n.
LETTER_BODY = (
    "'Dear Ambassador,' || chr(10) || chr(10) || 'I am writing to ask your "
    "government to refer the situation to the International Criminal Court. "
    "The documented abuses demand it, and the voice of your country in the "
    "Council counts.' || chr(10) || chr(10) || 'This is letter ' || n || '.' || "
    "chr(10) || chr(10) || 'Yours sincerely,'"
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--letters", type=int, default=100_000)
    parser.add_argument("--recipients", type=int, default=50)
    parser.add_argument(
        "--runs", default="individual,individual-kill,digest,digest-kill"
    )
    parser.add_argument("--rate", type=int, default=2000, help="FOLLOW_UP_RATE")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--web-concurrency", type=int, default=2)
    parser.add_argument("--sign-interval", type=float, default=0.5)
    parser.add_argument("--timeout", type=int, default=900, help="seconds per run")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
    )
    parser.add_argument("--database", default="campaign_bench_letters")
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/10")
    )
    parser.add_argument("--procfile", type=Path, default=ROOT / "Procfile")
    return parser.parse_args()


def keep(data: bytes) -> object:
    """What the sink keeps of a message: the letter numbers it holds."""
    head = data[: data.find(b"\r\n\r\n", 2)]
    if match := SUBJECT.search(head):
        return [int(match.group(1))]
    if b"This is letter" in data:
        return [int(n) for n in IN_DIGEST.findall(data)]
    return []


def seed_letters(env: dict[str, str], args, mode: str, slug: str, logdir: Path) -> None:
    code = SETUP.format(
        slug=slug, mode=mode, prefix=RECIPIENT_PREFIX, recipients=args.recipients
    )
    out = subprocess.run(
        [BIN / "python", "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    ids = json.loads(out.stdout.strip().splitlines()[-1])
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        conn.execute(
            "INSERT INTO actions_signature (petition_id, first_name, last_name, "
            "email, canonical_email, country, wants_updates, consent_version, "
            "source, client_hash, suspect_reason, state, created_at, confirmed_at, "
            "emails_queued) "
            "SELECT %(action)s, 'Writer' || n, 'Bench', 'writer' || n || "
            "'@example.org', 'writer' || n || '@example.org', 'FR', false, 'bench', "
            "'bench', '', '', 'confirmed', now(), now(), 1 "
            "FROM generate_series(1, %(count)s) n",
            {"action": ids["action"], "count": args.letters},
        )
        conn.execute(
            "INSERT INTO letters_letter (signature_id, action_id, recipient_id, "
            "subject, body, postal_town, is_edited, created_at, moderation_state, "
            "held_because, delivery_state, queued_at, failure, attempts) "
            "SELECT s.id, %(action)s, (%(recipients)s::int[])[1 + n %% %(r)s], "
            f"'Letter ' || n, {LETTER_BODY}, 'Lyon', false, now(), "
            "'not_needed', '', 'queued', now(), '', 0 "
            "FROM (SELECT id, substr(first_name, 7)::int AS n FROM actions_signature "
            "WHERE petition_id = %(action)s) s",
            {
                "action": ids["action"],
                "recipients": ids["recipients"],
                "r": len(ids["recipients"]),
            },
        )
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def peak_rss_mb(parent: int, peaks: dict[int, int]) -> None:
    """Note each bulk process's peak RSS (VmHWM, kB) while it lives."""
    out = subprocess.run(
        ["pgrep", "-P", str(parent)], capture_output=True, text=True, check=False
    )
    for pid in [parent, *(int(p) for p in out.stdout.split())]:
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{pid}/status").read_text()
            if match := re.search(r"VmHWM:\s+(\d+)", status):  # not a zombie
                peaks[pid] = max(peaks.get(pid, 0), int(match.group(1)))


def letter_states(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT delivery_state, count(*) FROM letters_letter GROUP BY 1"
        ).fetchall()
    return dict(rows)


def run(args: argparse.Namespace, name: str, logdir: Path) -> dict:
    mode = name.removesuffix("-kill")
    setup_log = logdir / "setup.log"
    with smtp_sink(keep) as (sink, smtp_port):
        database_url = reset_database(args.postgres, args.database)
        redis.Redis.from_url(args.redis).flushdb()
        port = free_port()
        env = production_env(
            database_url=database_url,
            redis_url=args.redis,
            smtp_port=smtp_port,
            web_port=port,
            tmp=logdir,
        )
        env |= {
            "FOLLOW_UP_RATE": str(args.rate),
            "FOLLOW_UP_BATCH_SIZE": str(args.batch_size),
            "FOLLOW_UP_SWEEP_INTERVAL": "1",
            "FOLLOW_UP_STALE_SENDING_AFTER": "3",
            "LETTER_DIGEST_HOUR": "0",
            "BULK_CONCURRENCY": "2",
        }
        log(f"{name}: migrating, seeding {args.letters:,} letters")
        manage(env, "migrate", "--no-input", logfile=setup_log)
        manage(env, "collectstatic", "--no-input", "-v0", logfile=setup_log)
        slugs = seed(env, setup_log)
        with production_set(env, args.web_concurrency, logdir, args.procfile) as procs:
            wait_until_ready(procs, port, logdir, args.web_concurrency)
            bulk_log = logdir / f"bulk-w{args.web_concurrency}.log"
            wait_for_log(bulk_log, " ready.")
            signer = Signer(port, slugs["petition"], args.sign_interval, slugs["stamp"])
            signer.start()
            time.sleep(2)
            # Beat starts delivery within a second of the letters' insert.
            seed_letters(env, args, mode, slugs["petition"], logdir)
            started = time.monotonic()
            peaks: dict[int, int] = {}
            killed = False
            times: list[float] = []
            while True:
                peak_rss_mb(procs["bulk"].pid, peaks)
                got = sum(len(k) for k in list(sink.kept))
                if got >= args.letters:
                    break
                if name.endswith("-kill") and not killed and got >= args.letters / 3:
                    killed = _kill_one(procs["bulk"].pid)
                if time.monotonic() - started > args.timeout:
                    log(f"{name}: timed out with {got:,} letters")
                    break
                time.sleep(0.2)
            finished = time.monotonic()
            time.sleep(5)  # late duplicates, the last confirmations
            signer.stopping.set()
            signer.join()
            time.sleep(2)
            states = letter_states(database_url)
            times = sorted(
                at for at, rcpt in sink.received if rcpt.startswith(RECIPIENT_PREFIX)
            )
    return report(
        args, name, sink, signer, started, finished, times, peaks, states, killed
    )


def _kill_one(parent: int) -> bool:
    out = subprocess.run(
        ["pgrep", "-P", str(parent)], capture_output=True, text=True, check=False
    )
    victims = [int(p) for p in out.stdout.split()]
    if not victims:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(victims[0], signal.SIGKILL)
        log("SIGKILL sent to a bulk pool process")
        return True
    return False


def report(
    args, name, sink, signer, started, finished, times, peaks, states, killed
) -> dict:
    numbers = Counter(n for kept in sink.kept for n in kept)
    first, last = (times[0], times[-1]) if times else (started, started)
    latencies = confirmation_latencies(sink, signer)
    arrived = [value for value in latencies if value is not None]
    result = {
        "run": name,
        "letters": args.letters,
        "recipients": args.recipients,
        "emails": len(times),
        "letters_received": len(numbers),
        "lost": args.letters - len(numbers),
        "twice": sum(n - 1 for n in numbers.values()),
        "killed": killed,
        "first_email_after_s": round(first - started, 2),
        "sending_s": round(last - first, 2),
        "letters_per_s": round(len(numbers) / max(0.001, last - first), 1),
        "states": states,
        "confirmations": {
            "signed": len(latencies),
            "arrived": len(arrived),
            "p50_s": round(statistics.median(arrived), 3) if arrived else None,
            "max_s": max(arrived) if arrived else None,
            "over_2_s": sum(1 for v in arrived if v > MAX_CONFIRMATION_SECONDS),
        },
        "bulk_peak_rss_mb": round(max(peaks.values(), default=0) / 1024, 1),
    }
    log(json.dumps(result))
    return result


def main() -> None:
    args = parse_args()
    logdir = RESULTS / "logs" / "letters"
    logdir.mkdir(parents=True, exist_ok=True)
    results = [run(args, name, logdir) for name in args.runs.split(",") if name]
    print(
        f"\n{'run':<16} {'letters/s':>9} {'emails':>7} {'lost':>5} {'twice':>6} "
        f"{'conf p50/max s':>15} {'bulk RSS MB':>11}"
    )
    for r in results:
        c = r["confirmations"]
        print(
            f"{r['run']:<16} {r['letters_per_s']:>9} {r['emails']:>7} {r['lost']:>5} "
            f"{r['twice']:>6} {str(c['p50_s']) + '/' + str(c['max_s']):>15} "
            f"{r['bulk_peak_rss_mb']:>11}"
        )
    out = RESULTS / "letters.json"
    out.write_text(json.dumps(results, indent=2))
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
