"""Shared by every anchor worker: read cases, time each engine, write predictions as JSON.

A worker runs inside its anchor's own virtualenv (bench/.venvs/NAME), so it may import only the
standard library and its anchor. Usage: python WORKER.py CASES.json OUT.json SECONDS
"""

from __future__ import annotations

import json
import sys
import time
from typing import Callable

TYPICAL = """INSERT INTO mart.daily_revenue
WITH paid AS (
  SELECT user_id, amount FROM raw.payments WHERE status = 'paid{i}'
)
SELECT p.user_id, SUM(p.amount) FROM paid p JOIN raw.users u ON u.id = p.user_id
GROUP BY p.user_id"""

Analyzer = Callable[[str, str], "tuple[list[str], list[str]]"]


def throughput(analyze: Analyzer, seconds: float) -> float:
    """Statements per second on the typical CTE + INSERT, a literal varied per call so nothing can memoize."""
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        analyze(TYPICAL.format(i=n), "postgres")
        n += 1
    return n / (time.perf_counter() - start)


def run(analyze: Analyzer) -> None:
    cases_path, out_path, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    cases = json.load(open(cases_path))
    predictions = {}
    start = time.perf_counter()
    for case in cases:
        try:
            reads, writes = analyze(case["sql"], case["dialect"])
            predictions[case["id"]] = {"reads": sorted(set(reads)), "writes": sorted(set(writes)), "crashed": False}
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # an anchor's crash (a Rust panic is a BaseException) scores as an empty prediction
            predictions[case["id"]] = {"reads": [], "writes": [], "crashed": True, "error": f"{type(e).__name__}: {e}"[:300]}
    corpus_seconds = time.perf_counter() - start
    statements = sum(max(1, c["sql"].count(";")) for c in cases)
    result = {"predictions": predictions, "corpus_statements_per_second": statements / corpus_seconds,
              "typical_statements_per_second": throughput(analyze, seconds) if seconds > 0 else None}
    json.dump(result, open(out_path, "w"))
