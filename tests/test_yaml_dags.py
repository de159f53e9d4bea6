"""DAGs that are not Python files: gusty folders and dag-factory specs read as DAG sources (never executed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from overlay.config import load_settings
from overlay.discover import discover_yaml_sources
from overlay.discover.yaml_dags import READERS
from overlay.scan import scan_folders

FIXTURES = Path(__file__).parent / "fixtures" / "yaml_dags"


def _scan(folder: Path, cache: dict | None = None):  # noqa: ANN202
    return scan_folders([str(folder)], mode="static", settings=load_settings(str(folder / "overlay.yaml")), cache=cache)


def _tasks(result) -> dict:  # noqa: ANN001
    return {f"{t.dag_id}.{t.task_id}": t for t in result.tasks}


def test_readers_are_registered_as_data() -> None:
    assert [r.name for r in READERS] == ["gusty", "dag-factory"]
    assert all(callable(r.find) and callable(r.read) and r.suffixes for r in READERS)


def test_gusty_folders_become_dags_with_group_ids_dependencies_and_sql() -> None:
    result = _scan(FIXTURES / "gusty")
    dags = {d.dag_id: d for d in result.dags}
    assert set(dags) == {"warehouse", "ingest"}
    warehouse = dags["warehouse"]
    assert (warehouse.schedule, warehouse.owners, warehouse.tags) == ("0 6 * * *", ["finance-data"], ["finance", "orders"])
    assert warehouse.default_args["retry_delay"] == "!timedelta minutes: 5"  # application tags are kept as text, not run
    tasks = _tasks(result)
    a = "warehouse:analytics."
    assert (tasks["warehouse.staging.stg_orders"].reads, tasks["warehouse.staging.stg_orders"].writes) == ([a + "raw.orders"], [a + "staging.orders"])
    revenue = tasks["warehouse.daily_revenue"]
    assert sorted(revenue.reads) == [a + "staging.customers", a + "staging.orders"] and revenue.writes == [a + "mart.daily_revenue"]
    assert revenue.upstream == ["staging.stg_customers", "staging.stg_orders"]  # `dependencies: [staging]` names the group
    assert tasks["warehouse.check_counts"].upstream == ["staging.stg_orders"]  # .py front matter in comments
    assert tasks["warehouse.revenue_report"].upstream == ["daily_revenue", "wait_for_load_budgets"]
    assert tasks["warehouse.staging.stg_customers"].upstream == ["wait_for_DAG_ingest"]  # the DAG's external dependency on roots
    assert tasks["warehouse.notify"].upstream == ["check_counts", "daily_revenue", "revenue_report", "staging.stg_customers",
                                                  "staging.stg_orders", "wait_for_DAG_ingest"]  # leaf_tasks: after every other task
    assert tasks["warehouse.notify"].operator == "PythonOperator" and tasks["warehouse.notify"].status == "no_data"
    assert tasks["ingest.load_orders"].upstream == ["latest_only"] and "ingest.latest_only" in tasks
    sql_task = tasks["warehouse.staging.stg_orders"]
    assert sql_task.file.endswith("staging/stg_orders.sql") and sql_task.line == 5  # the body's first line


def test_gusty_problems_are_reported_with_file_and_line_and_the_rest_goes_on() -> None:
    result = _scan(FIXTURES / "gusty")
    errors = {(Path(e.file).name, e.line): e.error for e in result.errors}
    broken = errors[("broken.yml", 3)]
    assert broken.startswith("gusty: task spec is not valid YAML") and "\n" not in broken
    assert "'no_such_task', which is not a task or group" in errors[("revenue_report.sql", 1)]
    assert "warehouse.broken" not in _tasks(result)


def test_dag_factory_specs_become_dags_with_defaults_groups_and_mapping() -> None:
    result = _scan(FIXTURES / "dag_factory")
    dags = {d.dag_id: d for d in result.dags}
    assert set(dags) == {"orders_etl", "orders_report"}
    assert (dags["orders_etl"].owners, dags["orders_etl"].schedule, dags["orders_etl"].tags) == (["data-eng"], "@daily", ["orders"])
    assert (dags["orders_report"].owners, dags["orders_report"].schedule) == (["finance"], "0 7 * * *")
    assert dags["orders_etl"].default_args == {"owner": "data-eng", "conn_id": "warehouse", "retries": 2}
    tasks = _tasks(result)
    a = "warehouse:analytics."
    assert set(tasks) == {"orders_etl.staging.stage_orders", "orders_etl.staging.checks.count_orders", "orders_etl.build_mart",
                          "orders_etl.refresh_partitions", "orders_etl.orphan", "orders_report.report", "orders_report.publish"}
    assert tasks["orders_etl.staging.stage_orders"].writes == [a + "staging.orders"]
    assert tasks["orders_etl.staging.checks.count_orders"].upstream == ["staging.stage_orders"]
    mart = tasks["orders_etl.build_mart"]
    assert (mart.reads, mart.writes, mart.upstream) == ([a + "staging.orders"], [a + "mart.orders_daily"],
                                                         ["staging.checks.count_orders", "staging.stage_orders"])
    assert tasks["orders_etl.refresh_partitions"].writes == [a + "mart.orders_daily"]  # `partial` arguments are the task's
    assert tasks["orders_report.report"].reads == [a + "mart.orders_daily"]
    assert tasks["orders_report.publish"].operator == "@task" and tasks["orders_report.publish"].upstream == ["report"]
    assert tasks["orders_etl.build_mart"].line == 22


def test_dag_factory_problems_are_reported_and_other_yaml_is_left_alone() -> None:
    result = _scan(FIXTURES / "dag_factory")
    errors = [(Path(e.file).name, e.line, e.error) for e in result.errors]
    assert any(name == "broken.yml" and line and msg.startswith("dag-factory: not valid YAML") for name, line, msg in errors)
    assert any("'missing_task', which is not a task or group" in msg for _, _, msg in errors)
    assert not any("not_a_dag" in name for name, _, _ in errors)
    assert "not_a_dag.yml" not in {Path(f.path).name for f in result.files}


def test_unchanged_yaml_sources_are_reused_and_a_changed_task_file_is_read_again(tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    shutil.copytree(FIXTURES / "gusty", folder)
    first = _scan(folder)
    cache = {f.path: {**f.payload, "digest": f.payload_digest} for f in first.files}
    second = _scan(folder, cache)
    modes = {Path(f.path).parent.name + "/" + Path(f.path).name: f.mode for f in second.files}
    assert modes["warehouse/METADATA.yml"] == "cached" and modes["ingest/METADATA.yml"] == "cached"
    (folder / "warehouse" / "staging" / "stg_orders.sql").write_text(
        "---\noperator: airflow.providers.common.sql.operators.sql.SQLExecuteQueryOperator\n---\nINSERT INTO staging.orders2 SELECT * FROM raw.orders\n")
    third = _scan(folder, cache)
    modes = {Path(f.path).parent.name + "/" + Path(f.path).name: f.mode for f in third.files}
    assert modes["warehouse/METADATA.yml"] == "static" and modes["ingest/METADATA.yml"] == "cached"
    assert _tasks(third)["warehouse.staging.stg_orders"].writes == ["warehouse:analytics.staging.orders2"]


def test_dags_the_python_loader_already_defined_are_not_read_twice() -> None:
    found = discover_yaml_sources(FIXTURES / "gusty", {}, {"warehouse"})
    assert sorted(d.dag_id for r in found for d in r.dags) == ["ingest"]


@pytest.mark.parametrize("text", ["operator: [unclosed", "---\n- a\n- b\n", "\x00\x01 binary"])
def test_a_hostile_gusty_task_file_is_an_error_not_a_crash(tmp_path: Path, text: str) -> None:
    dag = tmp_path / "d"
    dag.mkdir()
    (dag / "METADATA.yml").write_text("schedule_interval: '@daily'\n")
    (dag / "t.yml").write_text(text)
    result = scan_folders([str(tmp_path)], mode="static")
    assert [d.dag_id for d in result.dags] == ["d"] and not result.tasks
    assert any(Path(e.file).name == "t.yml" for e in result.errors)


def test_a_dag_id_defined_again_in_another_spec_keeps_the_first_and_stores(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from overlay.catalog import Catalog
    from overlay.pipeline import build_catalog

    folder = FIXTURES / "dag_factory"
    result = _scan(folder)
    assert [t.reads for t in result.tasks if t.dag_id == "orders_report" and t.task_id == "report"] == [["warehouse:analytics.mart.orders_daily"]]
    assert any("'orders_report' is already defined" in e.error and e.file.endswith("orders_again.yml") for e in result.errors)
    catalog = Catalog.open(f"sqlite:///{tmp_path}/c.db")
    outcome = build_catalog(catalog, [str(folder)], "static", load_settings(str(folder / "overlay.yaml")), datetime.now(timezone.utc))
    assert outcome.summary.tasks == 7


BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9))


def test_a_yaml_alias_bomb_is_an_error_within_bounds(tmp_path: Path) -> None:
    (tmp_path / "spec.yml").write_text(BOMB + "d:\n  default_args: {owner: *a8}\n  tasks:\n    - {task_id: t, operator: a.B}\n")
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "METADATA.yml").write_text(BOMB + "default_args: {x: *a8}\n")
    (tmp_path / "g" / "t.yml").write_text("operator: a.B\n")
    result = scan_folders([str(tmp_path)], mode="static")
    assert not result.dags
    assert sorted(Path(e.file).name for e in result.errors if "expands past 50,000 nodes" in e.error) == ["METADATA.yml", "spec.yml"]


def test_yaml_files_linked_from_outside_the_repository_are_never_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "METADATA.yml").write_text("default_args: {owner: secret-owner}\n")
    (outside / "t.yml").write_text("operator: a.SQLExecuteQueryOperator\nsql: SELECT * FROM secret.table\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    dag = repo / "dags" / "linked"
    dag.mkdir(parents=True)
    (dag / "METADATA.yml").symlink_to(outside / "METADATA.yml")
    (dag / "t.yml").symlink_to(outside / "t.yml")
    (dag / "own.yml").write_text("operator: airflow.operators.empty.EmptyOperator\n")
    result = scan_folders([str(repo / "dags")], mode="static")
    assert [(d.dag_id, d.owners, [t.task_id for t in d.tasks]) for d in result.dags] == [("linked", [], ["own"])]
