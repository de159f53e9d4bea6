"""Scale benchmark: many sources stored into one PostgreSQL catalog by concurrent scanners, then the API over it.

    python bench/scale_bench.py [--sources 20] [--tasks 100000] [--assets 120000] [--scanners 4] [--requests 300]

Scan results are generated (bench/synthetic.py), not parsed from DAG files: each source has
tasks/sources tasks, each task writes its own table and reads one of (assets - tasks) raw tables all
sources share, plus, now and then, another source's output. ``--scanners`` processes store the sources
concurrently into a throwaway database on the local PostgreSQL (``OVERLAY_BENCH_PG``, default
postgresql://postgres@127.0.0.1:5432/postgres). Prints the store time per source, the wall time, the
API's lineage (depth 3) and search p50/p95 over real HTTP (``overlay serve``), and the database size.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import requests

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))
from api_bench import free_port, percentile  # noqa: E402 - one definition for the API benchmarks
from synthetic import source_name, synthetic_result, written  # noqa: E402

ADMIN = os.environ.get("OVERLAY_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TARGETS_MS = {"lineage depth 3": 50.0, "search": 100.0}


def measure(session: requests.Session, urls: list[str], deadline: float) -> list[float]:
    """Milliseconds per request, in order, until the wall-clock deadline."""
    times = []
    for url in urls:
        if time.monotonic() > deadline:
            break
        start = time.perf_counter()
        response = session.get(url, timeout=30)
        times.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return times


def store_one(url: str, index: int, dags: int, tasks_per_dag: int, shared: int, sources: int) -> tuple[str, float, float, int]:
    from overlay.catalog import Catalog

    result = synthetic_result(index, dags=dags, tasks_per_dag=tasks_per_dag, shared=shared, sources=sources)
    catalog = Catalog.open(url)
    started = time.perf_counter()
    summary = catalog.store_scan(result, mode="static", source=source_name(index))
    seconds = time.perf_counter() - started
    catalog.close()
    return source_name(index), seconds, time.time(), summary.tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--assets", type=int, default=120_000)
    parser.add_argument("--scanners", type=int, default=4)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="Keep the database (its URL is printed).")
    args = parser.parse_args()
    tasks_per_dag = 5
    dags = max(1, args.tasks // args.sources // tasks_per_dag)
    shared = max(1, args.assets - args.sources * dags * tasks_per_dag)

    import psycopg

    name = f"overlay_scale_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = "postgresql+psycopg://" + ADMIN.split("://", 1)[1].rsplit("/", 1)[0] + f"/{name}"
    try:
        from overlay.catalog import Catalog

        Catalog.open(url).close()  # migrated once before the scanners race
        print(f"{args.sources} sources x {dags * tasks_per_dag} tasks, {shared} shared raw tables, {args.scanners} concurrent scanners")
        wall = time.perf_counter()
        with ProcessPoolExecutor(args.scanners) as pool:
            futures = [pool.submit(store_one, url, i, dags, tasks_per_dag, shared, args.sources) for i in range(args.sources)]
            stored = [f.result() for f in futures]
        wall = time.perf_counter() - wall
        times = [s[1] for s in stored]
        print(f"store per source: min {min(times):.1f}s  median {statistics.median(times):.1f}s  max {max(times):.1f}s  "
              f"(each {dags * tasks_per_dag} tasks); all {args.sources} sources in {wall:.1f}s wall")
        with psycopg.connect(ADMIN.rsplit("/", 1)[0] + f"/{name}", autocommit=True) as conn:
            conn.execute("ANALYZE")  # fresh statistics, as autovacuum gives a catalog that has been running a while
            tasks, assets, io = (conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("tasks", "assets", "task_io"))
            size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
        print(f"catalog: {tasks} tasks, {assets} assets, {io} task reads/writes; database size {size}")

        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(BENCH.parent)}
        server = subprocess.Popen([sys.executable, "-m", "overlay.cli.main", "serve", "--port", str(port), "--db", url],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            session = requests.Session()
            for _ in range(300):
                try:
                    session.get(f"{base}/api/v1/assets?limit=1", timeout=2).raise_for_status()
                    break
                except requests.RequestException:
                    time.sleep(0.1)
            else:
                raise SystemExit("server did not start")
            rng = random.Random(1)
            keys = [written(rng.randrange(args.sources), rng.randrange(dags), rng.randrange(tasks_per_dag)) for _ in range(args.requests)]
            words = [f"d{rng.randrange(dags)}_t" for _ in range(args.requests)]
            measure(session, [f"{base}/api/v1/assets/{keys[0]}/lineage?depth=3"] * 10, time.monotonic() + 60)  # warm-up
            results = {  # each kind of request gets its own time bound
                "lineage depth 3": measure(session, [f"{base}/api/v1/assets/{k}/lineage?depth=3&direction=both" for k in keys],
                                           time.monotonic() + 120),
                "search": measure(session, [f"{base}/api/v1/assets?search={w}&limit=50" for w in words], time.monotonic() + 120),
            }
        finally:
            server.terminate()
            server.wait(timeout=10)
        print(f"\n{'request':<18} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'target p95':>11}")
        for label, values in results.items():
            if not values:
                print(f"{label:<18}      0 requests within the time bound")
                continue
            p95 = percentile(values, 95)
            print(f"{label:<18} {len(values):>6} {statistics.median(values):>8.1f} {p95:>8.1f} {TARGETS_MS[label]:>8.0f} ms  "
                  f"{'PASS' if p95 <= TARGETS_MS[label] else 'FAIL'}")
    finally:
        if args.keep:
            print(f"kept {url}")
        else:
            with psycopg.connect(ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
