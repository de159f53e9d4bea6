"""Replay hostile inputs against overlay, each in its own bounded process (issue 10).

    python bench/robustness.py                 # every case module in bench/robustness_cases/
    python bench/robustness.py --only sql      # one category
    python bench/robustness.py --list          # what would run

Every ``bench/robustness_cases/*.py`` (names starting with ``_`` are helpers) defines
``cases()`` yielding ``(category, name, fn)``; ``fn()`` runs overlay on one hostile input and
returns None when overlay behaved, or a string saying what went wrong. Each case runs in a fresh
subprocess with a wall-clock limit and an address-space limit (``RLIMIT_AS``), and is classified:

- ``crash``: the process died from a signal or exited without reporting (segfault, abort, exit);
- ``hang``: it did not finish within the time limit (the process group is killed);
- ``failure``: ``fn`` returned a message, raised, or ran out of memory under the limit;
- ``ok``: ``fn`` returned None.

Prints a table per category and a final line
``robustness: N tried, C crashes, H hangs, F failures``; exits 1 on any bad outcome.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DEFAULT_CASES = BENCH / "robustness_cases"
CATEGORIES = ("static", "paths", "jinja", "sql", "ingest", "tagging", "api", "catalog")
OUTCOMES = ("ok", "crash", "hang", "failure")


@dataclass
class Case:
    module: Path
    index: int
    category: str
    name: str


@dataclass
class Outcome:
    case: Case
    kind: str  # one of OUTCOMES
    detail: str
    seconds: float


# ---- loading ---------------------------------------------------------------------------------

def case_modules(cases_dir: Path) -> list[Path]:
    return sorted(p for p in cases_dir.glob("*.py") if not p.name.startswith("_"))


def load_module(path: Path) -> ModuleType:
    for entry in (str(ROOT), str(path.parent.parent)):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    spec = importlib.util.spec_from_file_location(f"robustness_case_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def list_cases(path: Path) -> list[tuple[int, str, str]]:
    """(index, category, name) of every case a module yields."""
    return [(i, str(category), str(name)) for i, (category, name, _fn) in enumerate(load_module(path).cases())]


def collect(cases_dir: Path, only: str | None, timeout: float) -> tuple[list[Case], list[Outcome]]:
    """Cases to run, plus failures of modules that cannot even be listed (listed in a subprocess too)."""
    cases: list[Case] = []
    broken: list[Outcome] = []
    for path in case_modules(cases_dir):
        start = time.monotonic()
        kind, detail, payload = _run_child(["--list-module", str(path)], timeout)
        if kind != "ok":
            broken.append(Outcome(Case(path, -1, path.stem, f"<listing {path.name}>"), kind, detail,
                                  time.monotonic() - start))
            continue
        for index, category, name in payload:
            if only is None or category == only:
                cases.append(Case(path, index, category, name))
    return cases, broken


# ---- the child -------------------------------------------------------------------------------

def child_main(args: argparse.Namespace) -> None:
    """In the subprocess: list a module, or run one case and write its result to --result."""
    result_path = Path(args.result)
    if args.list_module:
        _write(result_path, {"kind": "ok", "payload": list_cases(Path(args.list_module))})
        return
    module = load_module(Path(args.run_module))
    for index, (category, name, fn) in enumerate(module.cases()):
        if index == args.index:
            break
    else:
        _write(result_path, {"kind": "failure", "detail": f"no case number {args.index}"})
        return
    if args.memory_mb:
        limit = args.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        message = fn()
    except MemoryError:
        message = f"MemoryError: over the {args.memory_mb} MiB memory limit"
    except BaseException as e:  # noqa: BLE001 - anything the case raises is a failure, reported
        message = f"raised {type(e).__name__}: {str(e)[:300]}\n{traceback.format_exc(limit=-3)}"
    if message is None:
        _write(result_path, {"kind": "ok"})
    else:
        _write(result_path, {"kind": "failure", "detail": str(message)})


def _write(path: Path, data: dict) -> None:
    try:
        path.write_text(json.dumps(data))
    except MemoryError:  # a case that left memory full: say so in as few bytes as possible
        path.write_text('{"kind": "failure", "detail": "MemoryError while reporting"}')


# ---- the parent ------------------------------------------------------------------------------

def _run_child(extra: list[str], timeout: float, memory_mb: int = 0) -> tuple[str, str, object]:
    fd, result = tempfile.mkstemp(prefix="overlay-robustness-", suffix=".json")
    os.close(fd)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--result", result,
               "--memory-mb", str(memory_mb), *extra]
    try:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            _out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return "hang", f"no result after {timeout:g} s (killed)", None
        text = Path(result).read_text() if os.path.getsize(result) else ""
    finally:
        if os.path.exists(result):
            os.unlink(result)
    stderr_tail = err.decode("utf-8", "replace").strip()[-400:]
    if proc.returncode < 0:
        name = signal.Signals(-proc.returncode).name
        return "crash", f"killed by {name} (exit {128 - proc.returncode}) {stderr_tail}".strip(), None
    if not text:
        return "crash", f"exit {proc.returncode} without a result {stderr_tail}".strip(), None
    data = json.loads(text)
    return data["kind"], data.get("detail", ""), data.get("payload")


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the group is the child's own session
    except ProcessLookupError:
        pass
    proc.wait()


def run_case(case: Case, timeout: float, memory_mb: int) -> Outcome:
    start = time.monotonic()
    kind, detail, _ = _run_child(["--run-module", str(case.module), "--index", str(case.index)], timeout, memory_mb)
    return Outcome(case, kind, detail, time.monotonic() - start)


def report(outcomes: list[Outcome], out=sys.stdout) -> int:
    """Print the tables and the final line; the number of bad outcomes."""
    categories = [c for c in CATEGORIES if any(o.case.category == c for o in outcomes)]
    categories += sorted({o.case.category for o in outcomes} - set(categories))
    header = f"{'category':<10} {'tried':>6} {'ok':>6} {'crashes':>8} {'hangs':>6} {'failures':>9} {'seconds':>8}"
    print(header, file=out)
    print("-" * len(header), file=out)
    for category in categories:
        rows = [o for o in outcomes if o.case.category == category]
        counts = {k: sum(o.kind == k for o in rows) for k in OUTCOMES}
        seconds = sum(o.seconds for o in rows)
        print(f"{category:<10} {len(rows):>6} {counts['ok']:>6} {counts['crash']:>8} {counts['hang']:>6} "
              f"{counts['failure']:>9} {seconds:>8.1f}", file=out)
    bad = [o for o in outcomes if o.kind != "ok"]
    if bad:
        print("\nnot ok:", file=out)
        for o in bad:
            first = o.detail.strip().splitlines()[0] if o.detail.strip() else ""
            print(f"  [{o.kind}] {o.case.category}: {o.case.name} ({o.case.module.name}, {o.seconds:.1f} s): "
                  f"{first[:300]}", file=out)
    crashes = sum(o.kind == "crash" for o in outcomes)
    hangs = sum(o.kind == "hang" for o in outcomes)
    failures = sum(o.kind == "failure" for o in outcomes)
    print(f"\nrobustness: {len(outcomes)} tried, {crashes} crashes, {hangs} hangs, {failures} failures", file=out)
    return len(bad)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", metavar="CATEGORY", help="run one category: " + ", ".join(CATEGORIES))
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per case (default 60)")
    parser.add_argument("--memory-mb", type=int, default=2048, help="address-space limit per case (default 2048)")
    parser.add_argument("--jobs", type=int, default=2, help="cases run at once (default 2)")
    parser.add_argument("--cases-dir", type=Path, default=DEFAULT_CASES, help=argparse.SUPPRESS)
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    # the child side
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--list-module", help=argparse.SUPPRESS)
    parser.add_argument("--run-module", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(args)
        return 0

    cases, broken = collect(args.cases_dir, args.only, args.timeout)
    if args.list:
        for case in cases:
            print(f"{case.category:<10} {case.module.name:<16} {case.name}")
        for o in broken:
            print(f"[{o.kind}] {o.case.name}: {o.detail}")
        return 1 if broken else 0
    if not cases and not broken:
        print(f"no cases{' in category ' + args.only if args.only else ''} under {args.cases_dir}")
        return 1
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(lambda c: run_case(c, args.timeout, args.memory_mb), cases))
    return 1 if report(broken + outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
