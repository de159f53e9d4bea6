"""astronomer-cosmos DbtDag/DbtTaskGroup read statically: the tasks Cosmos builds, named as Cosmos names them."""

from __future__ import annotations

from pathlib import Path

import pytest

from overlay.config import load_settings
from overlay.discover.cosmos.project import from_files, from_manifest
from overlay.discover.cosmos.render import RenderOptions, render
from overlay.discover.static import scan_file
from overlay.discover.static.repo import RepoView
from overlay.scan import scan_folders

FIXTURES = Path(__file__).parent / "fixtures" / "cosmos"
SHOP = FIXTURES / "dbt" / "shop"
PG = "postgres:analytics."


@pytest.fixture(scope="module")
def scanned() -> dict:
    result = scan_folders([str(FIXTURES)], mode="static", settings=load_settings(None, [str(FIXTURES)]))
    assert not result.errors
    return {f"{t.dag_id}.{t.task_id}": t for t in result.tasks}


def _ids(tasks: dict, dag: str) -> set[str]:
    return {k.split(".", 1)[1] for k in tasks if k.startswith(dag + ".")}


def test_dbt_dag_after_each_groups_tested_nodes(scanned: dict) -> None:
    assert _ids(scanned, "shop_dbt") == {
        "stg_orders.run", "stg_orders.test", "stg_customers.run", "stg_customers.test",  # the relationships test tests both
        "fct_orders.run", "fct_orders.test", "int_orders_run",  # ephemeral and untested: one EmptyOperator
        "country_codes.seed", "country_codes.test", "customers_snapshot_snapshot"}  # sources are not rendered by default
    fct = scanned["shop_dbt.fct_orders.run"]
    assert fct.operator == "DbtRunLocalOperator" and fct.status == "resolved"
    assert fct.writes == [PG + "marts.fct_orders"]
    assert sorted(fct.reads) == [PG + "seeds.country_codes", PG + "staging.stg_customers", PG + "staging.stg_orders"]
    assert sorted(fct.upstream) == ["country_codes.test", "int_orders_run", "stg_customers.test"]
    assert scanned["shop_dbt.int_orders_run"].operator == "EmptyOperator"
    assert scanned["shop_dbt.int_orders_run"].upstream == ["stg_orders.test"]
    assert scanned["shop_dbt.stg_orders.run"].reads == [PG + "raw.orders"]
    assert scanned["shop_dbt.customers_snapshot_snapshot"].writes == [PG + "snapshots.customers_snapshot"]
    assert scanned["shop_dbt.country_codes.seed"].writes == [PG + "seeds.country_codes"]
    for test in ("stg_orders.test", "fct_orders.test", "country_codes.test"):
        assert scanned[f"shop_dbt.{test}"].status == "no_data" and scanned[f"shop_dbt.{test}"].upstream == [test.replace("test", "run" if "codes" not in test else "seed")]
    assert scanned["shop_dbt.stg_orders.run"].owner == "analytics"  # the DbtDag's default_args


def test_task_groups_select_exclude_and_test_behaviours(scanned: dict) -> None:
    assert _ids(scanned, "shop_marts") == {
        "start",
        # BUILD, select +fct_orders, exclude stg_customers
        "marts.fct_orders_model_build", "marts.int_orders_model_build", "marts.stg_orders_model_build", "marts.country_codes_seed_build",
        # AFTER_ALL, path:models/staging and the snapshot: one test task after the leaves, named after the project folder
        "staging.stg_orders_run", "staging.stg_customers_run", "staging.customers_snapshot_snapshot", "staging.shop_test",
        # NONE, resource_type:seed
        "seeds.country_codes_seed"}
    build = scanned["shop_marts.marts.fct_orders_model_build"]
    assert build.operator == "DbtBuildLocalOperator" and build.writes == [PG + "marts.fct_orders"]
    assert PG + "staging.stg_customers" in build.reads  # excluded from the group, still read
    assert sorted(scanned["shop_marts.marts.stg_orders_model_build"].upstream) == ["start"]
    assert scanned["shop_marts.marts.int_orders_model_build"].status == "no_data"
    assert sorted(scanned["shop_marts.staging.shop_test"].upstream) == ["staging.customers_snapshot_snapshot", "staging.stg_orders_run"]
    assert scanned["shop_marts.staging.shop_test"].status == "no_data"
    assert scanned["shop_marts.staging.stg_customers_run"].upstream == ["seeds.country_codes_seed"]
    assert scanned["shop_marts.seeds.country_codes_seed"].writes == [PG + "seeds.country_codes"]


def test_without_a_manifest_tasks_are_listed_and_unresolved(scanned: dict) -> None:
    assert _ids(scanned, "ledger_dbt") == {"stg_payments.run", "stg_payments.test", "payments_daily_run", "rates_seed",
                                           "payments_snap_snapshot"}
    run = scanned["ledger_dbt.payments_daily_run"]
    assert run.status == "unresolved" and not run.reads and not run.writes
    assert str(FIXTURES / "dbt" / "ledger") in run.errors[0] and "dbt parse" in run.errors[0] and "manifest_path=" in run.errors[0]
    assert sorted(run.upstream) == ["rates_seed", "stg_payments.test"]
    assert scanned["ledger_dbt.stg_payments.test"].status == "no_data"


def _scan(source: str):  # noqa: ANN202
    path = FIXTURES / "dags" / "inline.py"
    return scan_file(str(path), source, RepoView(FIXTURES))


def test_selections_a_file_graph_cannot_answer_are_reported_not_guessed() -> None:
    result = _scan("from cosmos import DbtDag, ProjectConfig, RenderConfig\n"
                   "DbtDag(dag_id='x', project_config=ProjectConfig('/opt/dbt/ledger'), render_config=RenderConfig(select=['tag:daily']))\n")
    assert [d.tasks for d in result.dags] == [[]]
    assert "tag:daily` needs the dbt manifest" in result.errors[0].error and "ledger" in result.errors[0].error


def test_unknown_shaping_arguments_list_nothing() -> None:
    result = _scan("import os\nfrom cosmos import DbtTaskGroup, ProjectConfig, RenderConfig\nfrom airflow import DAG\n"
                   "with DAG('y'):\n    DbtTaskGroup(project_config=ProjectConfig('/opt/dbt/shop'),"
                   " render_config=RenderConfig(select=[os.environ['MODELS']]))\n")
    assert [d.tasks for d in result.dags] == [[]] and "RenderConfig(select=...)" in result.errors[0].error


def test_default_group_id_and_detached_tests_and_folder_groups() -> None:
    graph = from_manifest(str(SHOP / "target" / "manifest.json")).graph
    rendered = render(graph, RenderOptions("shop", detach_multiple_parents_tests=True, group_nodes_by_folder=True), 100)
    ids = {t.task_id: t for t in rendered.tasks}
    assert "relationships_fct_orders_customer_id__customer_id__ref_stg_customers__test" in ids
    assert sorted(ids["relationships_fct_orders_customer_id__customer_id__ref_stg_customers__test"].upstream) == \
        ["models.marts.fct_orders_run", "models.staging.stg_customers_run"]  # no longer grouped: their only test detached
    assert {"models.staging.stg_orders.run", "models.staging.stg_orders.test", "seeds.country_codes.seed"} <= set(ids)
    result = _scan("from cosmos import DbtTaskGroup, ProjectConfig, RenderConfig\nfrom cosmos.constants import TestBehavior\n"
                   "from airflow import DAG\nwith DAG('z'):\n"
                   "    DbtTaskGroup(project_config=ProjectConfig('/srv/dbt/shop'), render_config=RenderConfig("
                   "select=['stg_orders'], test_behavior=TestBehavior.NONE))\n")
    assert [t.task_id for t in result.dags[0].tasks] == ["dbt_task_group.stg_orders_run"]


def test_a_file_graph_reads_refs_tests_and_snapshot_blocks() -> None:
    graph = from_files(str(FIXTURES / "dbt" / "ledger"), lambda p: True)
    assert graph.from_files and graph.graph.parents["model.ledger.payments_daily"] == ["model.ledger.stg_payments", "seed.ledger.rates"]
    assert graph.graph.nodes["snapshot.ledger.payments_snap"]["fqn"] == ["ledger", "payments_snap", "payments_snap"]
    tests = [u for u, n in graph.graph.nodes.items() if n["resource_type"] == "test"]
    assert len(tests) == 2 and all(graph.graph.parents[t] == ["model.ledger.stg_payments"] for t in tests)


def test_manifest_selections_execution_modes_and_inputs() -> None:
    result = _scan("from cosmos import DbtDag, ExecutionConfig, ProjectConfig, RenderConfig\n"
                   "from cosmos.constants import ExecutionMode\nK8S = ExecutionMode.KUBERNETES\n"
                   "DbtDag(dag_id='k8s', project_config=ProjectConfig('/opt/dbt/shop'), render_config=RenderConfig(select=['tag:nightly']),"
                   " execution_config=ExecutionConfig(execution_mode=K8S))\n"
                   "DbtDag(dag_id='w', project_config=ProjectConfig('/opt/dbt/shop'),"
                   " execution_config=ExecutionConfig(execution_mode=ExecutionMode.WATCHER))\n")
    dags = {d.dag_id: d for d in result.dags}
    assert [(t.task_id, t.operator) for t in dags["k8s"].tasks] == [("fct_orders.run", "DbtRunKubernetesOperator"),
                                                                    ("fct_orders.test", "DbtTestKubernetesOperator")]
    assert dags["w"].tasks == [] and "ExecutionMode.WATCHER" in result.errors[0].error
    assert str(SHOP / "target" / "manifest.json") in result.inputs  # a changed manifest re-reads the DAG file


def test_dbt_operators_read_remapped_projects_manifest_filepath_and_ephemeral_runs() -> None:
    from overlay.extract import ExtractContext, extract_task
    from overlay.model import DagSpec, TaskSpec

    dag = DagSpec("d", str(FIXTURES / "dags" / "shop_dbt.py"))
    ctx = ExtractContext(dag_folder=str(FIXTURES))
    ephemeral = TaskSpec("d", "int_orders_run", "DbtRunLocalOperator", dag.file, 1, args={
        "select": "fqn:shop.marts.int_orders", "project_dir": "/usr/local/airflow/dbt/shop",
        "manifest_filepath": "/usr/local/airflow/dbt/shop/target/manifest.json"})
    access = extract_task(ephemeral, dag, ctx)
    assert access.no_data and not access.unresolved and "ephemeral" in " ".join(access.notes)
    run = TaskSpec("d", "stg_orders_run", "DbtRunLocalOperator", dag.file, 1, args={
        "select": "fqn:shop.staging.stg_orders", "manifest_filepath": "/usr/local/airflow/dbt/shop/target/manifest.json"})
    access = extract_task(run, dag, ctx)  # no project_dir: the manifest's project
    assert [(d.table, d.mode) for d in access.direct] == [('"analytics"."staging"."stg_orders"', "write"),
                                                          ('"analytics"."raw"."orders"', "read")]
    assert any("path remapped" in n for n in access.notes)


def test_a_manifest_written_later_reads_the_dag_file_again(tmp_path: Path) -> None:
    """Without a manifest the DAG file's result records the manifest it looked for as missing: once `dbt parse`
    writes it, a rescan reads that DAG file again (and only it)."""
    import shutil
    from datetime import datetime, timezone

    from overlay.catalog import Catalog
    from overlay.config import Settings
    from overlay.pipeline import build_catalog

    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES, repo)
    (repo / ".git").mkdir()
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'c.db'}")

    def scan() -> dict[str, str]:
        outcome = build_catalog(catalog, [str(repo / "dags")], "static", Settings(), datetime.now(timezone.utc))
        return {Path(f.path).name: f.mode for f in outcome.result.files}

    scan()
    assert scan() == {"ledger_dbt.py": "cached", "shop_dbt.py": "cached"}
    (repo / "dbt" / "ledger" / "target").mkdir()
    (repo / "dbt" / "ledger" / "target" / "manifest.json").write_text("{}")
    assert scan() == {"ledger_dbt.py": "static", "shop_dbt.py": "cached"}
    catalog.close()
