"""API benchmark: a 50,000-asset catalog served by `overlay serve`, queried from a second process.

    python bench/api_bench.py [--assets 50000] [--requests 400]

Builds the catalog with a synthetic scan, starts the server on a free loopback port, then sends a
bounded number of lineage (depth 3) and search requests and reports p50/p95/p99 latencies.
"""

from __future__ import annotations

import argparse
import os
import random
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

TARGETS_MS = {"lineage depth 3": 50.0, "search": 100.0}
MAX_SECONDS = 120  # wall-clock bound for the whole request phase


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(session: requests.Session, urls: list[str], deadline: float) -> list[float]:
    times = []
    for url in urls:
        if time.monotonic() > deadline:
            break
        start = time.perf_counter()
        response = session.get(url, timeout=10)
        times.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    tasks_per_file = 20
    files = max(1, args.assets // tasks_per_file)
    with tempfile.TemporaryDirectory() as tmp:
        folder, db = Path(tmp) / "dags", f"sqlite:///{Path(tmp) / 'catalog.db'}"
        generate(folder, files, tasks_per_file)
        env = {**os.environ, "PYTHONPATH": str(BENCH.parent)}
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "overlay.cli.main", "scan", str(folder), "--mode", "static", "--db", db, "--json"],
                       check=True, capture_output=True, env=env)
        print(f"catalog of ~{files * tasks_per_file} assets built in {time.perf_counter() - start:.1f}s")
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "overlay.cli.main", "serve", "--port", str(port), "--db", db],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            session = requests.Session()
            for _ in range(200):
                try:
                    total = session.get(f"{base}/api/v1/assets?limit=1", timeout=2).json()["total"]
                    break
                except requests.RequestException:
                    time.sleep(0.1)
            else:
                raise SystemExit(f"server did not start: {server.stderr.read().decode()[-1000:] if server.stderr else ''}")
            rng = random.Random(1)
            keys = [f"warehouse:dw.{SCHEMAS[(f + t) % len(SCHEMAS)]}.t_{f:05d}_{t:02d}"
                    for f, t in ((rng.randrange(files), rng.randrange(tasks_per_file)) for _ in range(args.requests))]
            words = [f"t_{rng.randrange(files):05d}" for _ in range(args.requests)] + ["mart", "finance", "orders", "t_00"]
            deadline = time.monotonic() + MAX_SECONDS
            measure(session, [f"{base}/api/v1/assets/{keys[0]}/lineage?depth=3"] * 10, deadline)  # warm-up
            results = {
                "lineage depth 3": measure(session, [f"{base}/api/v1/assets/{k}/lineage?depth=3&direction=both" for k in keys], deadline),
                "search": measure(session, [f"{base}/api/v1/assets?search={w}&limit=50" for w in words[: args.requests]], deadline),
            }
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"assets in catalog: {total}")
    print(f"\n{'request':<18} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'target p95':>11}")
    for name, times in results.items():
        p95 = percentile(times, 95)
        print(f"{name:<18} {len(times):>6} {statistics.median(times):>8.1f} {p95:>8.1f} {percentile(times, 99):>8.1f} "
              f"{TARGETS_MS[name]:>8.0f} ms  {'PASS' if p95 <= TARGETS_MS[name] else 'FAIL'}")


if __name__ == "__main__":
    main()
