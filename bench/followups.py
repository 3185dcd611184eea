"""Benchmark follow-up sending on the production-like set, in one run.

    .venv/bin/python bench/followups.py
    .venv/bin/python bench/followups.py --signers 20000 --rate 0

Creates a fresh database (campaign_bench_followups) and Redis db, loads the
benchmark statement and petition (bench/seed.py), adds N confirmed signers
who asked for updates with one INSERT ... SELECT, and a draft follow-up to
them. Starts an SMTP sink and every process of the Procfile (gunicorn, the
Celery worker, the bulk worker, beat) with CAMPAIGN_ENV=production, schedules
the follow-up as the admin would, and while it is sent signs the petition
through the web every --sign-interval seconds. Reports emails/s, duplicates,
how long each confirmation email took from the signing response to the sink,
and CPU per email for each part. Writes bench/results/followups.json. See
bench/README.md.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import psycopg
import redis
from cpu_meter import PostgresMeter, cpu_delta, cpu_snapshot
from smtp_sink import Sink, smtp_sink
from stack import (
    BENCH,
    BIN,
    ROOT,
    fetch,
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
FOLLOW_UP_PREFIX = "fu"
CONFIRM_PREFIX = "confirm-"
# The targets.
MIN_EMAILS_PER_SECOND = 500
MAX_CONFIRMATION_SECONDS = 2.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signers", type=int, default=100_000)
    parser.add_argument(
        "--rate",
        type=int,
        default=2000,
        help="FOLLOW_UP_RATE, emails/s for all bulk workers; 0: no limit "
        "(default: %(default)s, above the target so the throttle runs but "
        "does not bind)",
    )
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--bulk-concurrency", type=int, default=2)
    parser.add_argument("--web-concurrency", type=int, default=4)
    parser.add_argument(
        "--sign-interval", type=float, default=0.5, help="seconds between signings"
    )
    parser.add_argument("--timeout", type=int, default=900, help="seconds at most")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
        help="server URL without a database name",
    )
    parser.add_argument("--database", default="campaign_bench_followups")
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/10")
    )
    parser.add_argument("--procfile", type=Path, default=ROOT / "Procfile")
    parser.add_argument(
        "--build-cost",
        action="store_true",
        help="only measure the CPU cost of building one message both ways",
    )
    return parser.parse_args()


# --- Setting up ----------------------------------------------------------


def seed_signers(database_url: str, petition_slug: str, count: int) -> int:
    """N confirmed signers who asked for updates, and a draft follow-up to them;
    returns the follow-up's id."""
    with psycopg.connect(database_url) as conn:
        petition_id = conn.execute(
            "SELECT id FROM actions_petition WHERE slug = %s", [petition_slug]
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO actions_signature (petition_id, first_name, last_name, "
            "email, canonical_email, country, wants_updates, consent_version, "
            "source, client_hash, suspect_reason, state, created_at, confirmed_at, "
            "emails_queued) "
            "SELECT %(petition)s, 'Reader' || n, 'Bench', "
            f"'{FOLLOW_UP_PREFIX}' || n || '@example.org', "
            f"'{FOLLOW_UP_PREFIX}' || n || '@example.org', 'KH', true, 'bench', "
            "'bench', '', '', 'confirmed', now() - interval '1 day', "
            "now() - interval '1 day', 1 FROM generate_series(1, %(count)s) n",
            {"petition": petition_id, "count": count},
        )
        conn.execute(
            "INSERT INTO actions_petitioncounter (petition_id, shard, confirmed) "
            "VALUES (%s, 0, %s)",
            [petition_id, count],
        )
        follow_up_id = conn.execute(
            "INSERT INTO followups_followup (petition_id, subject, body, trigger, "
            "state, created_at) VALUES (%s, %s, %s, 'now', 'draft', now()) "
            "RETURNING id",
            [
                petition_id,
                "{{ first_name }}, {{ signature_count }} people stand with you",
                BODY,
            ],
        ).fetchone()[0]
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return follow_up_id


BODY = """\
Dear {{ first_name }},

**{{ signature_count }} people** have signed "{{ petition_title }}". Thank you
for being one of them.

This week the head of government's office confirmed the visit is going ahead.
The regional bloc's foreign ministers meet next month, and we will be there
with your names. Three things you can do now:

1. Forward this email to two friends and ask them to sign.
2. Share the petition on the networks you use.
3. Reply and tell us why this matters to you: we read every answer.

The researchers who documented the abuses say the pressure is working. Keep
going.
"""


def schedule(env: dict[str, str], follow_up_id: int, logfile: Path) -> None:
    """Schedule the follow-up the way the admin's action does."""
    code = (
        "from actions.followups import services; "
        "from actions.followups.models import FollowUp; "
        f"assert services.schedule(follow_up=FollowUp.objects.get(pk={follow_up_id}))"
    )
    manage(env, "shell", "-c", code, logfile=logfile)


# --- Load ----------------------------------------------------------------


class Signer(threading.Thread):
    """Signs the petition through the web at a steady pace, noting when each
    signing was acknowledged."""

    def __init__(self, port: int, slug: str, interval: float, stamp: str) -> None:
        super().__init__(daemon=True)
        self.port, self.slug, self.interval = port, slug, interval
        self.stamp = stamp  # the form's start time (bench/seed.py)
        self.acknowledged: dict[str, float] = {}
        self.failures: list[int] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.stopping.wait(self.interval):
            n += 1
            email = f"{CONFIRM_PREFIX}{n}@example.org"
            form = urllib.parse.urlencode(
                {
                    "first_name": "Ada",
                    "last_name": "Bench",
                    "email": email,
                    "country": "KH",
                    "source": "bench",
                    "started": self.stamp,
                }
            )
            status, _, _ = fetch(self.port, "POST", f"/petitions/{self.slug}/", form)
            if status == 302:
                self.acknowledged[email] = time.monotonic()
            else:
                self.failures.append(status)


def wait_for_follow_ups(sink: Sink, expected: int, timeout: float) -> None:
    """Wait until the sink has this many follow-ups; counts only what is new,
    so that polling a growing list costs the sink's cores nothing much."""
    deadline = time.monotonic() + timeout
    got = seen = 0
    last_report = 0.0
    while got < expected:
        received = sink.received[seen:]
        seen += len(received)
        got += sum(1 for _, rcpt in received if rcpt.startswith(FOLLOW_UP_PREFIX))
        now = time.monotonic()
        if now > deadline:
            log(f"timed out with {got} of {expected} follow-ups")
            return
        if now - last_report > 10:
            log(f"  {got:,} of {expected:,} follow-ups arrived")
            last_report = now
        time.sleep(0.5)


def confirmation_latencies(sink: Sink, signer: Signer) -> list[float | None]:
    """Seconds from each acknowledged signing to its email; None if missing."""
    arrived: dict[str, float] = {}
    for at, rcpt in sink.arrivals(CONFIRM_PREFIX):
        arrived.setdefault(rcpt, at)
    return [
        round(arrived[email] - at, 3) if email in arrived else None
        for email, at in signer.acknowledged.items()
    ]


def delivery_states(database_url: str, follow_up_id: int) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT state, count(*) FROM followups_followupdelivery "
            "WHERE follow_up_id = %s GROUP BY state",
            [follow_up_id],
        ).fetchall()
        state = conn.execute(
            "SELECT state FROM followups_followup WHERE id = %s", [follow_up_id]
        ).fetchone()[0]
    return {"follow_up": state, **dict(rows)}


def prepare(
    args: argparse.Namespace, smtp_port: int, logdir: Path, setting: dict[str, str]
) -> tuple[dict[str, str], str, int, dict[str, str], int]:
    """A fresh database with args.signers signers and a draft follow-up to them,
    and the environment of a set with these settings: (env, database URL, web
    port, seeded slugs, follow-up id)."""
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
    env |= setting
    setup_log = logdir / "setup.log"
    log(f"database {args.database}: migrating, seeding {args.signers:,} signers")
    manage(env, "migrate", "--no-input", logfile=setup_log)
    manage(env, "collectstatic", "--no-input", "-v0", logfile=setup_log)
    slugs = seed(env, setup_log)
    follow_up_id = seed_signers(database_url, slugs["petition"], args.signers)
    return env, database_url, port, slugs, follow_up_id


def run(args: argparse.Namespace, logdir: Path) -> dict:
    setup_log = logdir / "setup.log"
    setup_log.write_text("")
    with smtp_sink() as (sink, smtp_port):
        setting = {
            "FOLLOW_UP_RATE": str(args.rate),
            "FOLLOW_UP_BATCH_SIZE": str(args.batch_size),
            "BULK_CONCURRENCY": str(args.bulk_concurrency),
        }
        env, database_url, port, slugs, follow_up_id = prepare(
            args, smtp_port, logdir, setting
        )
        log("starting the Procfile set")
        with production_set(env, args.web_concurrency, logdir, args.procfile) as procs:
            wait_until_ready(procs, port, logdir, args.web_concurrency)
            wait_for_log(logdir / f"bulk-w{args.web_concurrency}.log", " ready.")
            groups = {name: proc.pid for name, proc in procs.items()}
            signer = Signer(port, slugs["petition"], args.sign_interval, slugs["stamp"])
            signer.start()
            time.sleep(3)  # confirmations before the follow-up, for comparison
            before = cpu_snapshot(groups)
            postgres = PostgresMeter(args.database)
            started = time.monotonic()
            log(f"scheduling follow-up {follow_up_id}")
            schedule(env, follow_up_id, setup_log)
            wait_for_follow_ups(sink, args.signers, args.timeout)
            finished = time.monotonic()
            used = cpu_delta(before, cpu_snapshot(groups))
            live, exited = postgres.stop_parts()
            used["postgres"] = round(live, 2)
            used["postgres_exited"] = round(exited, 2)
            time.sleep(3)  # late duplicates, and the last confirmations
            signer.stopping.set()
            signer.join()
            time.sleep(3)
            states = delivery_states(database_url, follow_up_id)
    return report(args, sink, signer, started, finished, used, states)


def wait_for_log(path: Path, needle: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not (path.exists() and needle in path.read_text()):
        if time.monotonic() > deadline:
            sys.exit(f"{path.name} never said {needle!r}")
        time.sleep(0.3)


# --- Report --------------------------------------------------------------


def report(
    args: argparse.Namespace,
    sink: Sink,
    signer: Signer,
    started: float,
    finished: float,
    used: dict[str, float],
    states: dict[str, int],
) -> dict:
    arrivals = sink.arrivals(FOLLOW_UP_PREFIX)
    times = sorted(at for at, _ in arrivals)
    distinct = {rcpt for _, rcpt in arrivals}
    first, last = (times[0], times[-1]) if times else (started, started)
    latencies = confirmation_latencies(sink, signer)
    during = [
        latency
        for (email, at), latency in zip(
            signer.acknowledged.items(), latencies, strict=True
        )
        if first <= at <= last
    ]
    arrived = [value for value in during if value is not None]
    emails = max(1, len(arrivals))
    capacity = (os.cpu_count() or 1) * (finished - started)
    ours = sum(value for key, value in used.items() if key != "machine_busy")
    result = {
        "signers": args.signers,
        "rate_setting": args.rate,
        "batch_size": args.batch_size,
        "bulk_concurrency": args.bulk_concurrency,
        "received": len(arrivals),
        "distinct": len(distinct),
        "duplicates": len(arrivals) - len(distinct),
        "first_email_after_s": round(first - started, 2),
        "sending_s": round(last - first, 2),
        "emails_per_s": round((len(arrivals) - 1) / max(0.001, last - first), 1),
        "emails_per_s_from_schedule": round(len(arrivals) / (last - started), 1),
        "deliveries": states,
        "confirmations_during": {
            "signed": len(during),
            "arrived": len(arrived),
            "p50_s": round(statistics.median(arrived), 3) if arrived else None,
            "max_s": max(arrived) if arrived else None,
            "over_2_s": sum(1 for value in arrived if value > MAX_CONFIRMATION_SECONDS),
        },
        "signing_failures": signer.failures,
        "cpu_seconds": used,
        "cpu_ms_per_email": {
            key: round(seconds * 1000 / emails, 3)
            for key, seconds in used.items()
            if key != "machine_busy"
        },
        "machine_busy_share": round(used["machine_busy"] / capacity, 3),
        "others_share": round(max(0.0, used["machine_busy"] - ours) / capacity, 3),
    }
    confirmations = result["confirmations_during"]
    result["pass"] = (
        result["emails_per_s"] >= MIN_EMAILS_PER_SECOND
        and result["duplicates"] == 0
        and result["distinct"] == args.signers
        and confirmations["arrived"] == confirmations["signed"] > 0
        and confirmations["over_2_s"] == 0
    )
    return result


def print_report(result: dict) -> None:
    conf = result["confirmations_during"]
    print()
    print(
        f"follow-up to {result['signers']:,} signers, {result['bulk_concurrency']} "
        f"bulk processes, batches of {result['batch_size']}, "
        f"FOLLOW_UP_RATE={result['rate_setting']}"
    )
    print(
        f"  {result['received']:,} received ({result['distinct']:,} distinct, "
        f"{result['duplicates']} duplicates) in {result['sending_s']} s: "
        f"{result['emails_per_s']:,.1f} emails/s (target >= {MIN_EMAILS_PER_SECOND}); "
        f"first email {result['first_email_after_s']} s after scheduling "
        f"({result['emails_per_s_from_schedule']:,.1f}/s from scheduling)"
    )
    print(f"  deliveries: {result['deliveries']}")
    print(
        f"  confirmations signed while it ran: {conf['signed']}, arrived "
        f"{conf['arrived']}, p50 {conf['p50_s']} s, max {conf['max_s']} s, "
        f"{conf['over_2_s']} over {MAX_CONFIRMATION_SECONDS:.0f} s"
    )
    cpu = result["cpu_ms_per_email"]
    print(
        "  CPU ms per email: "
        + ", ".join(f"{key} {value}" for key, value in cpu.items())
        + f"; machine busy {result['machine_busy_share']:.0%}, others "
        f"{result['others_share']:.0%}"
    )
    print(f"  {'PASS' if result['pass'] else 'FAIL'}")


# --- Building one message ------------------------------------------------


def build_cost() -> dict:
    """CPU ms to build one follow-up: Django's message() and the batch writer."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives

    from actions.core.mail import MessageWriter
    from actions.followups.rendering import Email, as_message, list_headers
    from statements.services import render_markdown

    text = BODY.replace("{{ first_name }}", "Ada") * 2
    email = Email(
        subject="Ada, 12,345 people stand with you",
        text=text,
        html=render_markdown(text),
        unsubscribe_url="https://example.org/unsubscribe/MTIzNDU:1abcde:xyz/",
    )
    writer = MessageWriter(settings.DEFAULT_FROM_EMAIL)

    def django_message() -> bytes:
        """The same email built the stock way, the baseline."""
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.text,
            to=["ada@example.org"],
            headers=list_headers(email),
        )
        message.attach_alternative(email.html, "text/html")
        return message.message().as_bytes()

    costs = {}
    for name, build, rounds in [
        (
            "django_message",
            django_message,
            300,
        ),
        (
            "batch_writer",
            lambda: writer.write(as_message(email), to="ada@example.org"),
            3000,
        ),
    ]:
        build()
        started = time.process_time()
        for _ in range(rounds):
            build()
        costs[name] = round((time.process_time() - started) * 1000 / rounds, 3)
    return costs


def main() -> None:
    args = parse_args()
    if args.build_cost:
        print(json.dumps(build_cost()))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    logdir = RESULTS / "logs-followups"
    logdir.mkdir(exist_ok=True)
    costs = json.loads(
        subprocess.run(
            [BIN / "python", __file__, "--build-cost"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    log(f"CPU ms to build one message: {costs}")
    result = run(args, logdir) | {"build_cost_ms": costs}
    result["commit"] = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    print_report(result)
    (RESULTS / "followups.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nWrote {RESULTS / 'followups.json'}; logs in {logdir}")
    sys.exit(0 if result["pass"] else 1)


if __name__ == "__main__":
    main()
