"""dbt commands resolved through the fixture project's manifest: selection methods, graph operators, model inputs."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from overlay.extract import ExtractContext, extract_task
from overlay.extract.dbt.manifest import DbtError, ManifestCache, resolve_dbt
from overlay.model import DagSpec, TaskSpec

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
PROJECT = FIXTURES / "dbt" / "shop"
DAG = DagSpec("d", str(FIXTURES / "dags" / "etl.py"))


def _models(arguments: str, verb: str = "run") -> list[str]:
    invocation = resolve_dbt(["dbt", verb, *arguments.split(), "--project-dir", str(PROJECT)], None)
    assert invocation is not None and invocation.dialect == "snowflake"
    return sorted(m.unique_id.split(".", 2)[2] for m in invocation.models)


@pytest.mark.parametrize(("arguments", "expected"), [
    ("--select stg_orders", ["stg_orders"]),
    ("-s stg_orders stg_customers", ["stg_customers", "stg_orders"]),
    ("-m stg_orders -m dim_customers", ["dim_customers", "stg_orders"]),
    ("--models=stg_*", ["stg_customers", "stg_orders", "stg_pageviews"]),
    ("--select staging", ["stg_customers", "stg_orders", "stg_pageviews"]),
    ("--select staging.events", ["stg_pageviews"]),
    ("--select marts.finance", ["fct_revenue"]),
    ("--select shop.marts.growth", ["dim_customers"]),
    ("--select fqn:marts.*", ["dim_customers", "fct_revenue", "rpt_exec"]),
    ("--select path:models/marts", ["dim_customers", "fct_revenue", "rpt_exec"]),
    ("--select models/staging/events", ["stg_pageviews"]),
    ("--select file:rpt_exec.sql", ["rpt_exec"]),
    ("--select tag:nightly", ["fct_revenue", "rpt_exec"]),
    ("--select config.materialized:incremental", ["dim_customers"]),
    ("--select +fct_revenue", ["fct_revenue", "stg_customers", "stg_orders"]),  # the ephemeral parent is not built
    ("--select 1+dim_customers", ["dim_customers", "stg_customers", "stg_pageviews"]),
    ("--select stg_customers+", ["dim_customers", "fct_revenue", "rpt_exec", "stg_customers"]),
    ("--select stg_customers+1", ["dim_customers", "stg_customers"]),
    ("--select @stg_pageviews", ["dim_customers", "fct_revenue", "rpt_exec", "stg_customers", "stg_orders", "stg_pageviews"]),
    ("--select source:events+", ["dim_customers", "rpt_exec", "stg_pageviews"]),
    ("--select source:raw.orders+1", ["stg_orders"]),
    ("--select marts,tag:nightly", ["fct_revenue", "rpt_exec"]),
    ("--select marts tag:staging --exclude rpt_exec stg_pageviews", ["dim_customers", "fct_revenue", "stg_customers", "stg_orders"]),
    ("--select resource_type:model,package:shop,tag:growth", ["dim_customers"]),
    ("--selector nightly", ["fct_revenue"]),
    ("--selector finance_tree", ["fct_revenue", "stg_customers", "stg_orders"]),
    ("", ["dim_customers", "fct_revenue", "rpt_exec", "stg_customers", "stg_orders", "stg_pageviews"]),
])
def test_selection_methods(arguments: str, expected: list[str]) -> None:
    assert _models(arguments) == expected


def test_verbs_choose_resource_types() -> None:
    assert _models("", "seed") == ["country_codes"]
    assert _models("", "snapshot") == ["orders_snapshot"]
    assert _models("--select +stg_customers", "build") == ["country_codes", "stg_customers"]
    assert _models("--select +stg_customers --resource-type model", "build") == ["stg_customers"]
    assert resolve_dbt(["dbt", "test", "--project-dir", str(PROJECT)], None) is None
    assert resolve_dbt(["dbt", "--log-format", "json", "docs", "generate"], None) is None


def test_each_model_writes_its_relation_and_reads_its_inputs_through_ephemeral_models() -> None:
    invocation = resolve_dbt(["dbt", "run", "-s", "fct_revenue", "dim_customers", "--project-dir", str(PROJECT)], None)
    assert {(m.unique_id, m.writes, tuple(m.reads)) for m in invocation.models} == {
        ("model.shop.fct_revenue", "analytics.marts.fct_revenue", ("analytics.staging.stg_orders", "analytics.staging.stg_customers")),
        ("model.shop.dim_customers", "analytics.marts.dim_customers",
         ("analytics.staging.stg_customers", "analytics.staging.stg_pageviews")),
    }


def test_bash_dbt_task_groups_each_models_inputs() -> None:
    task = TaskSpec("d", "t", "BashOperator", DAG.file, 5, args={"bash_command": "dbt run --select stg_customers --target prod",
                                                               "cwd": str(PROJECT)})
    access = extract_task(task, DAG, ExtractContext())
    assert [(d.table, d.mode, d.origin, d.dialect, d.group) for d in access.direct] == [
        ("analytics.staging.stg_customers", "write", "dbt:model.shop.stg_customers", "snowflake", "model.shop.stg_customers"),
        ("analytics.raw.customers", "read", "dbt:model.shop.stg_customers", "snowflake", "model.shop.stg_customers"),
        ("analytics.seeds.country_codes", "read", "dbt:model.shop.stg_customers", "snowflake", "model.shop.stg_customers"),
    ]
    assert access.files == [str(PROJECT / "target" / "manifest.json")]


@pytest.mark.parametrize("command", [
    f"cd {PROJECT} && dbt run -s dim_customers",
    "dbt run -s dim_customers --project-dir ../dbt/shop",  # relative to the DAG file's folder
    f"DBT_PROJECT_DIR={PROJECT} dbt run -s dim_customers",
    f"source /venv/bin/activate && uv run dbt run --project-dir={PROJECT} -s dim_customers",
])
def test_project_folder_from_cd_relative_paths_and_environment(command: str) -> None:
    task = TaskSpec("d", "t", "BashOperator", DAG.file, 5, args={"bash_command": command})
    access = extract_task(task, DAG, ExtractContext())
    assert [d.table for d in access.direct if d.mode == "write"] == ["analytics.marts.dim_customers"] and not access.unresolved


@pytest.mark.parametrize(("command", "reason"), [
    ("dbt run --project-dir /nowhere/shop", "dbt manifest not found at /nowhere/shop/target/manifest.json"),
    (f"dbt run -s no_such_model --project-dir {PROJECT}", "dbt selection `run -s no_such_model --project-dir"),
    (f"dbt run -s state:modified+ --project-dir {PROJECT}", "dbt selector method state: needs run artifacts"),
    (f"dbt run --selector missing --project-dir {PROJECT}", "dbt selector 'missing' is not defined"),
    (f"dbt run-operation grant_all --project-dir {PROJECT}", "dbt run-operation runs a macro"),
    ("dbt run -s x", "dbt run without --project-dir and no known working folder"),
])
def test_dbt_problems_are_unresolved(command: str, reason: str) -> None:
    task = TaskSpec("d", "t", "BashOperator", DAG.file, 5, args={"bash_command": command})
    access = extract_task(task, DAG, ExtractContext())
    assert access.direct == [] and access.unresolved[0].startswith(reason)


def test_manifest_cache_reloads_a_changed_manifest(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    shutil.copytree(PROJECT / "target", project / "target")
    cache = ManifestCache()
    first = resolve_dbt(["dbt", "run", "-s", "rpt_exec", "--project-dir", str(project)], None, cache=cache)
    assert [m.writes for m in first.models] == ["analytics.marts.rpt_exec"]
    path = project / "target" / "manifest.json"
    data = json.loads(path.read_text())
    data["nodes"]["model.shop.rpt_exec"]["relation_name"] = "analytics.reporting.rpt_exec"
    path.write_text(json.dumps(data))
    os.utime(path, (path.stat().st_mtime + 5, path.stat().st_mtime + 5))
    second = resolve_dbt(["dbt", "run", "-s", "rpt_exec", "--project-dir", str(project)], None, cache=cache)
    assert [m.writes for m in second.models] == ["analytics.reporting.rpt_exec"]
    path.write_text("{not json")
    os.utime(path, (path.stat().st_mtime + 10, path.stat().st_mtime + 10))
    with pytest.raises(DbtError, match="cannot be read"):
        resolve_dbt(["dbt", "run", "--project-dir", str(project)], None, cache=cache)


@pytest.mark.parametrize(("operator", "args", "writes"), [
    ("DbtRunLocalOperator", {"project_dir": str(PROJECT), "select": ["stg_orders"]}, ["analytics.staging.stg_orders"]),
    ("DbtBuildKubernetesOperator", {"project_dir": str(PROJECT), "dbt_cmd_flags": ["--select", "+stg_customers"]},
     ["analytics.seeds.country_codes", "analytics.staging.stg_customers"]),
    ("DbtSeedLocalOperator", {"project_dir": str(PROJECT)}, ["analytics.seeds.country_codes"]),
    ("DbtRunOperator", {"dir": str(PROJECT), "models": "tag:nightly", "exclude": "rpt_exec"}, ["analytics.marts.fct_revenue"]),
    ("DbtSnapshotOperator", {"dir": str(PROJECT)}, ["analytics.snapshots.orders_snapshot"]),
])
def test_dbt_operators_run_the_command_they_stand_for(operator: str, args: dict, writes: list[str]) -> None:
    access = extract_task(TaskSpec("d", "t", operator, DAG.file, 5, args=args), DAG, ExtractContext())
    assert sorted(d.table for d in access.direct if d.mode == "write") == writes and not access.unresolved


def test_dbt_operators_without_tables_or_project() -> None:
    test = extract_task(TaskSpec("d", "t", "DbtTestLocalOperator", DAG.file, 5, args={"project_dir": str(PROJECT)}), DAG, ExtractContext())
    assert test.no_data and not test.unresolved
    lost = extract_task(TaskSpec("d", "t", "DbtRunLocalOperator", DAG.file, 5, args={"select": ["x"]}), DAG, ExtractContext())
    assert lost.unresolved == ["dbt run without --project-dir and no known working folder: its project is not known"]


def test_models_built_by_the_same_run_are_not_its_inputs() -> None:
    """`dbt run -s stg_customers+`: staging, then the marts from it; the task writes both, reads only what it did not build."""
    from overlay.config import Settings
    from overlay.connections import ConnectionResolver
    from overlay.resolve import resolve_task

    task = TaskSpec("d", "t", "BashOperator", DAG.file, 5, args={"bash_command": f"dbt run -s stg_customers+ --project-dir {PROJECT}"})
    resolved, _ = resolve_task(task, extract_task(task, DAG, ExtractContext()),
                               ConnectionResolver(Settings(), environ={}, airflow_db_url="sqlite:////nonexistent/a.db"))
    stg = "snowflake:analytics.staging.stg_customers"
    assert stg in resolved.writes and stg not in resolved.reads
    assert "snowflake:analytics.raw.customers" in resolved.reads
    assert any(edge[0] == stg for edge in resolved.edges)  # the lineage inside the run stays
