"""Patterns met in public DAG repositories (issue 9), each reproduced by a fixture folder written for overlay."""

from __future__ import annotations

from pathlib import Path

import pytest

from overlay.scan import scan_folders

FIXTURES = Path(__file__).parent / "fixtures" / "real_patterns"


def _tasks(name: str, mode: str = "static") -> dict[str, object]:
    result = scan_folders([str(FIXTURES / name / "dags")], mode=mode, workers=1)
    return {t.task_id: t for t in result.tasks}


GROUP_DEFAULTS = {
    "checks.columns": "lake:shop.apples",  # the group's default_args
    "checks.inner.rows": "lake:shop.pears",  # a nested group inherits its parent's
    "checks.other.rows": "archive:shop.plums",  # a nested group's own default_args win
    "checks.explicit": "named:shop.figs",  # an explicit argument wins over any default
    "checks.own_defaults": "own:shop.kiwis",  # the task's own default_args win over the group's
    "decorated.rows": "archive:shop.limes",  # @task_group(default_args=...)
    "outside": "dag_conn:shop.dates",  # outside any group: the DAG's
}


@pytest.mark.parametrize("mode", ["static", "import"])
def test_task_group_default_args_reach_their_tasks(mode: str) -> None:
    tasks = _tasks("group_defaults", mode)
    assert {tid: t.reads for tid, t in tasks.items()} == {tid: [key] for tid, key in GROUP_DEFAULTS.items()}
