"""Benchmark the production-like set on PostgreSQL and Redis, in one run.

    .venv/bin/python bench/run.py            (or: make bench)
    .venv/bin/python bench/run.py --workers 2,3,4

Creates a fresh database and Redis db, loads one published statement with one
open petition and starts an SMTP sink. It then serves the floor (bench/floor/:
a minimal Django project, startproject's middleware, no database) by the
Procfile's web line with only the WSGI application swapped, loads it with wrk
and stops it. Then it starts every process of the Procfile (gunicorn, the
Celery worker, beat) with CAMPAIGN_ENV=production, and wrk loads, one after
another: the site's own minimal view (GET /healthz), the statement page, the
count endpoint and the signing POST (a new address each request). After
signing it checks that every acknowledged signature (302) is a row in
PostgreSQL and counts the confirmation emails the sink received. Prints a
table, each figure as a share of the floor and of /healthz, and writes
bench/results/latest.json. See bench/README.md.
"""

import argparse
import datetime
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import psycopg
import redis
from cpu_meter import PostgresMeter, cpu_delta, cpu_snapshot
from smtp_sink import Sink, smtp_sink
from stack import (
    BENCH,
    ROOT,
    fetch,
    floor_command,
    floor_set,
    free_port,
    git_commit,
    log,
    manage,
    pg_settings,
    preflight,
    procfile,
    production_env,
    production_set,
    reset_database,
    seed,
    wait_until_ready,
)

RESULTS = BENCH / "results"

# "floor" is the minimal project; the others are the site ("baseline" is its
# /healthz, the name kept so that older commands and results still read).
ENDPOINTS = ["floor", "baseline", "statement", "statement_fr", "count", "sign"]

# The targets, as fractions of the floor's requests/s (of /healthz's
# when the floor is not measured).
SIGN_MIN_RATIO = 0.07
SIGN_MAX_P99_MS = 150.0
STATEMENT_MIN_RATIO = 0.40
# The statement page with its stylesheet, scripts and images, as transferred
# (gzip where the server compresses), the share image excluded.
PAGE_MAX_BYTES = 100 * 1024


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workers",
        default=os.environ.get("WEB_CONCURRENCY", "4"),
        help="gunicorn worker counts to run, e.g. 2,3,4 (default: %(default)s)",
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=int, default=15, help="seconds each")
    parser.add_argument("--warmup", type=int, default=3, help="seconds each")
    parser.add_argument(
        "--drain", type=int, default=120, help="seconds to wait for emails after"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
        help="server URL without a database name",
    )
    parser.add_argument("--database", default="campaign_bench")
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/9")
    )
    parser.add_argument(
        "--procfile",
        type=Path,
        default=ROOT / "Procfile",
        help="the process set to start (default: the project's Procfile)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the set, e.g. WORKER_CONCURRENCY=2",
    )
    parser.add_argument(
        "--only",
        default=",".join(ENDPOINTS),
        help="comma-separated endpoints to load (default: all: %(default)s)",
    )
    args = parser.parse_args()
    unknown = set(args.only.split(",")) - set(ENDPOINTS)
    if unknown:
        parser.error(f"--only: unknown {', '.join(sorted(unknown))}")
    return args


# --- Load ----------------------------------------------------------------


def wrk(
    args: argparse.Namespace, url: str, script: str, seconds: int, *script_args: str
) -> dict:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / script),
        url,
    ]
    if script_args:
        command += ["--", *script_args]
    output = subprocess.run(command, capture_output=True, text=True, check=False)
    match = re.search(r"^BENCH_JSON (.*)$", output.stdout, re.MULTILINE)
    if output.returncode or not match:
        sys.exit(f"wrk failed:\n{output.stdout}\n{output.stderr}")
    raw = json.loads(match.group(1))
    seconds_run = raw["duration_us"] / 1e6
    socket_errors = sum(
        raw[key]
        for key in ("connect_errors", "read_errors", "write_errors", "timeouts")
    )
    result = {
        "requests": raw["requests"],
        "seconds": round(seconds_run, 2),
        "rps": round(raw["requests"] / seconds_run, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "socket_errors": socket_errors,
        "statuses": raw["statuses"],
        "errors": socket_errors + raw["status_errors"],
    }
    if script == "sign.lua":
        # Only a 302 means the signature was taken; anything else is an error.
        acknowledged = raw["statuses"].get("302", 0)
        result["acknowledged"] = acknowledged
        result["rps"] = round(acknowledged / seconds_run, 1)
        result["errors"] = socket_errors + raw["counted"] - acknowledged
    return result


def signature_rows(database_url: str, prefix: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT count(*) FROM actions_signature WHERE email LIKE %s",
            [prefix + "%"],
        ).fetchone()[0]


def outbox_states(database_url: str, prefix: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT state, count(*) FROM outbox_outboundemail "
            "WHERE to_email LIKE %s GROUP BY state",
            [prefix + "%"],
        ).fetchall()
    return dict(rows)


def load_endpoint(
    args: argparse.Namespace,
    name: str,
    port: int,
    slugs: dict[str, str],
    tag: str,
    groups: dict[str, int],
) -> dict:
    base = f"http://127.0.0.1:{port}"
    paths = {
        "floor": ("GET floor project", "/healthz"),
        "baseline": ("GET /healthz", "/healthz"),
        "statement": ("GET statement page", f"/statements/{slugs['statement']}/"),
        # The same page in a language other than the original (issue 10);
        # needs a commit with languages.
        "statement_fr": (
            "GET statement, fr",
            f"/fr/statements/{slugs['statement']}/",
        ),
        "count": ("GET count.json", f"/petitions/{slugs['petition']}/count.json"),
        "sign": ("POST signing", f"/petitions/{slugs['petition']}/"),
    }
    label, path = paths[name]
    script = "sign.lua" if name == "sign" else "get.lua"
    stamp = urllib.parse.quote(slugs["stamp"], safe="")
    warm_args, load_args = (
        ([f"{tag}-warm", stamp], [f"{tag}-load", stamp]) if name == "sign" else ([], [])
    )
    wrk(args, base + path, script, args.warmup, *warm_args)
    before = cpu_snapshot(groups)
    postgres = PostgresMeter(args.database)
    result = wrk(args, base + path, script, args.duration, *load_args)
    used = cpu_delta(before, cpu_snapshot(groups))
    used["postgres"] = round(postgres.stop(), 2)
    result["label"] = label
    result["cpu_seconds"] = used
    # CPU time per request is what other users of the machine distort least.
    result["cpu_ms_per_request"] = {
        key: round(seconds * 1000 / max(1, result["requests"]), 2)
        for key, seconds in used.items()
    }
    ours = sum(value for key, value in used.items() if key != "machine_busy")
    capacity = (os.cpu_count() or 1) * result["seconds"]
    result["others_share"] = round(max(0.0, used["machine_busy"] - ours) / capacity, 3)
    return result


def load_path(name: str, slugs: dict[str, str]) -> str:
    prefix = "/fr" if name == "statement_fr" else ""
    return f"{prefix}/statements/{slugs['statement']}/"


def page_weight(port: int, path: str) -> dict:
    """What a first visit to the page transfers: the HTML and every
    stylesheet, script, icon and image it links on this site, each asked for
    with Accept-Encoding: gzip, headers included. The share image (og:image)
    is not loaded by a visit, so it is not counted."""
    import http.client
    from html.parser import HTMLParser

    def get(url_path: str) -> tuple[int, int]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", url_path, headers={"Accept-Encoding": "gzip"})
            response = conn.getresponse()
            body = response.read()
            headers = sum(len(k) + len(v) + 4 for k, v in response.getheaders())
            return len(body) + headers, len(body)
        finally:
            conn.close()

    class Links(HTMLParser):
        found: list[str] = []

        def handle_starttag(self, tag: str, attrs: list) -> None:
            attr = dict(attrs)
            rel = (attr.get("rel") or "").split()
            url = None
            if tag == "link" and {"stylesheet", "icon"} & set(rel):
                url = attr.get("href")
            elif tag in ("script", "img"):
                url = attr.get("src")
            if url and url.startswith("/") and not url.startswith("//"):
                self.found.append(url)

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    html = conn.getresponse().read().decode()
    conn.close()
    parser = Links()
    parser.found = []
    parser.feed(html)
    parts = {path: get(path)[0]} | {url: get(url)[0] for url in parser.found}
    total = sum(parts.values())
    return {
        "bytes": total,
        "parts": parts,
        "target": f"< {PAGE_MAX_BYTES // 1024} KB",
        "pass": total < PAGE_MAX_BYTES,
    }


def check_signing(
    args: argparse.Namespace,
    result: dict,
    sink: Sink,
    database_url: str,
    tag: str,
    load_end: float,
) -> None:
    """Nothing lost: every 302 is a row; every row's email arrives, once."""
    prefix = f"{tag}-"
    # Connections wrk dropped at the end may still wait in the listen queue,
    # and gunicorn serves them anyway: wait until the rows stop growing.
    rows, settle_until = -1, time.monotonic() + 15
    while (now := signature_rows(database_url, prefix)) != rows:
        rows = now
        if time.monotonic() > settle_until:
            break
        time.sleep(1)
    load_rows = signature_rows(database_url, f"{tag}-load-")
    deadline = load_end + args.drain
    while len({rcpt for _, rcpt in sink.arrivals(prefix)}) < rows:
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    arrivals = sink.arrivals(prefix)
    distinct = {rcpt for _, rcpt in arrivals}
    result["db"] = {
        "signature_rows": load_rows,
        "acknowledged": result["acknowledged"],
        "lost": max(0, result["acknowledged"] - load_rows),
        "unacknowledged_rows": max(0, load_rows - result["acknowledged"]),
    }
    result["emails"] = {
        "expected_incl_warmup": rows,
        "delivered_by_load_end": sum(1 for at, _ in arrivals if at <= load_end),
        "delivered": len(distinct),
        "duplicates": len(arrivals) - len(distinct),
        "drain_window_s": args.drain,
        "all_delivered_after_s": round(max(at for at, _ in arrivals) - load_end, 1)
        if len(distinct) >= rows
        else None,
        "outbox_states": outbox_states(database_url, prefix),
    }


def run_set(
    args: argparse.Namespace,
    workers: int,
    env: dict[str, str],
    sink: Sink,
    slugs: dict[str, str],
    logdir: Path,
    run_id: str,
) -> dict:
    tag = f"{run_id}-w{workers}"
    loadavg = os.getloadavg()
    names = args.only.split(",")
    endpoints = {}
    if "floor" in names:
        endpoints["floor"] = measure_floor(args, workers, env, slugs, logdir, tag)
    site_names = [name for name in names if name != "floor"]
    if site_names:
        endpoints |= measure_site(
            args, workers, env, sink, slugs, logdir, tag, site_names
        )
    return {
        "web_concurrency": workers,
        "loadavg_before": loadavg,
        "endpoints": judge(endpoints),
    }


def measure_site(
    args: argparse.Namespace,
    workers: int,
    env: dict[str, str],
    sink: Sink,
    slugs: dict[str, str],
    logdir: Path,
    tag: str,
    names: list[str],
) -> dict[str, dict]:
    """Start the Procfile set, load each of the site's endpoints, stop it."""
    port = int(env["PORT"])
    log(f"starting the Procfile set with WEB_CONCURRENCY={workers}")
    endpoints = {}
    with production_set(env, workers, logdir, args.procfile) as procs:
        wait_until_ready(procs, port, logdir, workers)
        preflight(port, slugs, f"{tag}-preflight")
        groups = {name: proc.pid for name, proc in procs.items()}
        for name in names:
            log(f"  {name}: {args.warmup}s warm-up, {args.duration}s load")
            result = load_endpoint(args, name, port, slugs, tag, groups)
            load_end = time.monotonic()
            if name == "sign":
                check_signing(args, result, sink, env["DATABASE_URL"], tag, load_end)
            if name.startswith("statement"):
                result["weight"] = page_weight(port, load_path(name, slugs))
            endpoints[name] = result
    return endpoints


def measure_floor(
    args: argparse.Namespace,
    workers: int,
    env: dict[str, str],
    slugs: dict[str, str],
    logdir: Path,
    tag: str,
) -> dict:
    """Serve the floor by the site's gunicorn line, load it, stop it.

    It runs alone, before the site starts, so the two never share the CPU.
    """
    port = int(env["PORT"])
    log(f"starting the floor project with WEB_CONCURRENCY={workers}")
    with floor_set(env, workers, logdir, args.procfile) as procs:
        wait_until_ready(procs, port, logdir, workers)
        floor_preflight(port, slugs)
        # Named "web" so its CPU lines up with the site's gunicorn in the table.
        groups = {"web": procs["floor"].pid}
        log(f"  floor: {args.warmup}s warm-up, {args.duration}s load")
        return load_endpoint(args, "floor", port, slugs, tag, groups)


def floor_preflight(port: int, slugs: dict[str, str]) -> None:
    """The floor answers "ok", and a page of the site is not found there:
    wrk measures the minimal project, not a site left running on the port."""
    status, _, body = fetch(port, "GET", "/healthz")
    if status != 200 or body != b"ok":
        sys.exit(f"The floor answered {status} {body[:80]!r} to /healthz")
    status, _, _ = fetch(port, "GET", f"/statements/{slugs['statement']}/")
    if status != 404:
        sys.exit(f"The floor answered {status} to a statement page; expected 404")


def _own_cpu_ms(result: dict) -> float:
    cpu = result["cpu_ms_per_request"]
    return sum(value for key, value in cpu.items() if key != "machine_busy")


def shares(result: dict, reference: dict, prefix: str) -> None:
    """Add the result's share of a reference's requests/s and of its CPU cost."""
    result[f"{prefix}ratio"] = round(result["rps"] / reference["rps"], 4)
    # What the ratio would be if both were CPU-bound on an idle
    # machine: less disturbed by other users than the measured one.
    result[f"{prefix}cpu_cost_ratio"] = round(
        _own_cpu_ms(reference) / max(0.001, _own_cpu_ms(result)), 4
    )


def judge(endpoints: dict[str, dict]) -> dict[str, dict]:
    """Shares of the floor ("floor_ratio") and of /healthz ("ratio"); the
    targets are judged on the floor's, the honest one, when it was measured."""
    floor = endpoints.get("floor")
    healthz = endpoints.get("baseline")
    for name, result in endpoints.items():
        if floor and floor["rps"]:
            shares(result, floor, "floor_")
        if healthz and healthz["rps"]:
            shares(result, healthz, "")
        key = "floor_ratio" if "floor_ratio" in result else "ratio"
        if key not in result:
            continue
        against = "the floor" if key == "floor_ratio" else "/healthz"
        if name == "sign":
            result["target"] = (
                f">= {SIGN_MIN_RATIO:.0%} of {against}, p99 < {SIGN_MAX_P99_MS:.0f} ms"
            )
            result["pass"] = (
                result[key] >= SIGN_MIN_RATIO
                and result["p99_ms"] < SIGN_MAX_P99_MS
                and result["errors"] == 0
                and result["db"]["lost"] == 0
            )
        if name in ("statement", "statement_fr"):
            result["target"] = f">= {STATEMENT_MIN_RATIO:.0%} of {against}"
            result["pass"] = (
                result[key] >= STATEMENT_MIN_RATIO and result["errors"] == 0
            )
    return endpoints


# --- Report --------------------------------------------------------------


def print_table(run: dict) -> None:
    print()
    print(
        f"WEB_CONCURRENCY={run['web_concurrency']}  "
        f"(load average before: {run['loadavg_before'][0]:.2f}; 'others' is the "
        "share of the machine other processes took during the load)"
    )
    header = (
        f"{'endpoint':<20}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'vs floor':>10}{'vs healthz':>11}{'others':>8}  target"
    )
    print(header)
    print("-" * (len(header) + 40))
    for result in run["endpoints"].values():
        verdict = ""
        if "pass" in result:
            verdict = f"{result['target']}: {'PASS' if result['pass'] else 'FAIL'}"
        print(
            f"{result['label']:<20}{result['rps']:>9.1f}{result['p50_ms']:>9.1f}"
            f"{result['p99_ms']:>9.1f}{result['errors']:>8}"
            f"{_percent(result, 'floor_ratio'):>10}{_percent(result, 'ratio'):>11}"
            f"{result['others_share']:>8.0%}  {verdict}"
        )
    for result in run["endpoints"].values():
        if "weight" in result:
            weight = result["weight"]
            print(
                f"{result['label']}: {weight['bytes'] / 1024:.1f} KB transferred "
                f"with {len(weight['parts']) - 1} linked files; {weight['target']}: "
                f"{'PASS' if weight['pass'] else 'FAIL'}"
            )
    sign = run["endpoints"].get("sign")
    if sign:
        db, emails = sign["db"], sign["emails"]
        print(
            f"signing: {db['acknowledged']} acknowledged (302), "
            f"{db['signature_rows']} rows in PostgreSQL, {db['lost']} lost; "
            f"statuses {sign['statuses']}"
        )
        after = emails["all_delivered_after_s"]
        print(
            f"confirmation emails (warm-up included): {emails['delivered_by_load_end']}"
            f" by the end of the load, {emails['delivered']}"
            f"/{emails['expected_incl_warmup']} within {emails['drain_window_s']} s"
            + (f" (all {after} s after)" if after is not None else " (NOT ALL)")
            + f", {emails['duplicates']} sent twice; outbox {emails['outbox_states']}"
        )
    print(
        "CPU ms per request, and the ratios to the floor and to /healthz that "
        "CPU cost implies:"
    )
    shown = ["web", "worker", "postgres", "redis", "bench+wrk", "machine_busy"]
    for result in run["endpoints"].values():
        cpu = result["cpu_ms_per_request"]
        print(
            f"  {result['label']:<20}"
            + ", ".join(f"{key} {cpu[key]}" for key in shown if key in cpu)
            + f"  -> floor {_percent(result, 'floor_cpu_cost_ratio')}"
            + f", healthz {_percent(result, 'cpu_cost_ratio')}"
        )


def _percent(result: dict, key: str) -> str:
    return f"{result[key]:.1%}" if key in result else "-"


def main() -> None:
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: sys.exit("terminated; the set is stopped"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    run_id = "b" + secrets.token_hex(3)
    logdir = RESULTS / "logs"
    logdir.mkdir(exist_ok=True)
    setup_log = logdir / "setup.log"
    setup_log.write_text("")
    worker_counts = [int(n) for n in args.workers.split(",")]
    started = datetime.datetime.now(datetime.UTC)
    with smtp_sink() as (sink, smtp_port), tempfile.TemporaryDirectory() as tmp:
        log(f"fresh database {args.database}, Redis {args.redis}")
        database_url = reset_database(args.postgres, args.database)
        redis.Redis.from_url(args.redis).flushdb()
        env = production_env(
            database_url=database_url,
            redis_url=args.redis,
            smtp_port=smtp_port,
            web_port=free_port(),
            tmp=Path(tmp),
        )
        env.update(item.split("=", 1) for item in args.env)
        log("migrate, collectstatic, seed")
        manage(env, "migrate", "--no-input", logfile=setup_log)
        manage(env, "collectstatic", "--no-input", "-v0", logfile=setup_log)
        slugs = seed(env, setup_log)
        runs = []
        for workers in worker_counts:
            run = run_set(args, workers, env, sink, slugs, logdir, run_id)
            print_table(run)
            runs.append(run)
        postgres = pg_settings(database_url)
    best = max(runs, key=lambda run: run["endpoints"].get("sign", {}).get("rps", 0))
    report = {
        "started_at": started.isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "cpus": os.cpu_count(),
        "wrk": {
            "threads": args.threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
        },
        "worker_concurrency": env.get("WORKER_CONCURRENCY", "Procfile default"),
        "extra_env": args.env,
        "procfile": str(args.procfile),
        "web_command": procfile(args.procfile)["web"],
        "floor_command": floor_command(procfile(args.procfile)["web"]),
        "postgres_settings": postgres,
        "runs": runs,
        "best_web_concurrency": best["web_concurrency"],
    }
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    if len(runs) > 1:
        print(f"\nBest for signing: WEB_CONCURRENCY={best['web_concurrency']}")
    print(f"\nWrote {RESULTS / 'latest.json'}; logs in {logdir}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        # The context managers have stopped every process by now.
        sys.exit("interrupted; the set is stopped")
