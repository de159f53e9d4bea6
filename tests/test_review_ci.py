"""The CI examples in docs/ci/ run as written: their overlay commands, on a git repository with a remote."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, SAMPLE_DAGS
from test_review import git

EXAMPLES = {
    "github-actions.yml": {"${{ github.base_ref }}": "main"},
    "gitlab-ci.yml": {"$CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"},
}


def overlay_commands(name: str) -> list[str]:
    doc = yaml.safe_load((ROOT / "docs" / "ci" / name).read_text())
    if name.startswith("github"):
        lines = [step["run"] for job in doc["jobs"].values() for step in job["steps"] if "run" in step]
    else:
        lines = [line for job in doc.values() if isinstance(job, dict) for line in job.get("script", [])]
    commands = [line for line in lines if line.startswith("overlay ")]
    for placeholder, value in EXAMPLES[name].items():
        commands = [c.replace(placeholder, value) for c in commands]
    return commands


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """A clone whose origin has main, checked out on a branch that drops the producer of growth.lead_scores."""
    origin = tmp_path / "origin.git"
    work = tmp_path / "work"
    shutil.copytree(SAMPLE_DAGS, work / "dags")
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "base")
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(origin)], check=True, timeout=60)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True, timeout=60)
    git(clone, "checkout", "-qb", "feature")
    lead = clone / "dags/growth/lead_scoring.py"
    lead.write_text(lead.read_text().replace("growth.lead_scores", "growth.lead_scores_v2"))
    git(clone, "commit", "-qam", "lead scores v2")
    return clone


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_ci_example_commands_run_as_written(example: str, pull_request: Path, tmp_path: Path) -> None:
    commands = overlay_commands(example)
    assert len(commands) == 3, commands  # the comment, the gate, the lint
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "OVERLAY_CACHE_DIR": str(tmp_path / ".overlay-cache")}
    runs = [subprocess.run(["bash", "-c", c], cwd=pull_request, env=env, capture_output=True, text=True, timeout=300) for c in commands]
    comment, gate, lint = runs
    assert comment.returncode == 0, comment.stderr
    body = (pull_request / "overlay-diff.md").read_text()
    assert body.startswith("### overlay") and "left without a producer" in body
    assert gate.returncode == 1 and "failing on broken-consumer" in gate.stderr
    assert lint.returncode == 0, lint.stderr
    assert json.loads((pull_request / "overlay-lint.sarif").read_text())["version"] == "2.1.0"
