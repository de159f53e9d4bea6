"""Patterns met in public DAG repositories (issue 9), each reproduced by a fixture folder written for overlay."""

from __future__ import annotations

from pathlib import Path

import pytest

from overlay.config import ConnectionSpec, load_settings
from overlay.connections import template_fields
from overlay.lineage import analyze_sql
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


def _scan_with_config(name: str) -> dict[str, object]:
    folder = str(FIXTURES / name / "dags")
    settings = load_settings(str(FIXTURES / name / "overlay.yaml"), [folder])
    return {t.task_id: t for t in scan_folders([folder], mode="static", settings=settings, workers=1).tasks}


def test_connection_fields_overlay_yaml_gives_fill_templates_and_parents_paths_are_followed() -> None:
    tasks = _scan_with_config("conn_fields")
    # template_searchpath=f"{Path(__file__).parents[2]}/include/sql/"; Snowflake's `schema` field is the schema
    assert (tasks["snow"].reads, tasks["snow"].writes) == (["snow:farm.fruit.raw_berries"], ["snow:farm.fruit.berries"])
    assert tasks["pg"].reads == ["pg:pantry.public.jam"]  # a Postgres connection's `schema` field is its database
    unknown = tasks["unknown"]  # overlay.yaml names no database for it: still a stand-in, no table recorded
    assert unknown.status == "unresolved" and not unknown.reads
    assert any("conn.other.schema" in e for e in unknown.errors)


def test_template_fields_never_guess_what_overlay_yaml_does_not_say() -> None:
    fields = template_fields({
        "snow": ConnectionSpec("snow", "snowflake", "farm", "fruit"), "pg": ConnectionSpec("pg", "postgres", "pantry"),
        "bare": ConnectionSpec("bare", "snowflake", "farm"), "bq": ConnectionSpec("bq", "bigquery", "proj", "ds"),
    })
    assert fields == {"snow": {"conn_id": "snow", "schema": "fruit"}, "pg": {"conn_id": "pg", "schema": "pantry"},
                      "bare": {"conn_id": "bare"}, "bq": {"conn_id": "bq"}}


def test_plugin_classes_that_only_log_touch_no_data_and_others_stay_unknown() -> None:
    tasks = _scan_with_config("plugin_classes")
    assert (tasks["echo"].status, tasks["echo"].operator) == ("no_data", "BaseOperator")  # its methods only log
    # `A if <not known> else B`: both touch no data, so the task does not either
    assert (tasks["notify"].status, tasks["notify"].operator) == ("no_data", "BaseOperator|SlackAPIPostOperator")
    assert tasks["mixed"].status == "unresolved"  # one choice deletes rows
    assert "unknown operator EchoOperator|PurgeOperator" in tasks["mixed"].errors[0]
    for task_id in ("purge", "ping", "loud"):  # a hook, an imported module's function, a method of its own
        assert tasks[task_id].status == "unresolved", task_id


def test_a_rule_for_a_plugin_subclass_is_found_by_the_class_name_as_written() -> None:
    copy = _scan_with_config("plugin_classes")["copy"]
    assert copy.operator == "SQLExecuteQueryOperator"  # the base's name; the rule is the subclass's
    assert (copy.status, copy.reads, copy.writes) == ("resolved", ["warehouse:sales.orders"], ["warehouse:sales.orders_copy"])


@pytest.mark.parametrize("sql, reads, writes", [
    # rows removed, then rebuilt from the rows left: the table is read as it was before the script
    ("DELETE FROM daily WHERE period = 'week'; INSERT INTO daily SELECT 'week', SUM(n) FROM daily WHERE period = 'hour'",
     ["daily"], ["daily"]),
    ("UPDATE stock SET qty = 0 WHERE qty < 0; INSERT INTO report SELECT * FROM stock", ["stock"], ["stock", "report"]),
    # a table the script fills (or creates) is still its own intermediate product
    ("INSERT INTO stage SELECT * FROM raw; INSERT INTO mart SELECT * FROM stage", ["raw"], ["stage", "mart"]),
    ("CREATE TABLE stage AS SELECT * FROM raw; DELETE FROM stage WHERE bad; INSERT INTO mart SELECT * FROM stage",
     ["raw"], ["stage", "mart"]),
])
def test_delete_or_update_before_a_read_keeps_the_read(sql: str, reads: list[str], writes: list[str]) -> None:
    result = analyze_sql(sql, "postgres")
    assert (result.reads, result.writes) == (reads, writes)


def test_psql_meta_commands_in_a_sql_file_are_not_sql() -> None:
    script = "\\timing on\nREFRESH MATERIALIZED VIEW CONCURRENTLY stats.daily_mv;\n  \\set ON_ERROR_STOP on\n" \
             "INSERT INTO stats.totals SELECT * FROM stats.daily_mv;\n"
    result = analyze_sql(script, "postgres")
    assert not result.errors and [s.line for s in result.statements] == [2, 4]  # lines as in the file
    assert result.writes == ["stats.daily_mv", "stats.totals"]
    # a backslash inside a string on one line is no command
    assert analyze_sql("SELECT 'C:\\temp' AS p FROM files.paths", "postgres").reads == ["files.paths"]
