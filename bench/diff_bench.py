"""Diff benchmark: ``overlay diff`` of one changed file in a 1,000-file DAG repository.

    python bench/diff_bench.py [--files 1000] [--tasks-per-file 10]

Generates a DAG folder (bench/gen_dags.py) in a fresh git repository, commits it, changes one DAG file
(a column added to one task's SQL), and times ``overlay diff`` in a fresh process: cold (empty cache:
both sides scanned), then warm (the cache a previous diff or CI run left), which is the figure the target
is about. Prints the times (wall, and CPU: user + system of the diff and its scan workers, which a loaded
machine changes least), how many files each side read again, and the report's counts.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from gen_dags import generate  # noqa: E402

TARGET_WARM_S = 3.0


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.email=bench@example.com", "-c", "user.name=bench", *args],
                   check=True, capture_output=True, timeout=600)


def run_diff(repo: Path, cache: Path) -> tuple[float, float, dict]:
    """Wall seconds, CPU seconds (user + system, the diff and its scan workers: what a loaded machine changes least)
    and the JSON report of one ``overlay diff`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "overlay.cli.main", "diff", "main", "--dags", "dags", "--format", "json",
                          "--cache-dir", str(cache)], cwd=repo, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if out.returncode != 0:
        raise SystemExit(f"diff failed: {out.stderr[-2000:]}")
    return seconds, cpu, json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--tasks-per-file", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        generate(repo / "dags", files=args.files, tasks_per_file=args.tasks_per_file)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "base")
        changed = sorted((repo / "dags").rglob("*.py"))[len(list((repo / "dags").rglob("*.py"))) // 2]
        text = changed.read_text()
        changed.write_text(text.replace("SELECT ", "SELECT 1 AS bench_marker, ", 1))
        cache = Path(tmp) / "cache"
        cold, cold_cpu, _ = run_diff(repo, cache)
        warm, warm_cpu, report = run_diff(repo, cache)
        print(f"repository: {args.files} DAG files, {report['head']['tasks']} tasks; changed {changed.relative_to(repo)}")
        print(f"cold (empty cache):  {cold:6.2f} s   cpu {cold_cpu:6.2f} s")
        print(f"warm (cached):       {warm:6.2f} s   cpu {warm_cpu:6.2f} s   target <= {TARGET_WARM_S:.1f} s   "
              f"{'OK' if warm <= TARGET_WARM_S else 'MISSED'}")
        print(f"files read again, warm: base {report['base']['files'] - report['base']['reused']}, "
              f"head {report['head']['files'] - report['head']['reused']} of {report['head']['files']}")
        print(f"report: {len(report['tasks'])} task(s) changed, {len(report['blast_radius'])} asset(s) in the blast radius, "
              f"{len(report['affected_dags'])} DAG(s) affected; diff's own timing {report['seconds']:.2f} s")


if __name__ == "__main__":
    main()
