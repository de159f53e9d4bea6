"""Real repositories: what a static scan of a checkout finds, and how right it is on hand labels.

    python bench/real_repos.py CHECKOUT [--labels bench/cases/real_repos/NAME.json] [--config overlay.yaml] [--dags SUBDIR]

Scans the checkout's DAG folder (``--dags``, else the labels' ``dags``, else ``dags/`` when there is
one, else the checkout) in static mode into a temporary catalog, and prints files, DAGs, tasks,
status counts, coverage of the tasks that touch data, the asset names that look built from a template
stand-in (a heuristic over placeholder names and the fixed stand-in date), the top reasons (count and one
file:line each) and the scan time. With ``--labels`` (hand-written truth: per ``dag_id.task_id`` the asset keys it
reads and writes) it prints the exact-task rate and task-level F1, scored like the lineage benchmark
(``bench/scoring.py``), and the labelled tasks it gets wrong. The labels' ``overlay.yaml`` (beside
the labels file, the few lines a user would write) is used unless ``--config`` says otherwise.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from scoring import score  # noqa: E402

from overlay.catalog import Catalog  # noqa: E402
from overlay.config import Settings, load_settings, parse_settings  # noqa: E402
from overlay.coverage import coverage  # noqa: E402
from overlay.pipeline import build_catalog  # noqa: E402


def dag_folders(checkout: Path, explicit: list[str] | None, labels: dict | None) -> list[Path]:
    if explicit:
        return [checkout / d for d in explicit]
    if labels and labels.get("dags"):
        return [checkout / d for d in labels["dags"]]
    return [checkout / "dags"] if (checkout / "dags").is_dir() else [checkout]


def checkout_settings(checkout: Path, config: str | None, folders: list[Path]) -> Settings:
    """The settings of ``config`` read as if it were the checkout's own overlay.yaml (at its root, where a user keeps
    it): the paths it names (``variables_file:``, ``paths:``) are the checkout's."""
    if config is None:
        return load_settings(None, [str(f) for f in folders])
    raw = yaml.safe_load(Path(config).read_text(encoding="utf-8")) or {}
    return parse_settings(raw, str(checkout / "overlay.yaml"))


def run(checkout: Path, folders: list[Path], config: str | None) -> tuple[object, float]:
    settings = checkout_settings(checkout, config, folders)
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog.open(f"sqlite:///{tmp}/catalog.db")
        started = time.perf_counter()
        outcome = build_catalog(catalog, [str(f) for f in folders], "static", settings, datetime.now(timezone.utc))
        elapsed = time.perf_counter() - started
        catalog.close()
    return outcome, elapsed


# what a name built from a template stand-in looks like (overlay/extract/templates/standins.py): a placeholder part
# (params_x, var_x, ti_xcom_pull, conn_x, macros_x, dag_run_x, undefined; runtime_x for a value Python code builds SQL from)
# or the fixed stand-in logical date
# run-time objects only as the attribute a template reads from them (`airflow_dag_run_v1` is a real table's name)
STANDIN = re.compile(r"(^|[.:_])(params|var|conn|macros|undefined|runtime)_|(^|[.:_])(ti|task_instance)_(xcom|task_id|dag_id|run_id|"
                     r"try_number|map_index|start_date|end_date)|(^|[.:_])dag_run_(conf|run_id|run_type|logical_date|"
                     r"data_interval|start_date|end_date|id\b)|(^|[.:])undefined($|\.)|2024[-_]?01[-_]?1[45]")


def standin_assets(outcome) -> list[str]:  # noqa: ANN001
    """Asset keys that look built from a stand-in: an unknown value that became part of a table name."""
    return sorted(a.key for a in outcome.result.assets if STANDIN.search(a.name))


def relative(path: str, checkout: Path) -> str:
    try:
        return os.path.relpath(os.path.abspath(path), checkout)
    except ValueError:
        return path


def print_scan(outcome, elapsed: float, checkout: Path) -> None:  # noqa: ANN001 - ScanOutcome
    result = outcome.result
    cov = coverage(result.tasks)
    print(f"checkout   {checkout}")
    print(f"folders    {', '.join(relative(f, checkout) for f in result.folders)}")
    print(f"files {len(result.files)} · DAGs {len(result.dags)} · tasks {cov.tasks} · assets {len(result.assets)} · "
          f"file errors {len(result.errors)} · scan {elapsed:.2f}s")
    print(f"status     resolved {cov.resolved} · partial {cov.partial} · unresolved {cov.unresolved} · no_data {cov.no_data}")
    share = f"{cov.resolved_share:.1%}" if cov.touching_data else "no task touches data"
    print(f"coverage   {cov.resolved}/{cov.touching_data} tasks that touch data resolved ({share})")
    suspects = standin_assets(outcome)
    print(f"stand-ins  {len(suspects)} asset names look built from a stand-in" + (f": {', '.join(suspects[:5])}" if suspects else ""))
    if cov.reasons:
        print("top reasons (tasks · reason · one example)")
        for r in cov.reasons:
            file, _, line = r.example.rpartition(":")
            print(f"  {r.count:>5} · {r.reason[:150]} · {relative(file, checkout)}:{line}")


def print_labels(outcome, labels: dict) -> dict:  # noqa: ANN001
    tasks = {f"{t.dag_id}.{t.task_id}": t for t in outcome.result.tasks}
    cases = [{"id": c["id"], "reads": c.get("reads", []), "writes": c.get("writes", [])} for c in labels["tasks"]]
    predictions = {cid: {"reads": t.reads, "writes": t.writes} for cid, t in tasks.items()}
    s, failing = score(cases, predictions)
    missing = [c["id"] for c in cases if c["id"] not in tasks]
    print(f"labels     {s.cases} tasks · exact {s.exact}/{s.cases} ({s.exact_rate:.1%}) · F1 {s.overall.f1:.3f} "
          f"(P {s.overall.precision:.3f}, R {s.overall.recall:.3f}; reads {s.reads.f1:.3f}, writes {s.writes.f1:.3f}) · "
          f"not found {len(missing)}")
    for cid in failing:
        case = next(c for c in cases if c["id"] == cid)
        got = tasks.get(cid)
        if got is None:
            print(f"  {cid}: task not found")
            continue
        wrong_reads = sorted(set(got.reads) ^ set(case["reads"]))
        wrong_writes = sorted(set(got.writes) ^ set(case["writes"]))
        print(f"  {cid} [{got.status}]: reads want {case['reads']} got {got.reads}; writes want {case['writes']} got {got.writes}"
              if len(wrong_reads) + len(wrong_writes) < 6 else f"  {cid} [{got.status}]: {len(wrong_reads)} reads, {len(wrong_writes)} writes differ")
    return {"cases": s.cases, "exact_rate": s.exact_rate, "f1": s.overall.f1, "precision": s.overall.precision,
            "recall": s.overall.recall, "not_found": len(missing)}


def main() -> None:
    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # as the CLI: parse fallbacks are overlay's to report
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkout", type=Path)
    parser.add_argument("--labels", type=Path)
    parser.add_argument("--config", help="overlay.yaml to use (default: the one beside the labels, else the usual lookup)")
    parser.add_argument("--dags", action="append", help="DAG folder inside the checkout (repeatable)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    checkout = args.checkout.resolve()
    if not checkout.is_dir():
        sys.exit(f"checkout not found: {checkout}")
    labels = json.loads(args.labels.read_text()) if args.labels else None
    config = args.config
    if config is None and args.labels:
        beside = args.labels.with_name(args.labels.stem + ".overlay.yaml")
        config = str(beside) if beside.is_file() else None
    folders = dag_folders(checkout, args.dags, labels)
    for folder in folders:
        if not folder.is_dir():
            sys.exit(f"DAG folder not found: {folder}")
    outcome, elapsed = run(checkout, folders, config)
    print_scan(outcome, elapsed, checkout)
    figures = {"coverage": coverage(outcome.result.tasks).to_dict(), "seconds": round(elapsed, 3),
               "standin_assets": standin_assets(outcome)}
    if labels:
        figures["labels"] = print_labels(outcome, labels)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
