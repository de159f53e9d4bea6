"""Hostile YAML DAG sources (gusty folders, dag-factory specs): bounded work, nothing read outside, the scan goes on.

Each case writes a small repository with a good gusty DAG and the hostile source, scans it statically in
this process, and fails when the scan raised, lost the good DAG, stayed silent about the hostile source,
or opened a file outside the repository. The runner adds the time and memory limits.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from robustness_cases._opens import record_opens

SECRET = "SELECT * FROM secret_schema.secret_table"
GOOD_TASK = "operator: airflow.providers.common.sql.operators.sql.SQLExecuteQueryOperator\nsql: INSERT INTO a.b SELECT 1\n"
BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n"
    for i in range(1, 9))


def check(files: dict[str, str], expect_error: str | None = None, symlinks: dict[str, str] | None = None) -> str | None:
    from overlay.scan import scan_folders

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name).resolve()
        (tmp / "outside").mkdir()
        (tmp / "outside" / "secret.yml").write_text(f"operator: x.SQLExecuteQueryOperator\nsql: {SECRET}\n")
        (tmp / "outside" / "METADATA.yml").write_text("default_args: {owner: secret-owner}\n")
        repo = tmp / "repo"
        (repo / ".git").mkdir(parents=True)
        dags = repo / "dags"
        (dags / "good").mkdir(parents=True)
        (dags / "good" / "METADATA.yml").write_text("schedule_interval: '@daily'\n")
        (dags / "good" / "t.yml").write_text(GOOD_TASK)
        for rel, text in files.items():
            (dags / rel).parent.mkdir(parents=True, exist_ok=True)
            (dags / rel).write_text(text)
        for rel, target in (symlinks or {}).items():
            (dags / rel).parent.mkdir(parents=True, exist_ok=True)
            (dags / rel).symlink_to(tmp / target)
        opened = record_opens(str(tmp / "outside"))
        try:
            result = scan_folders([str(dags)], mode="static")
        except BaseException as e:  # noqa: BLE001 - what the case measures
            return f"the scan raised {type(e).__name__}: {str(e)[:200]}"
        if "good" not in {d.dag_id for d in result.dags}:
            return "the good gusty DAG beside the hostile source was lost"
        if opened:
            return f"opened a file outside the repository: {opened[0]}"
        text = repr(result.to_dict())
        if "secret_table" in text or "secret-owner" in text:
            return "a file outside the repository reached the scan result"
        if expect_error and not any(expect_error in e.error for e in result.errors):
            return f"no error saying {expect_error!r}; errors: {[e.error[:80] for e in result.errors][:5]}"
    return None


def _case(*args, **kwargs) -> Callable[[], str | None]:  # noqa: ANN002, ANN003
    return lambda: check(*args, **kwargs)


def cases() -> Iterator[tuple[str, str, Callable[[], str | None]]]:
    yield ("static", "dag-factory spec: YAML alias bomb (10^9 nodes)",
           _case({"spec.yml": BOMB + "d:\n  default_args: {owner: *a8}\n  tasks:\n    - {task_id: t, operator: a.B}\n"}, "expands past"))
    yield ("static", "gusty METADATA.yml: YAML alias bomb in default_args",
           _case({"bomb/METADATA.yml": BOMB + "default_args: {x: *a8}\n", "bomb/t.yml": GOOD_TASK}, "expands past"))
    yield ("static", "gusty task file: YAML alias bomb", _case({"bomb/METADATA.yml": "{}\n", "bomb/t.yml": BOMB + "operator: a.B\nsql: *a8\n"},
                                                              "expands past"))
    yield ("static", "dag-factory spec nested 50,000 levels deep",
           _case({"deep.yml": "d:\n  tasks:\n" + "[" * 50_000 + "]" * 50_000 + "\n"}, "dag-factory"))
    yield ("static", "gusty task file nested 50,000 levels deep",
           _case({"deep/METADATA.yml": "{}\n", "deep/t.yml": "[" * 50_000 + "]" * 50_000 + "\n"}, "gusty"))
    yield ("static", "gusty task file symlinked to a file outside the repository",
           _case({"linked/METADATA.yml": "{}\n"}, None, {"linked/secret.yml": "outside/secret.yml"}))
    yield ("static", "gusty METADATA.yml symlinked outside the repository",
           _case({"linked/t.yml": GOOD_TASK}, None, {"linked/METADATA.yml": "outside/METADATA.yml"}))
    yield ("static", "gusty task file of 3 MB", _case({"big/METADATA.yml": "{}\n", "big/t.yml": GOOD_TASK + "# " + "x" * 3_000_000 + "\n"},
                                                       "cannot be read"))
    yield ("static", "dag-factory spec of binary bytes with a tasks line",
           _case({"bin.yml": "d:\n  tasks:\n\x00\x01\x02\xff- [\n"}, "dag-factory"))
    yield ("static", "dag-factory: a group that is its own parent",
           _case({"cyc.yml": "d:\n  task_groups:\n    - {group_name: g, parent_group_name: g}\n  tasks:\n"
                              "    - {task_id: t, operator: a.B, task_group_name: g}\n"}, "cycle"))
