"""API benchmark: a 50,000-asset catalog served by `overlay serve`, hit by 8 concurrent clients over HTTP.

    python bench/api_bench.py [--assets 50000] [--clients 8] [--requests 200] [--workers N] [--catalog FILE]

Builds the catalog with a synthetic scan (or copies ``--catalog``, a SQLite file an earlier run kept
with ``--keep``), starts ``overlay serve`` on a free loopback port, then runs each kind of request
from ``--clients`` separate processes at once (each its own HTTP connection) and prints p50/p95/p99
latencies per kind, the server's CPU time per request (all its worker processes; a figure that does not
depend on how busy the machine is), its resident memory after a warm-up round and at the end, and PASS/FAIL
against the targets. ``--workers`` is passed to ``overlay serve`` (default: its own, the machine's cores).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from gen_dags import SCHEMAS, generate  # noqa: E402

TASKS_PER_FILE = 20
TARGETS_MS = {"search": 100.0, "owner filter": 100.0, "lineage depth 3": 100.0, "dags page": 100.0, "graph page": 250.0}
MAX_SECONDS = 120  # wall-clock bound for each kind of request
MAX_RSS_GROWTH_MB = 50.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def process_tree(pid: int) -> list[int]:
    """The server and its worker processes (``overlay serve --workers``), by parent pid."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    tree, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def rss_mb(pid: int) -> float:
    total = 0.0
    for member in process_tree(pid):
        try:
            lines = Path(f"/proc/{member}/status").read_text().splitlines()
        except OSError:
            continue
        total += sum(int(line.split()[1]) / 1024 for line in lines if line.startswith("VmRSS:"))
    return total


def client(job: tuple[list[str], float]) -> tuple[list[float], list[str]]:
    """One client process: its own connection, its share of the URLs, stopping at the deadline."""
    urls, deadline = job
    session, times, failures = requests.Session(), [], []
    for url in urls:
        if time.time() > deadline:
            break
        start = time.perf_counter()
        try:
            status = session.get(url, timeout=60).status_code
        except requests.RequestException as e:
            status = type(e).__name__
        times.append((time.perf_counter() - start) * 1000)
        if status != 200:
            failures.append(f"{status} {url}")
    return times, failures


def run_concurrently(pool, urls: list[str], clients: int) -> tuple[list[float], list[str]]:  # noqa: ANN001
    deadline = time.time() + MAX_SECONDS
    shares = [(urls[i::clients], deadline) for i in range(clients)]
    times, failures = [], []
    for t, f in pool.map(client, shares):
        times += t
        failures += f
    return times, failures


def request_urls(base: str, files: int, count: int, rng: random.Random) -> dict[str, list[str]]:
    def key() -> str:
        f, t = rng.randrange(files), rng.randrange(TASKS_PER_FILE)
        return f"warehouse:dw.{SCHEMAS[(f + t) % len(SCHEMAS)]}.t_{f:05d}_{t:02d}"

    words = ["mart", "finance", "orders", "t_00", "T_000"] + [f"t_{rng.randrange(files):05d}" for _ in range(count)]
    return {
        "search": [f"{base}/api/v1/assets?search={w}&limit=50" for w in words[:count]],
        "owner filter": [f"{base}/api/v1/assets?owner=team-{rng.randrange(12)}&limit=50" for _ in range(count)],
        "lineage depth 3": [f"{base}/api/v1/assets/{key()}/lineage?depth=3&direction=both" for _ in range(count)],
        "dags page": [f"{base}/api/v1/dags?limit=100&offset={rng.randrange(files)}" for _ in range(count)],
        "graph page": [f"{base}/api/v1/graph?limit=200&offset={rng.randrange(files * TASKS_PER_FILE)}" for _ in range(count // 4)],
    }


def build_catalog(folder: Path, db: str, files: int, env: dict[str, str]) -> None:
    generate(folder, files, TASKS_PER_FILE)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "overlay.cli.main", "scan", str(folder), "--mode", "static", "--db", db, "--json"],
                   check=True, capture_output=True, env=env)
    print(f"catalog of ~{files * TASKS_PER_FILE} assets built in {time.perf_counter() - start:.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200, help="requests per kind, shared by the clients")
    parser.add_argument("--rounds", type=int, default=2, help="measured rounds (memory must settle: the last adds little)")
    parser.add_argument("--workers", type=int, help="server processes (overlay serve --workers; default: its own)")
    parser.add_argument("--catalog", type=Path, help="start from a copy of this SQLite catalog instead of scanning")
    parser.add_argument("--keep", type=Path, help="copy the catalog here afterwards (for --catalog next time)")
    args = parser.parse_args()
    files = max(1, args.assets // TASKS_PER_FILE)
    env = {**os.environ, "PYTHONPATH": str(BENCH.parent)}
    env.pop("OVERLAY_API_TOKEN", None)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "catalog.db"
        db = f"sqlite:///{path}"
        if args.catalog:
            shutil.copy(args.catalog, path)
        else:
            build_catalog(Path(tmp) / "dags", db, files, env)
            if args.keep:
                shutil.copy(path, args.keep)
        port = free_port()
        workers = ["--workers", str(args.workers)] if args.workers else []
        server = subprocess.Popen([sys.executable, "-m", "overlay.cli.main", "serve", "--port", str(port), "--db", db, *workers],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    total = requests.get(f"{base}/api/v1/assets?limit=1", timeout=5).json()["total"]
                    break
                except requests.RequestException:
                    time.sleep(0.1)
            else:
                raise SystemExit(f"server did not start: {server.stderr.read().decode()[-1000:] if server.stderr else ''}")
            urls = request_urls(base, files, args.requests, random.Random(1))
            results = {}
            with multiprocessing.get_context("spawn").Pool(args.clients) as pool:
                for kind_urls in urls.values():  # warm-up: every kind once per client (pooled connections, caches)
                    run_concurrently(pool, kind_urls[-args.clients:], args.clients)
                rss = [rss_mb(server.pid)]
                for _ in range(args.rounds):  # the figures are the last round's; RSS after each round shows whether it settles
                    for name, kind_urls in urls.items():
                        cpu = cpu_seconds(server.pid)
                        results[name] = (*run_concurrently(pool, kind_urls, args.clients), cpu_seconds(server.pid) - cpu)
                    rss.append(rss_mb(server.pid))
            process_tree_at_end = process_tree(server.pid)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:  # still busy with slow requests
                server.kill()
                server.wait(timeout=10)
    print(f"assets in catalog: {total}; {args.clients} concurrent client processes; server workers: {args.workers or 'default'} "
          f"({len(process_tree_at_end)} server processes); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"\n{'request':<16} {'count':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'cpu ms/req':>10} {'target p95':>11}")
    ok = True
    for name, (times, failures, cpu) in results.items():
        if not times:
            print(f"{name:<16} no request finished within {MAX_SECONDS}s  FAIL")
            ok = False
            continue
        p95 = percentile(times, 95)
        passed = p95 <= TARGETS_MS[name] and not failures
        ok &= passed
        print(f"{name:<16} {len(times):>6} {len(failures):>6} {statistics.median(times):>8.1f} {p95:>8.1f} {percentile(times, 99):>8.1f} "
              f"{cpu * 1000 / len(times):>10.1f} {TARGETS_MS[name]:>8.0f} ms  {'PASS' if passed else 'FAIL'}")
        for failure in failures[:3]:
            print(f"    {failure}")
    growth = rss[-1] - rss[-2]
    limit = MAX_RSS_GROWTH_MB * (args.workers or os.cpu_count() or 1)  # per worker: each warms its own caches
    ok &= growth <= limit
    print(f"\nserver RSS (every process) after warm-up and after each round: {' -> '.join(f'{r:.0f}' for r in rss)} MB "
          f"(last round {growth:+.0f} MB, limit +{limit:.0f})  {'PASS' if growth <= limit else 'FAIL'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
