"""Scan benchmark: full static scan, full import scan, unchanged rescan and peak memory.

    python bench/scan_bench.py [--files 1000] [--tasks-per-file 10] [--skip-import]

Generates a synthetic DAG folder (bench/gen_dags.py), then runs ``overlay scan`` in a fresh
process for each measurement, timing wall clock and reading the child's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from gen_dags import generate  # noqa: E402

TARGETS = {"static_s": 15.0, "rescan_s": 2.0, "peak_mib": 1024.0}


def run_scan(folder: Path, db: str, mode: str, env: dict[str, str]) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "overlay.cli.main", "scan", str(folder), "--mode", mode, "--db", db, "--json"],
                            capture_output=True, text=True, env=env, timeout=3600)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if result.returncode != 0:
        raise SystemExit(f"scan failed: {result.stderr[-2000:]}")
    summary = json.loads(result.stdout)
    return {"seconds": seconds, "peak_mib": max(peak_kib, before) / 1024, "tasks": summary["tasks"], "assets": summary["assets"],
            "edges": summary["edges"], "reused_files": summary["reused_files"], "files": summary["files"],
            "statuses": summary["status"], "errors": len(summary["errors"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--tasks-per-file", type=int, default=10)
    parser.add_argument("--skip-import", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "dags"
        generate(folder, args.files, args.tasks_per_file)
        env = {**os.environ, "AIRFLOW_HOME": str(Path(tmp) / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
               "PYTHONPATH": str(BENCH.parent)}
        print(f"synthetic folder: {args.files} files, {args.files * args.tasks_per_file} SQL tasks")
        rows = []
        static_db = f"sqlite:///{Path(tmp) / 'static.db'}"
        rows.append(("full scan, static", run_scan(folder, static_db, "static", env)))
        rows.append(("rescan, nothing changed", run_scan(folder, static_db, "static", env)))
        if not args.skip_import:
            rows.append(("full scan, import (DagBag)", run_scan(folder, f"sqlite:///{Path(tmp) / 'import.db'}", "auto", env)))
    print(f"\n{'measurement':<28} {'seconds':>8} {'peak MiB':>9} {'tasks':>7} {'assets':>7} {'edges':>7} {'reused':>7}")
    for label, r in rows:
        print(f"{label:<28} {r['seconds']:>8.2f} {r['peak_mib']:>9.0f} {r['tasks']:>7} {r['assets']:>7} {r['edges']:>7} {r['reused_files']:>7}")
    static, rescan = rows[0][1], rows[1][1]
    peak = max(r["peak_mib"] for _, r in rows)
    print("\ntargets:")
    for label, value, target in (("static full scan (s)", static["seconds"], TARGETS["static_s"]),
                                 ("unchanged rescan (s)", rescan["seconds"], TARGETS["rescan_s"]),
                                 ("peak memory (MiB)", peak, TARGETS["peak_mib"])):
        print(f"  {label:<24} {value:>8.2f}  target <= {target:<7} {'PASS' if value <= target else 'FAIL'}")
    out = BENCH / "out"
    out.mkdir(exist_ok=True)
    (out / "scan_results.json").write_text(json.dumps({label: r for label, r in rows}, indent=2))


if __name__ == "__main__":
    main()
