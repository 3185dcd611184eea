"""The fault suite: Redis, PostgreSQL, SMTP and the processes failing while
people sign, and what each fault costs them (issue 14).

    .venv/bin/python bench/faults.py                 (or: make faults)
    .venv/bin/python bench/faults.py --short --only redis-kill,pg-restart

Starts a PostgreSQL cluster of its own (initdb in a temporary folder, its own
port; never the machine's shared server), a Redis server of its own and the
test SMTP server (Mailbox, which can refuse, reject, stall or drop), then
migrates and seeds one database as a template. Each scenario gets a copy of
it, an empty Redis, an SMTP server and the Procfile's processes
(CAMPAIGN_ENV=production, production timings), and a signing load: every
attempt a new address, a 302 to "check your email" an acknowledgement. The
fault comes after a lead, is held and ended; the load runs on for a tail; then
the suite waits for every pending confirmation and counts. Prints one table
and the targets with PASS/FAIL; writes bench/results/faults.json. See
bench/README.md.
"""

import argparse
import json
import shutil
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import psycopg
import redis
from stack import (
    BENCH,
    ROOT,
    children,
    free_port,
    git_commit,
    log,
    manage,
    production_env,
    seed,
)

sys.path.insert(0, str(ROOT))

from fault_scenarios import BY_NAME, Run, Scenario  # noqa: E402

from actions.tests.integration.load import (  # noqa: E402
    FORM,
    SigningLoad,
    acknowledged,
    p99,
    stored,
)
from actions.tests.integration.stack import (  # noqa: E402
    Mailbox,
    PrivatePostgres,
    PrivateRedis,
)
from actions.tests.integration.supervised import supervised_set  # noqa: E402

RESULTS = BENCH / "results"
TEMPLATE = "campaign_h5_seed"
# The targets.
REDIS_P99_SECONDS = 1.0
RECOVER_SECONDS = 180
# p99 "during the fault" covers the attempts due from its start to this many
# seconds after its end: a slow recovery is felt too.
AFTERMATH = 5.0


# --- One scenario ---------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated scenarios")
    parser.add_argument(
        "--short", action="store_true", help="shorter faults, lead and tail"
    )
    parser.add_argument("--rate", type=float, default=40, help="signings/s (0: max)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="WEB_CONCURRENCY")
    parser.add_argument(
        "--recover-wait",
        type=int,
        default=RECOVER_SECONDS + 10,
        help="seconds after the fault to wait for every confirmation",
    )
    parser.add_argument("--procfile", type=Path, default=ROOT / "Procfile")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    names = [name for name in args.only.split(",") if name] or list(BY_NAME)
    unknown = set(names) - set(BY_NAME)
    if unknown:
        parser.error(
            f"--only: unknown {', '.join(sorted(unknown))}; "
            f"the scenarios are {', '.join(BY_NAME)}"
        )
    args.scenarios = [BY_NAME[name] for name in BY_NAME if name in names]
    args.lead, args.tail = (5.0, 5.0) if args.short else (10.0, 15.0)
    return args


def unsettled(database_url: str, prefix: str) -> int:
    """Outbox rows of the scenario still queued or being sent."""
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT count(*) FROM outbox_outboundemail WHERE to_email LIKE %s "
            "AND state IN ('queued', 'sending')",
            [prefix + "%"],
        ).fetchone()[0]


class Arrivals:
    """When each address's first email arrived, by polling the mailbox."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.first: dict[str, float] = {}

    def poll(self) -> Counter:
        load = self.run.load
        wanted = {load.address(n) for n in range(load.issued)}
        received = self.run.mailbox.count_by_recipient(wanted)
        now = time.monotonic()
        for address in received:
            self.first.setdefault(address, now)
        return received

    def watch(self, until: float) -> None:
        while time.monotonic() < until:
            self.poll()
            time.sleep(0.5)


def wait_for_delivery(run: Run, arrivals: Arrivals, url: str, deadline: float) -> None:
    """Until every row's email arrived (but those refused for good) and no
    outbox row is left queued or sending, or the deadline."""
    prefix = run.load.prefix
    while time.monotonic() < deadline:
        expected = stored(url, prefix) - run.rejected
        if expected <= set(arrivals.poll()) and not unsettled(url, prefix):
            break
        time.sleep(1)
    time.sleep(2)  # a late duplicate would arrive now
    arrivals.poll()


def run_scenario(args: argparse.Namespace, scenario: Scenario, base: dict) -> dict:
    seconds = scenario.short_seconds if args.short else scenario.seconds
    postgres: PrivatePostgres = base["postgres"]
    server: PrivateRedis = base["redis"]
    database = f"campaign_h5_{scenario.name.replace('-', '_')}"
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}" TEMPLATE "{TEMPLATE}"')
    url = postgres.url(database)
    if not server.answers():
        server.start()
    redis.Redis.from_url(server.url).flushall()
    mailbox = Mailbox()
    mailbox.start()
    logdir = RESULTS / "logs" / "faults" / scenario.name
    shutil.rmtree(logdir, ignore_errors=True)  # a previous run's
    logdir.mkdir(parents=True)
    env = base["env"] | {
        "DATABASE_URL": url,
        "EMAIL_PORT": str(mailbox.port),
        "BEAT_SCHEDULE": str(logdir / "celerybeat-schedule"),
        "WEB_CONCURRENCY": str(args.workers),
    }
    slugs = base["slugs"]
    load = SigningLoad(
        port=int(env["PORT"]),
        path=f"/petitions/{slugs['petition']}/",
        form=FORM | {"source": scenario.name, "started": slugs["stamp"]},
        prefix=f"{scenario.name}-",
        clients=args.clients,
        rate=args.rate,
    )
    log(f"{scenario.name}: {scenario.label}, {seconds:.0f} s")
    # As `make stack` runs the set: under its supervisor.
    supervised = supervised_set(env, logdir / "supervise.log", procfile=args.procfile)
    try:
        with supervised as processes:
            processes.wait_ready()
            run = Run(processes, server, postgres, mailbox, load)
            return measure(args, scenario, run, url, seconds)
    finally:
        load.stop()  # if a fault failed midway; nothing to do otherwise
        mailbox.stop()


def measure(
    args: argparse.Namespace, scenario: Scenario, run: Run, url: str, seconds: float
) -> dict:
    arrivals = Arrivals(run)
    run.load.start()
    time.sleep(args.lead)
    fault_start = time.monotonic()
    if scenario.kind == "postgres":  # each pool process may lose its sent mark
        run.senders_lost += len(children(run.processes.pid("worker")))
    scenario.fault(run, seconds)
    fault_end = time.monotonic()
    arrivals.watch(until=fault_end + args.tail)
    attempts = run.load.stop()
    wait_for_delivery(run, arrivals, url, fault_end + args.recover_wait)
    rows = stored(url, run.load.prefix)
    acked = acknowledged(attempts)
    statuses = Counter(a.status for a in attempts)
    received = arrivals.poll()
    # Recovered when the last confirmation pending at the fault's end arrived.
    pending = {a.address for a in attempts if a.started <= fault_end}
    pending = (pending & rows) - run.rejected
    missing = pending - set(received)
    recover = None
    if not missing:
        last = max((arrivals.first[a] for a in pending), default=fault_end)
        recover = max(0.0, last - fault_end)
    undelivered = (rows - run.rejected) - set(received)
    if undelivered:
        run.notes.append(f"{len(undelivered)} confirmations never arrived")
    if rows - acked:
        run.notes.append(f"{len(rows - acked)} rows stored without a 302")
    fault_p99 = p99(attempts, fault_start, fault_end + AFTERMATH)
    return {
        "scenario": scenario.name,
        "label": scenario.label,
        "kind": scenario.kind,
        "seconds": round(fault_end - fault_start, 1),
        "requests": len(attempts),
        "acknowledged": len(acked),
        "rows": len(rows),
        "lost": len(acked - rows),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "errors_503": statuses.get(503, 0),
        "no_answer": statuses.get(0, 0),
        "emails_sent": len(received),
        "sent_twice": sum(n - 1 for n in received.values()),
        "undelivered": len(undelivered),
        "rejected_550": len(run.rejected & rows),
        "p99_fault_s": None if fault_p99 is None else round(fault_p99, 3),
        "recover_s": None if recover is None else round(recover, 1),
        "recover_wait_s": args.recover_wait,
        "refused_by_smtp": run.mailbox.refused,
        "dropped_by_smtp": run.mailbox.dropped,
        "senders_lost": run.senders_lost,
        "notes": run.notes,
    }


# --- Report ---------------------------------------------------------------


def _seconds(value: float | None, wait: int) -> str:
    return f"> {wait} s" if value is None else f"{value:.1f} s"


def print_table(results: list[dict]) -> None:
    header = (
        f"{'fault':<28}{'secs':>5}{'requests':>9}{'acked':>7}{'rows':>7}"
        f"{'lost':>5}{'5xx':>6}{'(503)':>6}{'no ans':>7}{'emails':>7}"
        f"{'twice':>6}{'p99 fault':>10}{'recover':>10}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for r in results:
        if "error" in r:
            print(f"{r['label']:<28} did not run: {r['error']}")
            continue
        p99_text = "-" if r["p99_fault_s"] is None else f"{r['p99_fault_s']:.2f} s"
        print(
            f"{r['label']:<28}{r['seconds']:>5.0f}{r['requests']:>9}"
            f"{r['acknowledged']:>7}{r['rows']:>7}{r['lost']:>5}"
            f"{r['errors_5xx']:>6}{r['errors_503']:>6}{r['no_answer']:>7}"
            f"{r['emails_sent']:>7}{r['sent_twice']:>6}{p99_text:>10}"
            f"{_seconds(r['recover_s'], r['recover_wait_s']):>10}"
        )
    for r in results:
        for note in r.get("notes", []):
            print(f"  {r['scenario']}: {note}")


def targets(results: list[dict]) -> list[tuple[str, bool, str]]:
    """Each target of the issue: its text, whether every scenario met it,
    and the scenarios that did not (or, for duplicates, the counts)."""
    ran = [r for r in results if "error" not in r]

    def failing(test: Callable[[dict], object], show: Callable[[dict], str]) -> str:
        return ", ".join(f"{r['scenario']} {show(r)}" for r in ran if test(r))

    def other_5xx(r: dict) -> int:
        allowed = r["errors_503"] if r["kind"] == "postgres" else 0
        return r["errors_5xx"] - allowed

    def slow(r: dict) -> bool:
        return r["kind"] == "redis" and not (r["p99_fault_s"] or 0) < REDIS_P99_SECONDS

    def late(r: dict) -> bool:
        return r["recover_s"] is None or r["recover_s"] > RECOVER_SECONDS

    checks = [
        ("0 acknowledged signatures lost", failing(lambda r: r["lost"], _lost)),
        ("no 5xx but the PostgreSQL 503 page", failing(other_5xx, _other_5xx)),
        (
            f"signing p99 under {REDIS_P99_SECONDS:.0f} s during Redis faults",
            failing(slow, lambda r: f"{r['p99_fault_s']} s"),
        ),
        (
            f"every confirmation within {RECOVER_SECONDS} s of the fault's end",
            failing(late, lambda r: _seconds(r["recover_s"], r["recover_wait_s"])),
        ),
    ]
    verdicts = [(text, not failed, failed) for text, failed in checks]
    over = failing(
        lambda r: r["sent_twice"] > allowed_twice(r),
        lambda r: f"{r['sent_twice']} twice, {allowed_twice(r)} allowed",
    )
    verdicts.append(("duplicates only where the delivery rule allows", not over, over))
    twice = failing(lambda r: r["sent_twice"], lambda r: str(r["sent_twice"]))
    verdicts.append(("duplicates (counted)", True, twice or "none"))
    if len(ran) < len(results):
        verdicts.append(("every scenario ran", False, ""))
    return verdicts


def allowed_twice(r: dict) -> int:
    """The duplicates the delivery rule allows confirmations (at least once,
    docs/architecture.md): one per email whose sender cannot know it went,
    that is one per message the server read and dropped unanswered, and one
    per email process that died or lost the database while sending."""
    return r.get("dropped_by_smtp", 0) + r.get("senders_lost", 0)


def _lost(r: dict) -> str:
    return f"{r['lost']} lost"


def _other_5xx(r: dict) -> str:
    return f"{r['statuses']}"


def print_targets(verdicts: list[tuple[str, bool, str]]) -> None:
    print("\nTargets:")
    for text, passed, detail in verdicts:
        if text.startswith("duplicates (counted)"):
            print(f"  {text}: {detail}")
            continue
        verdict = "PASS" if passed else "FAIL"
        print(f"  {text}: {verdict}" + (f" ({detail})" if detail else ""))


# --- Main -----------------------------------------------------------------


def prepare(
    args: argparse.Namespace,
    postgres: PrivatePostgres,
    server: PrivateRedis,
    logdir: Path,
) -> dict:
    """Migrate and seed the template database; what every scenario shares."""
    setup_log = logdir / "setup.log"
    setup_log.write_text("")
    env = production_env(
        database_url=postgres.create_database(TEMPLATE),
        redis_url=server.url,
        smtp_port=0,
        web_port=free_port(),
        tmp=logdir,
    )
    env.update(item.split("=", 1) for item in args.env)
    log("migrate, collectstatic, seed (template database)")
    manage(env, "migrate", "--no-input", logfile=setup_log)
    manage(env, "collectstatic", "--no-input", "-v0", logfile=setup_log)
    slugs = seed(env, setup_log)
    return {"env": env, "slugs": slugs, "postgres": postgres, "redis": server}


def main() -> None:
    args = parse_args()
    if not shutil.which("redis-server"):
        sys.exit("The fault suite needs redis-server: apt-get install redis-server")
    if not (PrivatePostgres.PG_BIN / "initdb").exists():
        sys.exit(f"The fault suite needs PostgreSQL 15 in {PrivatePostgres.PG_BIN}")
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: sys.exit("terminated; the set is stopped"))
    logdir = RESULTS / "logs" / "faults"
    logdir.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    postgres, server = PrivatePostgres(), PrivateRedis(logdir)
    results = []
    try:
        postgres.start()
        server.start()
        log(f"PostgreSQL cluster on port {postgres.port}, Redis on {server.port}")
        base = prepare(args, postgres, server, logdir)
        for scenario in args.scenarios:
            try:
                result = run_scenario(args, scenario, base)
                log(
                    f"  {result['acknowledged']} acknowledged, {result['lost']} lost, "
                    f"statuses {result['statuses']}, p99 {result['p99_fault_s']} s, "
                    f"recovered {_seconds(result['recover_s'], args.recover_wait)}"
                )
                results.append(result)
            except (Exception, SystemExit) as exc:  # the next one may still run
                log(f"{scenario.name} failed: {exc!r}")
                results.append(
                    {
                        "scenario": scenario.name,
                        "label": scenario.label,
                        "error": repr(exc),
                    }
                )
    finally:
        server.stop()
        postgres.remove()
    print_table(results)
    verdicts = targets(results)
    print_targets(verdicts)
    report = {
        "started_at": started,
        "git_commit": git_commit(),
        "short": args.short,
        "rate": args.rate,
        "clients": args.clients,
        "web_concurrency": args.workers,
        "extra_env": args.env,
        "results": results,
        "targets": [
            {"target": text, "pass": passed, "detail": detail}
            for text, passed, detail in verdicts
        ],
    }
    out = RESULTS / "faults.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nWrote {out}; logs in {logdir}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted; the set is stopped")
