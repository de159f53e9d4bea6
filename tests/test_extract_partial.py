"""Values known in part (issue 9 §5): one runtime value keeps the known keys of a dict usable."""

from __future__ import annotations

from pathlib import Path

from overlay.config import Settings
from overlay.scan import scan_folders

FOLDER = Path(__file__).parent / "fixtures" / "extract" / "partial"


def test_known_keys_of_params_and_configuration_are_kept() -> None:
    result = scan_folders([str(FOLDER)], mode="static", settings=Settings())
    tasks = {t.task_id: t for t in result.tasks}
    assert tasks["load"].status == "resolved" and tasks["load"].writes == ["wh:mart.orders"], tasks["load"].errors
    assert tasks["load"].reads == ["wh:raw.orders"]
    leak = tasks["leak"]
    assert leak.writes == [] and any("param `bucket`" in e for e in leak.errors), leak.errors
    assert tasks["job"].status == "resolved" and tasks["job"].writes == ["bigquery:p.d.t"]
    unknown = tasks["job_unknown_query"]
    assert unknown.status == "unresolved" and any("`configuration.query.query` is not known statically" in e for e in unknown.errors)


def test_task_params_merge_over_default_args_and_dag_params() -> None:
    from overlay.extract import ExtractContext, extract_task
    from overlay.model import DagSpec, TaskSpec

    dag = DagSpec("p", str(FOLDER / "partial.py"), params={"schema": "dag_schema", "table": "dag_table"},
                  default_args={"params": {"schema": "default_schema", "table": "default_table"}})
    task = TaskSpec("p", "t", "PostgresOperator", dag.file, 1, args={"sql": "sql/load.sql", "params": {"table": "orders"}})
    access = extract_task(task, dag, ExtractContext())
    assert access.sql[0].sql.strip() == "INSERT INTO default_schema.orders SELECT * FROM raw.orders"
