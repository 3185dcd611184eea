"""Kill bulk workers again and again while a follow-up is sent; count the
emails lost and sent twice, with the sent mark's commit awaited before the
end-of-data mark (the baseline) and sent with it (pipelined), in one run.

    .venv/bin/python bench/followup_kills.py
    .venv/bin/python bench/followup_kills.py --signers 40000 --kill-every 0.5

For each mode: a fresh database with N confirmed signers who asked for updates
(as bench/followups.py), the Procfile set with FOLLOW_UP_PIPELINED_COMMIT off
or on, the follow-up scheduled; while it is sent, every --kill-every seconds
(jittered) one of the bulk worker's pool processes is sent SIGKILL. Celery
starts a new one, the sweeper puts the killed batch back after
FOLLOW_UP_STALE_SENDING_AFTER seconds. When every delivery is final, reports
kills, emails lost (a signer who got nothing) and duplicates. Writes
bench/results/followup_kills.json. See bench/README.md.
"""

import argparse
import contextlib
import json
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

import psycopg
from followups import FOLLOW_UP_PREFIX, prepare, schedule, wait_for_log
from smtp_sink import smtp_sink
from stack import (
    BENCH,
    ROOT,
    children,
    log,
    production_set,
    wait_until_ready,
)

RESULTS = BENCH / "results"
MODES = {"baseline": "0", "pipelined": "1"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signers", type=int, default=30_000)
    parser.add_argument("--kill-every", type=float, default=0.7, help="seconds")
    parser.add_argument("--rate", type=int, default=2000, help="FOLLOW_UP_RATE")
    parser.add_argument("--modes", default="baseline,pipelined")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per mode")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
    )
    parser.add_argument("--database", default="campaign_bench_kills")
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/9")
    )
    parser.add_argument("--procfile", type=Path, default=ROOT / "Procfile")
    return parser.parse_args()


def finished(database_url: str, follow_up_id: int) -> bool:
    with psycopg.connect(database_url) as conn:
        state = conn.execute(
            "SELECT state FROM followups_followup WHERE id = %s", [follow_up_id]
        ).fetchone()[0]
    return state == "sent"


def run_mode(args: argparse.Namespace, mode: str, logdir: Path) -> dict:
    setup_log = logdir / "setup.log"
    with smtp_sink() as (sink, smtp_port):
        setting = {
            "FOLLOW_UP_RATE": str(args.rate),
            "FOLLOW_UP_PIPELINED_COMMIT": MODES[mode],
            "FOLLOW_UP_SWEEP_INTERVAL": "1",
            "FOLLOW_UP_STALE_SENDING_AFTER": "3",
            "BULK_CONCURRENCY": "2",
        }
        log(f"{mode}:")
        env, database_url, port, slugs, follow_up_id = prepare(
            args, smtp_port, logdir, setting
        )
        with production_set(env, 1, logdir, args.procfile) as procs:
            wait_until_ready(procs, port, logdir, 1)
            wait_for_log(logdir / "bulk-w1.log", " ready.")
            schedule(env, follow_up_id, setup_log)
            kills = 0
            deadline = time.monotonic() + args.timeout
            while not finished(database_url, follow_up_id):
                if time.monotonic() > deadline:
                    raise SystemExit(f"{mode}: not finished in {args.timeout} s")
                time.sleep(args.kill_every * random.uniform(0.5, 1.5))
                victims = children(procs["bulk"].pid)
                if victims and not finished(database_url, follow_up_id):
                    with contextlib.suppress(ProcessLookupError):  # just exited
                        os.kill(random.choice(victims), signal.SIGKILL)
                        kills += 1
            time.sleep(2)  # a late duplicate would arrive now
            received = Counter(rcpt for _, rcpt in sink.arrivals(FOLLOW_UP_PREFIX))
            bulk_log = (logdir / "bulk-w1.log").read_text()
    missing = sorted(
        {f"{FOLLOW_UP_PREFIX}{n}@example.org" for n in range(1, args.signers + 1)}
        - set(received)
    )
    tasks_lost = bulk_log.count("WorkerLostError('Worker exited prematurely: signal 9")
    result = {
        "mode": mode,
        "signers": args.signers,
        "kills": kills,
        "tasks_lost": tasks_lost,
        "lost": args.signers - len(received),
        "duplicates": sum(n - 1 for n in received.values()),
        "missing": missing[:20],
    }
    log(
        f"{mode}: {kills} kills ({tasks_lost} tasks lost with them), "
        f"{result['lost']} lost, {result['duplicates']} duplicates"
    )
    return result


def main() -> None:
    args = parse_args()
    logdir = RESULTS / "logs" / "followup_kills"
    logdir.mkdir(parents=True, exist_ok=True)
    results = [run_mode(args, mode, logdir) for mode in args.modes.split(",") if mode]
    print(f"\n{'mode':<10} {'kills':>6} {'tasks lost':>10} {'lost':>5} {'twice':>6}")
    for r in results:
        print(
            f"{r['mode']:<10} {r['kills']:>6} {r['tasks_lost']:>10} "
            f"{r['lost']:>5} {r['duplicates']:>6}"
        )
    out = RESULTS / "followup_kills.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
