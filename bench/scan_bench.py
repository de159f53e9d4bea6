"""Scan benchmark: full static scan (all cores and one process), full import scan, unchanged rescan, peak memory.

    python bench/scan_bench.py [--files 1000] [--tasks-per-file 10] [--skip-import] [--workers N]

Generates a synthetic DAG folder (bench/gen_dags.py), then runs ``overlay scan`` in a fresh
process for each measurement, timing wall clock and sampling the peak RSS of the scan and its worker processes together.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from gen_dags import generate  # noqa: E402

TARGETS = {"static_s": 6.0, "rescan_s": 1.5, "peak_mib": 1024.0}  # issue 9: 1,000 files / 10,000 SQL tasks on 2 cores


def run_scan(folder: Path, db: str, mode: str, env: dict[str, str], workers: int | None = None) -> dict:
    if workers is not None:
        env = {**env, "OVERLAY_SCAN_WORKERS": str(workers)}
    cpu_before = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "overlay.cli.main", "scan", str(folder), "--mode", mode, "--db", db, "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = [0]
    sampler = threading.Thread(target=_sample_tree_rss, args=(proc, peak), daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate(timeout=3600)
    seconds = time.perf_counter() - start
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"scan failed: {stderr[-2000:]}")
    summary = json.loads(stdout)
    return {"seconds": seconds, "cpu_s": _children_cpu() - cpu_before, "peak_mib": peak[0] / 1024 / 1024, "tasks": summary["tasks"], "assets": summary["assets"],
            "edges": summary["edges"], "reused_files": summary["reused_files"], "files": summary["files"],
            "statuses": summary["status"], "errors": len(summary["errors"])}


def _children_cpu() -> float:
    """User + system CPU seconds of finished children (the scan and, through it, its workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _sample_tree_rss(proc: subprocess.Popen, peak: list[int]) -> None:
    """Peak of the summed RSS of the scan and its worker processes (Linux /proc), sampled every 20 ms."""
    page = os.sysconf("SC_PAGE_SIZE")
    while proc.poll() is None:
        total = 0
        for pid in _tree(proc.pid):
            try:
                with open(f"/proc/{pid}/statm") as f:
                    total += int(f.read().split()[1]) * page
            except (OSError, ValueError, IndexError):
                pass
        peak[0] = max(peak[0], total)
        time.sleep(0.02)


def _tree(root: int) -> list[int]:
    pids, stack = [], [root]
    while stack:
        pid = stack.pop()
        pids.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return pids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--tasks-per-file", type=int, default=10)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--workers", type=int, default=None, help="scan processes (default: the machine's cores)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "dags"
        generate(folder, args.files, args.tasks_per_file)
        env = {**os.environ, "AIRFLOW_HOME": str(Path(tmp) / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
               "PYTHONPATH": str(BENCH.parent)}
        print(f"synthetic folder: {args.files} files, {args.files * args.tasks_per_file} SQL tasks")
        rows = []
        static_db = f"sqlite:///{Path(tmp) / 'static.db'}"
        workers = args.workers or os.cpu_count() or 1
        rows.append((f"full scan, static, {workers} proc", run_scan(folder, static_db, "static", env, workers)))
        rows.append(("rescan, nothing changed", run_scan(folder, static_db, "static", env, workers)))
        rows.append(("full scan, static, 1 proc", run_scan(folder, f"sqlite:///{Path(tmp) / 'serial.db'}", "static", env, 1)))
        if not args.skip_import:
            rows.append(("full scan, import (DagBag)", run_scan(folder, f"sqlite:///{Path(tmp) / 'import.db'}", "auto", env)))
    print(f"\n{'measurement':<28} {'seconds':>8} {'cpu s':>7} {'peak MiB':>9} {'tasks':>7} {'assets':>7} {'edges':>7} {'reused':>7}")
    for label, r in rows:
        print(f"{label:<28} {r['seconds']:>8.2f} {r['cpu_s']:>7.2f} {r['peak_mib']:>9.0f} {r['tasks']:>7} {r['assets']:>7} {r['edges']:>7} {r['reused_files']:>7}")
    static, rescan, serial = rows[0][1], rows[1][1], rows[2][1]
    print(f"\nspeed-up of {rows[0][0].rsplit(', ', 1)[1]} over 1 proc: {serial['seconds'] / static['seconds']:.2f}x "
          f"(os.cpu_count() = {os.cpu_count()}; figures depend on what else the machine runs)")
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
