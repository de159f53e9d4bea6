"""Attribution benchmark: 1,000,000 generated Snowflake query-history rows ingested and attributed.

    python bench/attribution_bench.py [--rows 1000000]

Builds the sample_dags catalog, writes a QUERY_HISTORY export whose rows are the sample DAGs'
statements with varying literals (some tagged, some not, some ad hoc), then runs
`overlay attribute` in a fresh process and reports rows/s, peak memory and coverage by method.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
TARGET_ROWS_PER_S = 20_000


def statements(db: str) -> list[tuple[str, str, str]]:
    """The rendered SQL of every scanned task, with the stand-in date made a slot for other days."""
    sys.path.insert(0, str(ROOT))
    from overlay.catalog import Catalog

    catalog = Catalog.open(db)
    found = []
    for task in catalog.tasks():
        for sql in catalog.task(task["dag_id"], task["task_id"])["sql"]:
            if sql.strip():
                found.append((task["dag_id"], task["task_id"], sql.replace("2024-01-15", "{day}")))
    catalog.close()
    return found


def write_history(path: Path, rows: int, templates: list[tuple[str, str, str]]) -> None:
    rng = random.Random(3)
    sizes = ["X-SMALL", "SMALL", "MEDIUM", "LARGE"]
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["QUERY_ID", "QUERY_TEXT", "START_TIME", "TOTAL_ELAPSED_TIME", "WAREHOUSE_SIZE", "QUERY_TAG", "CREDITS_ATTRIBUTED_COMPUTE"])
        for i in range(rows):
            day = f"2026-{rng.randint(9, 11):02d}-{rng.randint(1, 28):02d}"
            kind = rng.random()
            if kind < 0.85:
                dag_id, task_id, sql = templates[i % len(templates)]
                text = sql.replace("{day}", day)
                tag = json.dumps({"dag_id": dag_id, "task_id": task_id}) if kind < 0.45 else ""
            else:
                text = f"SELECT * FROM analytics.adhoc_{rng.randrange(200)} WHERE id = {rng.randrange(10**6)}"
                tag = ""
            out.writerow([f"01b9-{i:09d}", text, f"{day} 04:{rng.randrange(60):02d}:00.000 +0000", rng.randrange(100, 600_000),
                          rng.choice(sizes), tag, ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'catalog.db'}"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-m", "overlay.cli.main", "scan", str(ROOT / "sample_dags"), "--mode", "static", "--db", db],
                       check=True, capture_output=True, env=env)
        templates = statements(db)
        history = Path(tmp) / "query_history.csv"
        write_history(history, args.rows, templates)
        size_mb = history.stat().st_size / 2**20
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "overlay.cli.main", "attribute", str(history), "--source", "snowflake",
                                 "--db", db, "--json"], capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - start
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if result.returncode != 0:
            raise SystemExit(result.stderr[-2000:])
        summary = json.loads(result.stdout)
    rate = summary["rows"] / seconds
    print(f"{summary['rows']:,} rows ({size_mb:.0f} MiB CSV) ingested and attributed in {seconds:.1f}s: {rate:,.0f} rows/s, "
          f"peak memory {peak_mib:.0f} MiB")
    total = summary["rows"] or 1
    for method, count in summary["by_method"].items():
        print(f"  {method:<13} {count:>9,}  {count / total:6.1%}")
    print(f"target >= {TARGET_ROWS_PER_S:,} rows/s: {'PASS' if rate >= TARGET_ROWS_PER_S else 'FAIL'}")


if __name__ == "__main__":
    main()
