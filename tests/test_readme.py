"""Every command the README shows runs as written: its ```bash blocks, line by line, on a copy of the repository's
sample_dags (and the files the examples name), with the catalog in a temporary folder.

A line that is not an `overlay` command, or that needs what a test cannot have (a live Airflow, the network,
a server that runs until stopped), is listed in SKIP with the reason; any other line must run, and exit
with the code EXPECTED gives it (0 unless listed).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

SKIP = {  # command prefix -> why the test does not run it
    "python3 -m venv": "installs packages from the network (CI runs it in .ci/run)",
    "overlay serve": "serves until stopped; tests/test_api.py and tests/test_cli_ux.py run the API over real HTTP",
    "overlay runs sync --airflow-url": "needs a live Airflow; tests/test_runs_sync.py runs it against `airflow api-server`",
    "overlay attribute --conn": "reads pg_stat_statements from a live warehouse connection; tests/test_attribution_postgres.py covers it",
}
EXPECTED = {  # command -> its documented exit code, when not 0
    "overlay asset orders": 1,  # ambiguous: lists the candidates
    "overlay stale": 1,  # something is late (no run history in a fresh catalog)
}
COPIED = ["sample_dags", "tests/fixtures/history", "docs"]  # what the examples name, copied into the temporary repository


def readme_commands(text: str) -> list[str]:
    """The command lines of the ```bash blocks, comments removed, in order."""
    commands = []
    for block in re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M):
        for line in block.splitlines():
            line = re.split(r"\s+#\s", line, maxsplit=1)[0].strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def skipped(command: str) -> str | None:
    return next((why for prefix, why in SKIP.items() if command.startswith(prefix)), None)


def test_the_readme_has_commands_and_every_skip_is_still_in_it() -> None:
    commands = readme_commands(README.read_text(encoding="utf-8"))
    assert len(commands) >= 15
    for prefix in SKIP:
        assert any(c.startswith(prefix) for c in commands), f"SKIP names {prefix!r}, which the README no longer shows"
    for command in EXPECTED:
        assert command in commands, f"EXPECTED names {command!r}, which the README no longer shows"


def test_no_readme_command_is_a_shell_pipe_or_list() -> None:
    for command in readme_commands(README.read_text(encoding="utf-8")):
        if skipped(command):
            continue
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        operators = [token for token in lexer if token and set(token) <= set("|&;<>()")]
        assert not operators, f"{command!r} would run as a shell {' '.join(operators)}: show one command per line"


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of what the examples read, as a git repository with one commit (for `overlay diff HEAD`)."""
    work = tmp_path_factory.mktemp("readme")
    for relative in COPIED:
        if (ROOT / relative).exists():
            shutil.copytree(ROOT / relative, work / relative)
    git = ["git", "-C", str(work), "-c", "user.name=readme", "-c", "user.email=readme@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True, capture_output=True)
    subprocess.run([*git, "add", "-A"], check=True, capture_output=True)
    subprocess.run([*git, "commit", "-q", "-m", "sample"], check=True, capture_output=True)
    return work


def test_every_readme_command_runs_as_written(repository: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("OVERLAY_DB", "OVERLAY_API_TOKEN", "COLUMNS")}
    env["OVERLAY_CACHE_DIR"] = str(repository / ".cache")
    # the examples are for a machine without Airflow; the test session has an AIRFLOW_HOME (conftest), where the
    # catalog rule would put $AIRFLOW_HOME/overlay.db: name the README's ./overlay.db explicitly
    env["OVERLAY_DB"] = "overlay.db"
    failures = []
    for command in readme_commands(README.read_text(encoding="utf-8")):
        if skipped(command):
            continue
        argv = shlex.split(command)
        assert argv[0] == "overlay", f"{command!r}: not an overlay command; add it to SKIP with the reason"
        result = subprocess.run([sys.executable, "-m", "overlay.cli.main", *argv[1:]], cwd=repository, env=env,
                                capture_output=True, text=True, timeout=600)
        expected = EXPECTED.get(command, 0)
        if result.returncode != expected or "Traceback" in result.stderr:
            failures.append(f"{command}\n  exit {result.returncode} (expected {expected})\n  {result.stderr.strip()[-1500:]}")
    assert not failures, "README commands that do not run as written:\n" + "\n".join(failures)
    assert (repository / "overlay.db").is_file()  # the catalog the examples share, in the temporary folder
