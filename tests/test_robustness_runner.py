"""bench/robustness.py classifies each case from its own bounded subprocess (so it cannot rot)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "bench" / "robustness.py"

CASES = textwrap.dedent(
    """
    import ctypes, os, signal, time

    def _segfault():
        os.kill(os.getpid(), signal.SIGSEGV)

    def _blow_up():
        b"x" * (3 * 1024 ** 3)

    def cases():
        yield ("sql", "behaves", lambda: None)
        yield ("sql", "says what went wrong", lambda: "statement changed")
        yield ("sql", "raises", lambda: 1 / 0)
        yield ("ingest", "segfaults", _segfault)
        yield ("ingest", "exits", lambda: os._exit(3))
        yield ("ingest", "hangs", lambda: time.sleep(60))
        yield ("ingest", "blows up", _blow_up)
    """
)


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    cases = tmp_path / "cases"
    cases.mkdir(exist_ok=True)
    (cases / "trivial.py").write_text(CASES)
    (cases / "_helper.py").write_text("raise SystemExit('helpers are not case modules')\n")
    return subprocess.run(
        [sys.executable, str(RUNNER), "--cases-dir", str(cases), "--timeout", "3", "--memory-mb", "1024", *args],
        capture_output=True, text=True, timeout=60,
    )


def test_runner_classifies_every_outcome(tmp_path):
    proc = _run(tmp_path)
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert out.strip().splitlines()[-1] == "robustness: 7 tried, 2 crashes, 1 hangs, 3 failures"
    rows = {line.split()[0]: line.split()[1:6] for line in out.splitlines() if line.startswith(("sql ", "ingest "))}
    assert rows["sql"] == ["3", "1", "0", "0", "2"]
    assert rows["ingest"] == ["4", "0", "2", "1", "1"]
    assert "[crash] ingest: segfaults" in out and "SIGSEGV" in out
    assert "[hang] ingest: hangs" in out
    assert "[failure] ingest: blows up" in out and "MemoryError" in out
    assert "[failure] sql: says what went wrong" in out and "statement changed" in out
    assert "ZeroDivisionError" in out


def test_runner_only_one_category_all_ok_exits_zero(tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "fine.py").write_text("def cases():\n    yield ('sql', 'fine', lambda: None)\n"
                                   "    yield ('api', 'broken', lambda: 'bad')\n")
    proc = subprocess.run([sys.executable, str(RUNNER), "--cases-dir", str(cases), "--only", "sql"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "robustness: 1 tried, 0 crashes, 0 hangs, 0 failures"
