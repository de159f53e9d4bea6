"""A dbt project without a manifest: relations named from its files and the dbt target, as dbt would name them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from overlay.config import load_settings
from overlay.extract.dbt.files import in_file_config, read_project, Expr
from overlay.scan import scan_folders

FIXTURE = Path(__file__).parent / "fixtures" / "dbt_files"
PG = "postgres:"


def _scan(settings=None) -> dict:
    settings = settings or load_settings(None, [str(FIXTURE)])
    result = scan_folders([str(FIXTURE)], mode="static", settings=settings)
    return {f"{t.dag_id}.{t.task_id}": t for t in result.tasks}


@pytest.fixture(scope="module")
def tasks() -> dict:
    return _scan()


def test_cosmos_tasks_name_relations_from_the_target_and_the_projects_macro(tasks: dict) -> None:
    stg = tasks["sales_dbt.sales.stg_orders_run"]
    assert stg.status == "resolved", stg.errors
    assert stg.writes == [PG + "analytics.staging.stg_orders"]  # prod: the custom schema as named (the project's macro)
    assert stg.reads == [PG + "landing.public.orders_v2"]  # source: database from var(), identifier from the properties file
    customers = tasks["sales_dbt.sales.stg_customers_run"]
    assert customers.writes == [PG + "analytics.staging.customers"]  # alias from the properties file's config
    daily = tasks["sales_dbt.sales.orders_daily_run"]
    assert daily.status == "resolved", daily.errors
    assert daily.writes == [PG + "analytics.marts.daily_orders"]  # in-file config(alias=) over dbt_project.yml's schema
    # through the ephemeral model to its parents, and the seed its macro refs
    assert sorted(daily.reads) == [PG + "analytics.analytics.rates", PG + "analytics.staging.customers", PG + "analytics.staging.stg_orders"]
    assert tasks["sales_dbt.sales.rates_seed"].writes == [PG + "analytics.analytics.rates"]  # no custom schema: the target's
    assert tasks["sales_dbt.sales.int_joined_run"].operator == "EmptyOperator"
    assert not any("old_orders" in k for k in tasks)  # disabled in dbt_project.yml: no node, no task


def test_what_the_files_cannot_tell_is_partial_with_the_reason_never_a_guess(tasks: dict) -> None:
    package = tasks["sales_dbt.sales.calendar_orders_run"]
    assert package.status == "partial" and package.writes == [PG + "analytics.marts.calendar_orders"] and package.reads == []
    assert any("ref('dbt_date_calendar') names no model" in e for e in package.errors)
    picked = tasks["sales_dbt.sales.picked_run"]  # the macro's ref takes its argument: which model is not read from the text
    assert picked.status == "partial" and any("not a literal" in e for e in picked.errors)
    region = tasks["sales_dbt.sales.region_schema_run"]  # config(schema=var('region') ~ ...): a var no file sets
    assert region.writes == [] and region.reads == [PG + "analytics.staging.stg_orders"]
    assert region.status == "partial" and any("var('region')" in e for e in region.errors)
    assert all("legacy_orders" not in r for t in tasks.values() for r in t.reads)  # a ref in a SQL comment reads nothing


def test_bash_dbt_with_another_target_and_a_selection_only_a_manifest_answers(tasks: dict) -> None:
    dev = tasks["sales_dbt.dev_staging"]
    # dev: DEV_DB is not in `environment:` (unset there), so env_var's default; non-prod custom schemas are prefixed
    assert dev.status == "resolved" and dev.writes == [PG + "devdb.dbt_dev_staging.stg_orders"]
    nightly = tasks["sales_dbt.nightly"]
    assert nightly.status == "unresolved" and any("tag:nightly" in e and "needs the dbt manifest" in e for e in nightly.errors)


def test_dbt_run_in_a_copy_of_the_project_reads_the_project_it_copied(tasks: dict) -> None:
    """`cp -r /usr/local/airflow/dbt/sales /tmp/x && cd /tmp/x && dbt run` (MWAA, read-only DAG folders): the copy's
    folder is the project's, which the repository holds (remapped from the deployment's path)."""
    for name in ("sales_dbt.copied_project", "sales_dbt.copied_into_tmp"):
        task = tasks[name]
        assert (task.status, task.writes, task.reads) == ("resolved", [PG + "devdb.dbt_dev_staging.stg_orders"],
                                                          [PG + "landing.public.orders_v2"]), (name, task.errors)


def test_without_the_deployments_environment_the_target_is_unknown() -> None:
    settings = replace(load_settings(None, [str(FIXTURE)]), environment={})
    tasks = _scan(settings)
    stg = tasks["sales_dbt.sales.stg_orders_run"]
    assert stg.status == "unresolved" and stg.writes == [] and stg.reads == []
    assert any("target_name" in e and "environment:" in e for e in stg.errors), stg.errors
    dev = tasks["sales_dbt.dev_staging"]  # the dev target's database is env_var('DEV_DB', ...): no environment, not known
    assert dev.status == "unresolved" and any("env_var('DEV_DB')" in e for e in dev.errors), dev.errors


def test_configs_merge_as_dbt_merges_them() -> None:
    project = read_project(str(FIXTURE / "dbt" / "sales"), lambda p: True)
    nodes = project.nodes
    assert nodes["model.sales.stg_orders"]["config"] == {"materialized": "view", "schema": "staging"}
    assert nodes["model.sales.orders_daily"]["config"] == {"materialized": "table", "schema": "marts", "alias": "daily_orders",
                                                           "tags": ["nightly"]}
    assert nodes["source.sales.shop.orders"]["identifier"] == "orders_v2"
    assert isinstance(nodes["source.sales.shop.orders"]["source_database"], Expr)
    assert in_file_config("{{ config(schema=var('x'), materialized='table') }}") == {"schema": Expr("var('x')"), "materialized": "table"}
    assert in_file_config("{{ config(enabled=false) }}") == {"enabled": False}


def test_a_profile_built_from_an_airflow_connection_names_with_the_connection_overlay_yaml_describes(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(FIXTURE, tmp_path / "repo")
    dag = tmp_path / "repo" / "dags" / "sales_dbt.py"
    dag.write_text(dag.read_text().replace(
        'profile_config=ProfileConfig(profile_name="sales", target_name=os.environ["DBT_TARGET"],\n'
        '                                     profiles_yml_filepath=f"{PROJECT}/profiles.yml")',
        'profile_config=ProfileConfig(profile_name="sales", target_name="prod", profile_mapping=PostgresUserPasswordProfileMapping('
        'conn_id="warehouse", profile_args={"schema": "reporting"}))').replace(
        "from cosmos import", "from cosmos.profiles import PostgresUserPasswordProfileMapping\nfrom cosmos import"))
    settings = load_settings(None, [str(tmp_path / "repo")])
    result = scan_folders([str(tmp_path / "repo")], mode="static", settings=settings)
    stg = next(t for t in result.tasks if t.task_id == "sales.stg_orders_run")
    assert stg.status == "unresolved" and any("Airflow connection 'warehouse'" in e and "connections:" in e for e in stg.errors), stg.errors
    (tmp_path / "repo" / "overlay.yaml").write_text("environment: {DBT_TARGET: prod, WAREHOUSE_DB: analytics}\n"
                                                    "connections: {warehouse: {dialect: postgres, database: shopdb, namespace: pg}}\n")
    settings = load_settings(None, [str(tmp_path / "repo")])
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "repo")], mode="static", settings=settings).tasks}
    # the connection's database (Airflow's schema field), profile_args' schema; the namespace of that connection
    assert tasks["sales.stg_orders_run"].writes == ["pg:shopdb.staging.stg_orders"], tasks["sales.stg_orders_run"].errors
    assert tasks["sales.rates_seed"].writes == ["pg:shopdb.reporting.rates"]
    dag.write_text(dag.read_text().replace('target_name="prod"', 'target_name=os.environ["DEPLOY_TARGET"]'))
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "repo")], mode="static", settings=settings).tasks}
    stg = tasks["sales.stg_orders_run"]  # the mapping's target name unknown: not guessed ("dev"), said
    assert stg.writes == [] and any("target_name" in e for e in stg.errors), stg.errors


def test_bash_dbt_without_a_target_takes_the_profiles_default_only_when_the_environment_is_known(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(FIXTURE, tmp_path / "repo")
    dag = tmp_path / "repo" / "dags" / "sales_dbt.py"
    dag.write_text(dag.read_text().replace("--select stg_orders --target dev", "--select stg_orders"))
    settings = load_settings(None, [str(tmp_path / "repo")])
    for environment, expected in (({"WAREHOUSE_DB": "analytics"}, [PG + "devdb.dbt_dev_staging.stg_orders"]),  # dev: the default
                                  ({"DBT_TARGET": "prod", "WAREHOUSE_DB": "analytics"}, [PG + "analytics.staging.stg_orders"]),
                                  ({}, [])):  # DBT_TARGET may be set where it runs: not known
        result = scan_folders([str(tmp_path / "repo")], mode="static", settings=replace(settings, environment=environment))
        dev = next(t for t in result.tasks if t.task_id == "dev_staging")
        assert dev.writes == expected, (environment, dev.errors)
    assert any("DBT_TARGET" in e for e in dev.errors)


def test_a_naming_macro_that_would_run_forever_or_build_too_much_is_stopped(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(FIXTURE, tmp_path / "repo")
    macro = tmp_path / "repo" / "dbt" / "sales" / "macros" / "generate_schema_name.sql"
    macro.write_text("{% macro generate_schema_name(custom_schema_name, node) -%}"
                     "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
                     "{{ 'x' * 10 }}{%- endmacro %}\n"
                     "{% macro generate_alias_name(custom_alias_name, node) -%}{{ generate_alias_name(custom_alias_name, node) }}"
                     "{%- endmacro %}\n")
    result = scan_folders([str(tmp_path / "repo")], mode="static", settings=load_settings(None, [str(tmp_path / "repo")]))
    stg = next(t for t in result.tasks if t.task_id == "sales.stg_orders_run")
    assert stg.status == "partial" and stg.writes == [] and any("generate_schema_name" in e and "too large" in e for e in stg.errors), stg.errors


def test_a_project_read_once_per_process_is_read_again_when_a_file_changes(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(FIXTURE, tmp_path / "repo")
    settings = load_settings(None, [str(tmp_path / "repo")])

    def writes() -> list[str]:
        tasks = scan_folders([str(tmp_path / "repo")], mode="static", settings=settings).tasks
        return next(t for t in tasks if t.task_id == "sales.stg_orders_run").writes

    assert writes() == [PG + "analytics.staging.stg_orders"]
    model = tmp_path / "repo" / "dbt" / "sales" / "models" / "staging" / "stg_orders.sql"
    model.write_text("{{ config(alias='orders_clean') }}\n" + model.read_text())
    assert writes() == [PG + "analytics.staging.orders_clean"]
    (tmp_path / "repo" / "dbt" / "sales" / "models" / "staging" / "stg_refunds.sql").write_text("select 1\n")
    tasks = scan_folders([str(tmp_path / "repo")], mode="static", settings=settings).tasks
    assert any(t.task_id == "sales.stg_refunds_run" for t in tasks)  # a model added: listed without touching dbt_project.yml


def test_explain_reads_the_task_with_the_scans_settings() -> None:
    """`overlay scan --explain` reads the task again: with overlay.yaml's `environment:` too, or its answer would
    differ from the scan's (a dbt target unknown)."""
    from overlay.explain import explain_in_scan

    settings = load_settings(None, [str(FIXTURE)])
    result = scan_folders([str(FIXTURE)], mode="static", settings=settings)
    scanned = next(t for t in result.tasks if t.task_id == "copied_project")
    explained = explain_in_scan(result, settings, "sales_dbt.copied_project")
    assert (explained.status, explained.writes, explained.reads) == (scanned.status, scanned.writes, scanned.reads)
    assert explained.status == "resolved"
