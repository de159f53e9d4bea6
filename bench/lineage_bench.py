"""Lineage benchmark: accuracy and throughput of overlay and the anchors, side by side, in one run.

    python bench/lineage_bench.py            # full run (creates the anchors' virtualenvs on first use)
    python bench/lineage_bench.py --quick    # shorter throughput timing
    python bench/lineage_bench.py --no-anchors

Each engine runs as a subprocess worker (bench/anchors/*_worker.py) in its own virtualenv
(bench/.venvs/NAME), so anchors never share a sqlglot version with overlay. Results are printed
and saved to bench/out/lineage_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from scoring import Score, score

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
ANCHORS = {"sqllineage": "sqllineage", "openlineage-sql": "openlineage-sql", "datahub": "acryl-datahub[sql-parser]"}
WORKERS = {"overlay": "overlay_worker.py", "sqllineage": "sqllineage_worker.py", "openlineage-sql": "openlineage_worker.py",
           "datahub": "datahub_worker.py"}
VENV_NAMES = {"sqllineage": "sqllineage", "openlineage-sql": "openlineage", "datahub": "datahub"}
TARGETS = {"exact": 0.90, "f1": 0.95, "typical_sps": 2500}


def anchor_python(name: str) -> Path | None:
    venv = BENCH / ".venvs" / VENV_NAMES[name]
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"  creating {venv} and installing {ANCHORS[name]} (first run only)...", flush=True)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(python), "-m", "pip", "install", "-q", ANCHORS[name]], check=True, timeout=1800)
        except (subprocess.SubprocessError, OSError) as e:
            print(f"  cannot install {name}: {e}; skipping it")
            return None
    return python


def run_worker(name: str, python: Path, cases_file: Path, seconds: float) -> dict | None:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        out_path = Path(out.name)
    env = {**os.environ, "PYTHONPATH": str(BENCH / "anchors")}
    command = ["taskset", "-c", "0", str(python), str(BENCH / "anchors" / WORKERS[name]), str(cases_file), str(out_path), str(seconds)]
    if not _has_taskset():
        command = command[3:]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=3600)
    if result.returncode != 0:
        print(f"  {name} failed: {result.stderr.strip()[-500:]}")
        return None
    data = json.loads(out_path.read_text())
    out_path.unlink()
    return data


def _has_taskset() -> bool:
    return subprocess.run(["which", "taskset"], capture_output=True).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "sqllineage_table_cases.json")
    parser.add_argument("--quick", action="store_true", help="1 s of throughput timing per engine instead of 3 s")
    parser.add_argument("--no-anchors", action="store_true")
    args = parser.parse_args()
    if not args.corpus.is_file():
        sys.exit(f"corpus not found at {args.corpus} (pass --corpus PATH)")
    suites = {"corpus": json.loads(args.corpus.read_text()), "overlay cases": json.loads((BENCH / "cases" / "overlay_cases.json").read_text())}
    disagreements = json.loads((BENCH / "cases" / "disagreements.json").read_text())
    skip = {d["id"] for d in disagreements}
    seconds = 1.0 if args.quick else 3.0

    engines = {"overlay": Path(sys.executable)}
    if not args.no_anchors:
        for name in ANCHORS:
            python = anchor_python(name)
            if python is not None:
                engines[name] = python

    results: dict[str, dict] = {}
    for name, python in engines.items():
        print(f"running {name}...", flush=True)
        entry: dict = {}
        for suite, cases in suites.items():
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
                json.dump(cases, f)
            data = run_worker(name, python, Path(f.name), seconds if suite == "corpus" else 0)
            os.unlink(f.name)
            if data is None:
                break
            raw, failing = score(cases, data["predictions"])
            entry[suite] = {"score": raw, "failing": failing, "data": data}
            if suite == "corpus":
                entry["corpus_excluding_disagreements"] = score(cases, data["predictions"], skip)[0]
        if entry:
            results[name] = entry

    _print_table(results)
    _print_overlay_details(results, suites, disagreements)
    _save(results)


def _row(name: str, s: Score, data: dict | None) -> str:
    typical = data.get("typical_statements_per_second") if data else None
    corpus = data.get("corpus_statements_per_second") if data else None
    return (f"{name:<16} {s.exact_rate:>6.3f} {s.reads.f1:>8.3f} {s.writes.f1:>9.3f} {s.overall.f1:>9.3f} "
            f"{(f'{typical:,.0f}' if typical else '-'):>12} {(f'{corpus:,.0f}' if corpus else '-'):>11} {s.crashes:>7}")


def _print_table(results: dict[str, dict]) -> None:
    header = f"{'engine':<16} {'exact':>6} {'F1 reads':>8} {'F1 writes':>9} {'F1 all':>9} {'stmts/s typ':>12} {'stmts/s cor':>11} {'crashes':>7}"
    for suite in ("corpus", "overlay cases"):
        print(f"\n== {suite} ==")
        print(header)
        for name, entry in results.items():
            if suite in entry:
                print(_row(name, entry[suite]["score"], entry[suite]["data"] if suite == "corpus" else None))
    overlay = results.get("overlay")
    if overlay:
        s = overlay["corpus"]["score"]
        typical = overlay["corpus"]["data"]["typical_statements_per_second"]
        excl = overlay["corpus_excluding_disagreements"]
        print("\n== targets (overlay, public corpus) ==")
        for label, value, target in (("exact match", s.exact_rate, TARGETS["exact"]), ("F1 overall", s.overall.f1, TARGETS["f1"]),
                                     ("typical stmts/s, one core", typical, TARGETS["typical_sps"])):
            print(f"  {label:<28} {value:>10.3f}  target >= {target:<6}  {'PASS' if value >= target else 'FAIL'}")
        print(f"  excluding the deliberate disagreements below: exact {excl.exact_rate:.3f} ({excl.exact}/{excl.cases}), "
              f"F1 {excl.overall.f1:.3f} (reads {excl.reads.f1:.3f}, writes {excl.writes.f1:.3f})")


def _print_overlay_details(results: dict[str, dict], suites: dict[str, list], disagreements: list[dict]) -> None:
    overlay = results.get("overlay")
    if not overlay:
        return
    print(f"\n== deliberate disagreements with the corpus ({len(disagreements)} cases) ==")
    for d in disagreements:
        print(f"  {d['id']}: {d['reason']}")
    skip = {d["id"] for d in disagreements}
    remaining = [f for f in overlay["corpus"]["failing"] if f not in skip]
    print(f"\n== other corpus cases overlay does not match ({len(remaining)}) ==")
    cases = {c["id"]: c for c in suites["corpus"]}
    for case_id in remaining:
        got = overlay["corpus"]["data"]["predictions"][case_id]
        print(f"  {case_id}: expected R={cases[case_id]['reads']} W={cases[case_id]['writes']}; got R={got['reads']} W={got['writes']}")


def _save(results: dict[str, dict]) -> None:
    out = BENCH / "out"
    out.mkdir(exist_ok=True)
    summary = {}
    for name, entry in results.items():
        summary[name] = {}
        for suite in ("corpus", "overlay cases", "corpus_excluding_disagreements"):
            if suite not in entry:
                continue
            s = entry[suite]["score"] if suite != "corpus_excluding_disagreements" else entry[suite]
            summary[name][suite] = {"exact": s.exact_rate, "f1_reads": s.reads.f1, "f1_writes": s.writes.f1, "f1": s.overall.f1,
                                    "precision": s.overall.precision, "recall": s.overall.recall, "crashes": s.crashes}
            if suite == "corpus":
                summary[name][suite].update({k: entry[suite]["data"][k] for k in ("typical_statements_per_second", "corpus_statements_per_second")})
                summary[name][suite]["failing"] = entry[suite]["failing"]
    (out / "lineage_results.json").write_text(json.dumps(summary, indent=2))
    print(f"\nsaved {out / 'lineage_results.json'}")


if __name__ == "__main__":
    main()
