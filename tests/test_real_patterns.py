"""Patterns met in public DAG repositories (issue 9), each reproduced by a fixture folder written for overlay."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from overlay.config import ConfigError, ConnectionSpec, load_settings, parse_settings
from overlay.discover import discover_folder
from overlay.discover.static import scan_source
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


def _scan_with_config(name: str, mode: str = "static") -> dict[str, object]:
    folder = str(FIXTURES / name / "dags")
    settings = load_settings(str(FIXTURES / name / "overlay.yaml"), [folder])
    return {t.task_id: t for t in scan_folders([folder], mode=mode, settings=settings, workers=1).tasks}


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
    purge = tasks["purge"]  # a database hook in its own code: its execute is read (operator_code.py)
    assert (purge.status, purge.reads, purge.writes) == ("resolved", [], ["warehouse:sales.orders"]), purge.errors
    for task_id in ("ping", "loud"):  # an HTTP call (requests), a method of its own that returns None
        assert tasks[task_id].status == "no_data", task_id


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


def test_a_stand_in_date_inside_a_word_never_names_a_table(tmp_path: Path) -> None:
    (tmp_path / "dated.py").write_text(
        "from airflow import DAG\n"
        "from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n"
        "with DAG('dated', schedule=None):\n"
        "    SQLExecuteQueryOperator(task_id='snap', conn_id='wh',\n"
        "        sql='CREATE TABLE s.{{ ts_nodash }}_scores AS SELECT * FROM s.raw_{{ ds_nodash }}x, s.events')\n")
    task = scan_folders([str(tmp_path)], mode="static", workers=1).tasks[0]
    assert task.status == "partial" and task.writes == [] and task.reads == ["wh:s.events"]
    assert sum("the run's date" in e for e in task.errors) == 2


def test_environment_variables_overlay_yaml_gives_are_read_and_no_others() -> None:
    tasks = _scan_with_config("environment")
    daily = tasks["daily"]  # os.environ.get, os.getenv and environs' env()/env.int() in an imported module
    assert daily.reads == ["bigquery:orchard-prod.raw_prod.apples"] and daily.writes == ["bigquery:orchard-prod.mart.apples_daily"]
    assert tasks["regional"].status == "unresolved"  # REGION is not given and has no default
    assert tasks["zoned"].reads == ["bigquery:orchard-prod.raw_west.plums"]  # ZONE is unset there: its default
    folder = FIXTURES / "environment" / "dags"
    found = discover_folder(folder, mode="static")
    assert found[0].dags[0].tasks  # without overlay.yaml's environment the same code stays unknown
    plain = {t.task_id: t for t in scan_folders([str(folder)], mode="static", workers=1).tasks}
    assert plain["daily"].status == "unresolved" and not plain["daily"].writes


def test_environment_must_map_names_to_values() -> None:
    with pytest.raises(ConfigError, match="environment"):
        parse_settings({"environment": {"STAGE": ["prod"]}})
    assert parse_settings({"environment": {"RETRIES": 3}}).environment == {"RETRIES": "3"}


def test_loops_over_sets_build_their_tasks_in_first_seen_order() -> None:
    dags, errors = scan_source("/dags/sets.py", textwrap.dedent('''
        from airflow import DAG
        from airflow.operators.empty import EmptyOperator
        CONFIG = {"a": {"after": ["x", "y"]}, "b": {"after": ["y"]}, "c": {}}
        upstream = list(set([u for p in CONFIG.values() for u in p.get("after", [])]))
        with DAG("sets", schedule=None):
            for name in upstream:
                EmptyOperator(task_id=f"wait_{name}")
            for name in sorted(frozenset(CONFIG)):
                EmptyOperator(task_id=f"run_{name}")
    '''))
    assert not errors
    assert [t.task_id for t in dags[0].tasks] == ["wait_x", "wait_y", "run_a", "run_b", "run_c"]


def test_instances_of_field_only_config_classes_give_their_fields() -> None:
    dags, errors = scan_source("/dags/configured.py", textwrap.dedent('''
        from dataclasses import dataclass, field
        from airflow import DAG
        from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
        from pydantic import BaseModel

        class Base(BaseModel):
            owner: str = "orchard"

        class Tables(Base):
            source: str = "raw.apples"
            target: str = "mart.apples"

        class Config(Base):
            dag_id: str = "configured"
            tables: Tables = Tables(target="mart.apples_v2")
            extra: list = field(default_factory=list)

        @dataclass
        class Pair:
            left: str
            right: str = "b"

        class Computed(Base):
            name: str = "c"
            def label(self):
                return self.name.upper()

        CONFIG = Config()
        PAIR = Pair("a")
        with DAG(CONFIG.dag_id, schedule=None, default_args={"owner": CONFIG.owner}):
            SQLExecuteQueryOperator(task_id="copy", conn_id="wh",
                                    sql=f"INSERT INTO {CONFIG.tables.target} SELECT * FROM {CONFIG.tables.source}")
            SQLExecuteQueryOperator(task_id=f"pair_{PAIR.left}_{PAIR.right}", conn_id="wh", sql="SELECT 1")
            SQLExecuteQueryOperator(task_id="extra", conn_id="wh", sql=f"SELECT {CONFIG.extra}")
            SQLExecuteQueryOperator(task_id="computed", conn_id="wh", sql=f"SELECT * FROM {Computed().name}")
    '''))
    dag = dags[0]
    tasks = {t.task_id: t for t in dag.tasks}
    assert dag.dag_id == "configured" and dag.owners == ["orchard"]
    assert tasks["copy"].args["sql"] == "INSERT INTO mart.apples_v2 SELECT * FROM raw.apples"
    assert "pair_a_b" in tasks
    assert "sql" in tasks["extra"].unknown_args  # field(default_factory=...): not known
    # a class with methods: an instance has its class's attributes (no __init__ to run); its methods are not run
    assert tasks["computed"].args["sql"] == "SELECT * FROM c"


def test_task_override_renames_a_taskflow_task() -> None:
    dags, errors = scan_source("/dags/override.py", textwrap.dedent('''
        from airflow.decorators import dag, task
        @dag(schedule=None)
        def chores():
            @task
            def do(what):
                return what
            first = do.override(task_id="sweep")("floor")
            do.override(task_id="mop", retries=3)("kitchen")
            do.override(task_id="wipe").expand(what=["a", "b"])
            do("x")
            first >> do("y")
        chores()
    '''))
    assert not errors
    tasks = {t.task_id: t for t in dags[0].tasks}
    assert list(tasks) == ["sweep", "mop", "wipe", "do", "do__1"]
    assert tasks["sweep"].operator == "@task" and tasks["sweep"].args["op_kwargs"] == {"what": "floor"}
    assert tasks["mop"].args["retries"] == 3 and tasks["do__1"].upstream == ["sweep"]


def test_dedented_command_strings_are_known() -> None:
    dags, errors = scan_source("/dags/dedent.py", textwrap.dedent('''
        import inspect
        import textwrap
        from airflow import DAG
        from airflow.operators.bash import BashOperator
        PREFIX = "set -e && "
        with DAG("dedent", schedule=None):
            BashOperator(task_id="load", bash_command=PREFIX + textwrap.dedent("""
                psql -c 'INSERT INTO mart.a SELECT * FROM raw.a'
            """))
            BashOperator(task_id="doc", bash_command=inspect.cleandoc("""
                echo one
                echo two"""))
    '''))
    tasks = {t.task_id: t for t in dags[0].tasks}
    assert tasks["load"].args["bash_command"] == "set -e && \npsql -c 'INSERT INTO mart.a SELECT * FROM raw.a'\n"
    assert tasks["doc"].args["bash_command"] == "echo one\necho two"


def test_repository_operators_named_by_gusty_specs_and_bigquery_table_arguments() -> None:
    """gusty's `operator: pkg.Class` is the repository's own class (plugins/), read as a Python DAG's import reads it;
    a repository operator given Airflow's BigQuery table arguments writes or reads that table; object storage
    operators touch no table."""
    tasks = _scan_with_config("bq_table_args")
    got = {tid: (t.status, t.reads, t.writes) for tid, t in tasks.items()}
    # the class's __init__ defaults gcp_conn_id to google_cloud_default: its project qualifies dataset.table,
    # in the gusty DAG as in the Python one; what the task builds and then checks is no input
    assert got["orders"] == ("resolved", [], ["bigquery:acme-lake.raw_zone.orders"])
    assert got["items_ext"] == ("resolved", [], ["bigquery:acme-lake.raw_zone.items"])
    assert got["refunds"] == ("resolved", [], ["bigquery:partner-proj.raw_zone.refunds"])  # a full name stays
    assert got["fees"] == ("resolved", [], ["bigquery:acme-archive.raw_zone.fees"])  # its own connection's project; no partition
    # no gcp_conn_id in the class and two BigQuery connections: the table is named without guessing a project
    assert got["export_orders"] == ("resolved", ["bigquery:raw_zone.orders"], [])
    assert got["announce"][0] == "no_data"  # a plugin class that only logs, named from YAML
    assert got["mark_done"][0] == "no_data"  # gusty's `local.QuietMarker`: operators/quiet_marker.py
    assert got["mirror_files"][0] == got["list_drops"][0] == "no_data"  # GCSToGCSOperator, S3ListOperator
    events = tasks["events"]  # `{{ var.value.events_zone }}.events`: the unknown Variable never names a table
    assert events.status != "resolved" and not events.writes and any("events_zone" in e for e in events.errors)
    assert tasks["orders"].upstream == ["stage_files"] and sorted(tasks["announce"].upstream) == ["orders", "refunds"]
    assert tasks["stage_files"].status == "no_data"  # its callable only logs


def test_a_yaml_dag_is_read_again_when_its_plugin_module_changes(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "bq_table_args", root)
    (root / ".git").mkdir()
    found = discover_folder(str(root / "dags"), mode="static")
    gusty_source = next(f for f in found if f.path.endswith("METADATA.yml"))
    assert str((root / "plugins" / "lakeops" / "external.py").resolve()) in gusty_source.inputs
    assert str((root / "plugins" / "lakeops" / "announce.py").resolve()) in gusty_source.inputs


def test_a_gusty_python_task_file_whose_front_matter_names_only_its_callable_runs_it_with_python_operator() -> None:
    found = discover_folder(str(FIXTURES / "bq_table_args" / "dags"), mode="static")
    gusty_source = next(f for f in found if f.path.endswith("METADATA.yml"))
    assert not [e for e in gusty_source.errors if "operator" in e.error]
    tasks = {t.task_id: t for d in gusty_source.dags for t in d.tasks}
    assert tasks["stage_files"].operator == "PythonOperator" and tasks["stage_files"].callable_name == "stage"
    assert tasks["orders"].upstream == ["stage_files"]


WRAPPED = {
    "row_count": ("resolved", ["lake:shop.orders"], []),  # the task_id is the __init__'s default
    "count_refunds": ("resolved", ["archive:shop.refunds"], []),
    "copy_items": ("resolved", ["lake:mart.items_stage"], ["lake:mart.items"]),
    "swap_prices": ("resolved", ["lake:mart.prices_new"], ["lake:mart.prices"]),  # two repository __init__s
    "audit_orders": ("resolved", ["lake:shop.orders"], ["lake:audit.log"]),  # python_callable=self.audit
    "branch": ("resolved", [], ["lake:mart.everything"]),  # `if full:` of a known argument takes its branch
}


@pytest.mark.parametrize("mode", ["static", "import"])
def test_wrapper_classes_build_their_base_operators_arguments(mode: str) -> None:
    """A repository class whose ``__init__`` computes the base operator's ``sql``/``conn_id`` and passes them to
    ``super().__init__`` (or ``Base.__init__(self, ...)``): the task reads and writes what that SQL does, as Airflow
    importing the DAG gives; what the __init__ takes from a Variable or sets inside a branch whose test is not
    known stays unknown."""
    tasks = _tasks("wrapper_inits", mode)
    assert {tid: (tasks[tid].status, tasks[tid].reads, tasks[tid].writes) for tid in WRAPPED} == WRAPPED
    if mode == "static":
        for tid in ("from_variable", "branch_unknown"):
            assert tasks[tid].status == "unresolved" and not tasks[tid].writes and not tasks[tid].reads, tasks[tid]


def test_a_loop_over_an_unknown_variable_names_it_and_the_setting() -> None:
    """The report of a loop over a value static mode cannot know says where the value comes from (through the names
    it was bound to) and which overlay.yaml setting gives it; given there, the loop builds its tasks."""
    folder = FIXTURES / "variable_loops"
    dags, errors = scan_source("/dags/shop.py", (folder / "shop.py").read_text())
    messages = [e.error for e in errors]
    assert any(m.startswith("loop over values not known statically") and "Variable 'shop_tables'" in m
               and "`variables:`" in m for m in messages), messages
    assert any(m.startswith("comprehension over values not known") and "environment variable 'SHOP_REGIONS'" in m
               and "`environment:`" in m for m in messages), messages
    assert dags[0].tasks == []
    settings = parse_settings({"variables": {"shop_tables": {"tables": ["orders", "items"]}},
                               "environment": {"SHOP_REGIONS": "eu,us"}})
    given = {t.task_id: t for t in scan_folders([str(folder)], mode="static", settings=settings, workers=1).tasks}
    assert sorted(given) == ["check_eu", "check_us", "load_items", "load_orders"]
    assert given["load_orders"].writes == ["wh:mart.orders"] and given["load_orders"].reads == ["wh:raw.orders"]


def test_a_dag_made_by_a_helper_from_its_keyword_arguments() -> None:
    """``create_dag(dag_id=..., schedule=...)`` returning ``DAG(default_args=..., **kwargs)``: the DAG's id and
    schedule come through the spread."""
    dags, errors = scan_source("/dags/made.py", textwrap.dedent('''
        from airflow import DAG
        from airflow.operators.empty import EmptyOperator

        def create_dag(default_args=None, catchup=False, **kwargs):
            return DAG(default_args=default_args or {"retries": 2}, catchup=catchup, **kwargs)

        ARTICLES = create_dag(dag_id="articles_import", schedule="@daily", tags=["import"])
        EmptyOperator(task_id="start", dag=ARTICLES)
    '''))
    assert not errors, errors
    (dag,) = dags
    assert (dag.dag_id, dag.schedule, dag.tags, [t.task_id for t in dag.tasks]) == ("articles_import", "@daily", ["import"], ["start"])
    assert dag.default_args == {"retries": 2}


def test_a_repository_class_wrapping_the_dag_runs_its_init() -> None:
    """A team's DAG class whose ``__init__`` makes the DAG and keeps it on ``self`` (``pipeline.airflow_dag``, a
    property): the DAG and the tasks given it are found; a method runs with ``self`` bound to the instance."""
    dags, errors = scan_source("/dags/wrapped_dag.py", textwrap.dedent('''
        from airflow import DAG
        from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

        class BaseTeamDag:
            def __init__(self, dag_id, schedule=None, owner="data"):
                self.owner = owner
                self._dag = DAG(dag_id=dag_id, schedule=schedule, default_args={"owner": owner})

            @property
            def airflow_dag(self):
                """The DAG Airflow sees."""
                return self._dag

            def table(self, name):
                return f"{self.owner}.{name}"

        class TeamDag(BaseTeamDag):
            schema = "mart"

        pipeline = TeamDag("orders_daily", schedule="@daily", owner="shop")
        SQLExecuteQueryOperator(task_id="load", conn_id="wh", dag=pipeline.airflow_dag,
                                sql=f"INSERT INTO {pipeline.schema}.orders SELECT * FROM {pipeline.owner}.orders")
        SQLExecuteQueryOperator(task_id="method", conn_id="wh", dag=pipeline.airflow_dag,
                                sql=f"DELETE FROM {pipeline.table('x')}")
    '''))
    assert not errors, errors
    (dag,) = dags
    assert (dag.dag_id, dag.schedule, dag.owners) == ("orders_daily", "@daily", ["shop"])
    tasks = {t.task_id: t for t in dag.tasks}
    assert tasks["load"].args["sql"] == "INSERT INTO mart.orders SELECT * FROM shop.orders"
    assert tasks["method"].args["sql"] == "DELETE FROM shop.x"  # self.owner, set by the __init__


def test_tasks_an_instance_makes_without_a_dag_are_said_once() -> None:
    dags, errors = scan_source("/dags/floating.py", textwrap.dedent('''
        from airflow import DAG
        from airflow.operators.empty import EmptyOperator

        class Steps:
            def __init__(self, name):
                self.first = EmptyOperator(task_id=f"{name}_a")
                self.second = EmptyOperator(task_id=f"{name}_b")

        with DAG("d"):
            EmptyOperator(task_id="start")
        Steps("x")
    '''))
    assert [e.error for e in errors] == ["2 tasks made by Steps() (line 12) belong to no DAG found statically (a class "
                                         "that attaches its tasks later, through its methods, is not followed)"]


def test_a_callable_is_no_data_only_when_the_code_it_calls_touches_no_table(tmp_path: Path) -> None:
    """A python callable with no database call of its own is read through the repository helpers it calls (the
    effect analysis of plugin classes): one whose helper loads into BigQuery writes the table the helper is given
    (the helper's body is read where the callable calls it), one whose helper runs SQL built at run time is
    unresolved and says where, one that only calls an HTTP API touches no data, one calling a library no rule knows
    is not known."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "utils").mkdir()
    (tmp_path / "utils" / "__init__.py").write_text("")
    (tmp_path / "utils" / "store.py").write_text(
        "from google.cloud import bigquery\n\n\ndef load_rows(rows, table):\n"
        "    bigquery.Client().load_table_from_json(rows, table)\n\n\ndef run(sql):\n"
        "    bigquery.Client().query(sql)\n")
    (tmp_path / "utils" / "web.py").write_text("import requests\n\n\ndef fetch(url):\n    return requests.get(url).json()\n")
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "calls.py").write_text(textwrap.dedent('''
        import heroku3
        from airflow import DAG
        from airflow.decorators import task
        from airflow.operators.python import PythonOperator
        from utils.store import load_rows, run
        from utils.web import fetch

        def import_articles():
            load_rows(fetch("https://api.example.org/articles"), "lake.raw.articles")

        def rebuild():
            run(fetch("https://api.example.org/sql"))

        def ping():
            fetch("https://api.example.org/health")

        with DAG("calls"):
            PythonOperator(task_id="import_articles", python_callable=import_articles)
            PythonOperator(task_id="ping", python_callable=ping)
            PythonOperator(task_id="rebuild", python_callable=rebuild)

            @task
            def restart():
                heroku3.from_key("k").apps()["etl"].restart()

            restart()
    '''))
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks}
    assert tasks["ping"].status == "no_data"
    imported = tasks["import_articles"]
    assert (imported.status, imported.writes) == ("resolved", ["bigquery:lake.raw.articles"]), imported.errors
    rebuild = tasks["rebuild"]
    assert rebuild.status == "unresolved" and "utils/store.py:9" in rebuild.errors[0], rebuild.errors
    assert tasks["restart"].status == "unresolved" and "heroku3.from_key" in tasks["restart"].errors[0], tasks["restart"].errors


@pytest.mark.parametrize("mode", ["static", "import"])
def test_objects_holding_templated_sql_in_a_template_field_are_the_sql_the_operator_runs(mode: str) -> None:
    """dataservices-airflow's pattern: factory objects (module constants made by a repository class) build records
    whose class declares ``template_fields = ("sql",)`` through a method (``string.Template`` fills their names);
    the records, collected in lists inside the DAG, are one operator's templated field, and its ``__init__`` gathers
    their params (a repository helper, ``AttrDict``, ``|``) for Airflow to render their SQL with. Each SQL text is
    read with those params; a param from a Variable names no table (in import mode the Variable is not set, so the
    DAG file does not import: the other tasks are still read)."""
    tasks = _scan_with_config("nested_checks", mode)
    got = {tid: (t.status, t.reads, t.writes) for tid, t in tasks.items()}
    assert {tid: got[tid] for tid in ("both", "one")} == {
        "both": ("resolved", ["warehouse:wh.shop.orders", "warehouse:wh.shop.customers"], []),  # information_schema: none
        "one": ("resolved", ["warehouse:wh.shop.items"], []),
    }
    if mode == "static":
        assert got["hidden"] == ("unresolved", [], [])
        assert any("param `x_rows.table`" in e for e in tasks["hidden"].errors), tasks["hidden"].errors
    else:
        assert "hidden" not in got


@pytest.mark.parametrize(("source", "expected"), [
    ("from string import Template\nX = Template('SELECT * FROM $t.${name}_v').safe_substitute(t='s', name='n')",
     "SELECT * FROM s.n_v"),
    ("from string import Template\nX = Template('FROM $t $left').safe_substitute({'t': 'a'})", "FROM a $left"),
    ("from string import Template\nX = Template('FROM $t $left').substitute(t='a')", None),  # a name not given
    ("X = {'a': 1} | {'b': 2}", {"a": 1, "b": 2}),
    ("from attrdict import AttrDict\nX = AttrDict({'a': {'t': 'x'}})", {"a": {"t": "x"}}),
])
def test_string_templates_dict_union_and_dict_like_classes_are_evaluated(source: str, expected: object) -> None:
    from overlay.discover.evaluate import UNKNOWN
    from overlay.discover.static.scanner import StaticScanner

    scanner = StaticScanner("/dags/x.py", source)
    scope: dict[str, object] = {}
    scanner.exec_block(__import__("ast").parse(source).body, scope)
    assert scope["X"] == (UNKNOWN if expected is None else expected)


def test_a_dataclass_with_methods_keeps_its_fields_and_its_properties_are_computed() -> None:
    """data-gcp's pattern: a list of ``@dataclass`` configs with ``@property`` methods (and no ``__init__`` of their
    own) drives a loop of tasks: each instance has the fields it was made with, its properties run on them; a
    property over a value not known stays unknown (no table named from it)."""
    dags, errors = scan_source("/dags/exports.py", textwrap.dedent('''
        from dataclasses import dataclass
        from airflow import DAG
        from airflow.models import Variable
        from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

        PREFIX = "exp"

        @dataclass
        class Export:
            model: str
            mode: str = "full"

            @property
            def table(self) -> str:
                return f"{PREFIX}_{self.model}"

            def describe(self):
                return self.mode

        EXPORTS = [Export("orders"), Export(model="users", mode="delta"), Export(Variable.get("extra"))]
        with DAG("exports") as dag:
            for i, e in enumerate(EXPORTS):
                SQLExecuteQueryOperator(task_id=f"copy_{i}", conn_id="wh",
                                        sql=f"INSERT INTO out.{e.table} SELECT * FROM src.{e.model}")
    '''))
    tasks = {t.task_id: t for t in dags[0].tasks}
    assert tasks["copy_0"].args["sql"] == "INSERT INTO out.exp_orders SELECT * FROM src.orders"
    assert tasks["copy_1"].args["sql"] == "INSERT INTO out.exp_users SELECT * FROM src.users"
    assert "sql" not in tasks["copy_2"].args and "sql" in tasks["copy_2"].unknown_args


def test_after_an_if_not_known_statically_a_value_either_branch_may_set_is_not_known() -> None:
    """dataservices-airflow's ``DatabaseEngine`` sets ``self.temp_db_schema`` in both branches of ``if
    os.environ.get(...)``: both branches run (their tasks are found), but the value after them is one of two, so it
    is not known (before, the else branch's won: a guessed schema). The same value on both sides stays known."""
    dags, _ = scan_source("/dags/branches.py", textwrap.dedent('''
        import os
        from airflow import DAG
        from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

        class Engine:
            def __init__(self):
                if os.environ.get("ON_AZURE") is not None:
                    self.schema = "azure_tmp"
                    self.db = "wh"
                else:
                    self.schema = "public"
                    self.db = "wh"

        if os.environ.get("PROD"):
            table = "orders"
        else:
            table = "orders_dev"

        engine = Engine()
        with DAG("branches") as dag:
            SQLExecuteQueryOperator(task_id="schema", conn_id="wh", sql=f"DELETE FROM {engine.schema}.x")
            SQLExecuteQueryOperator(task_id="db", conn_id="wh", sql=f"DELETE FROM {engine.db}.x")
            SQLExecuteQueryOperator(task_id="table", conn_id="wh", sql=f"DELETE FROM s.{table}")
    '''))
    tasks = {t.task_id: t for t in dags[0].tasks}
    assert "sql" in tasks["schema"].unknown_args and "sql" in tasks["table"].unknown_args
    assert tasks["db"].args["sql"] == "DELETE FROM wh.x"


def test_a_variables_file_of_the_repository_gives_the_variables_loops_read(tmp_path: Path) -> None:
    """dataservices-airflow keeps its Variables in ``src/vars/vars.yaml`` (imported into Airflow at deploy time) and
    builds tasks in loops over ``Variable.get(name, deserialize_json=True)``: ``variables_file:`` reads that file as
    ``airflow variables import`` stores it (a structure as its JSON text), under ``variables:``, never outside the
    repository."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "vars").mkdir()
    (tmp_path / "vars" / "vars.yaml").write_text("shop:\n  tables: [orders, items]\nplain: text\n")
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "loop.py").write_text(textwrap.dedent('''
        from airflow import DAG
        from airflow.models import Variable
        from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

        config = Variable.get("shop", deserialize_json=True)
        with DAG("loop") as dag:
            for name in config["tables"]:
                SQLExecuteQueryOperator(task_id=f"count_{name}", conn_id="wh", sql=f"SELECT COUNT(*) FROM shop.{name}")
    '''))
    config = tmp_path / "overlay.yaml"
    config.write_text("variables_file: vars/vars.yaml\nvariables: {plain: mine}\nconnections: {wh: {dialect: postgres, database: db}}\n")
    settings = load_settings(str(config), [str(dags)])
    assert settings.variables == {"shop": '{"tables": ["orders", "items"]}', "plain": "mine"}  # variables: wins
    tasks = {t.task_id: t for t in scan_folders([str(dags)], mode="static", settings=settings, workers=1).tasks}
    assert {tid: t.reads for tid, t in tasks.items()} == {"count_orders": ["wh:db.shop.orders"], "count_items": ["wh:db.shop.items"]}
    outside = tmp_path.parent / f"{tmp_path.name}_outside.json"
    outside.write_text('{"a": "b"}')
    for bad, why in ((f"../{outside.name}", "outside the repository"), ("vars/none.yaml", "not found"), ("vars", "not found")):
        with pytest.raises(ConfigError, match=why):
            parse_settings({"variables_file": bad}, str(config))
    (tmp_path / "vars" / "bad.env").write_text("NOEQUALS\n")
    with pytest.raises(ConfigError, match="line 1: expected NAME=value"):
        parse_settings({"variables_file": "vars/bad.env"}, str(config))


def test_list_and_dict_changes_in_place_are_applied_or_make_the_value_unknown() -> None:
    """A list given to a task and then cleared (dataservices' ``total_checks.clear()`` in a loop) is empty when the
    task runs; a change the evaluator cannot compute makes the list unknown, never leaves its old contents."""
    import ast

    from overlay.discover.evaluate import UNKNOWN
    from overlay.discover.static.scanner import StaticScanner

    cases = {"a = [1, 2]\nb = a\na.clear()\nX = b": [], "a = [1, 2, 3]\na.remove(2)\na.insert(0, 9)\nX = a": [9, 1, 3],
             "d = {'a': 1, 'b': 2}\nd.popitem()\nX = d": {"a": 1},
             "from m import q\na = [1, 2]\na.remove(q)\nX = a": [UNKNOWN], "from m import q\na = [1]\na.extend(q)\nX = a": [UNKNOWN],
             "a = [1]\na.remove(5)\nX = a": [UNKNOWN]}
    for source, expected in cases.items():
        scope: dict[str, object] = {}
        StaticScanner("/dags/x.py", source).exec_block(ast.parse(source).body, scope)
        assert scope["X"] == expected, source


def test_a_loop_over_a_deployment_folder_lists_the_folder_of_the_checkout(tmp_path: Path) -> None:
    """NYCPlanning's db-airflow-dags loops over ``os.listdir("/home/airflow/airflow/dags/<dag>/config")``: the
    deployment path of a folder the repository holds. Static discovery maps it into the checkout as extraction maps
    template paths (``paths:``, else the longest part found there); a folder the checkout does not hold stays
    refused, with the setting named."""
    (tmp_path / ".git").mkdir()
    config = tmp_path / "dags" / "assembly" / "config"
    config.mkdir(parents=True)
    for name in ("add_parks", "add_schools"):
        (config / f"{name}.sql").write_text(f"INSERT INTO facilities SELECT * FROM {name.split('_')[1]}")
    (tmp_path / "dags" / "assembly.py").write_text(textwrap.dedent('''
        import os
        from airflow import DAG
        from airflow.providers.postgres.operators.postgres import PostgresOperator

        with DAG("assembly", template_searchpath="/home/airflow/airflow/dags") as dag:
            for task_file in os.listdir("/home/airflow/airflow/dags/assembly/config"):
                PostgresOperator(task_id=task_file[:-4], postgres_conn_id="fac", sql="/assembly/config/" + task_file)
            for name in os.listdir("/srv/elsewhere/nothing"):
                PostgresOperator(task_id=name, postgres_conn_id="fac", sql="SELECT 1")
    '''))
    result = scan_folders([str(tmp_path / "dags")], mode="static", workers=1)
    tasks = {t.task_id: t for t in result.tasks}
    assert {tid: (t.reads, t.writes) for tid, t in tasks.items()} == {
        "add_parks": (["fac:parks"], ["fac:facilities"]), "add_schools": (["fac:schools"], ["fac:facilities"])}
    assert any("/srv/elsewhere/nothing" in e.error and "`paths:`" in e.error for e in result.errors), result.errors


@pytest.mark.parametrize("mode", ["static", "import"])
def test_repository_helpers_a_callable_calls_are_read_with_the_handles_it_gives_them(mode: str) -> None:
    """`export_trees(conn, 178)` from lib/: the SQL the helper runs through the callable's connection is the task's;
    a helper opening its own hook on a module constant, a module attribute call, keyword arguments, SQL in a file
    the helper opens beside itself (`%s::int[]` markers), a namespace package's module, the SQL a helper returns (one return, or several giving the same), an instance of a repository class keeping
    the hooks it was given and read through its methods, Jinja a helper renders itself (a name nobody gives: not
    rendered), a value known only at run time (the helper's file:line in
    the reason), a cycle between helpers (read once), a file outside the repository (never read)."""
    result = scan_folders([str(FIXTURES / "callable_helpers" / "dags")], mode=mode, workers=1)  # import: the same reading
    tasks = {t.task_id: t for t in result.tasks}
    assert (tasks["export"].reads, tasks["export"].writes) == (["warehouse:forest.trees", "warehouse:forest.planters"], [])
    assert (tasks["copy"].reads, tasks["copy"].writes) == (["warehouse:forest.trees"], ["warehouse:forest.trees_copy"])
    assert tasks["count"].reads == ["warehouse:forest.planters"] and tasks["count"].status == "resolved"
    assert tasks["untagged"].reads == ["warehouse:forest.trees", "warehouse:forest.tags"]
    assert tasks["untagged"].status == "resolved"
    summary = tasks["summary"]
    assert (summary.status, summary.reads, summary.writes) == ("partial", ["warehouse:forest.trees"], [])
    assert any("lib/exports.py:24" in e and "day" in e for e in summary.errors)
    assert tasks["ping"].status == "unresolved" and not tasks["ping"].reads
    backup = tasks["backup"]  # the SQL a helper returns, called inside the hook call
    assert (backup.reads, backup.writes) == (["warehouse:forest.tags"], ["warehouse:forest.tags_backup"])
    either = tasks["either"]  # two returns, which one is not known: no table
    assert either.status == "unresolved" and not either.reads and not either.writes
    mirror = tasks["mirror"]  # a repository class holding two hooks, driven through its methods
    assert (mirror.reads, mirror.writes) == (["forest_db:forest.trees", "forest_db:forest.tags", "warehouse:staging.trees"],
                                             ["warehouse:mirror.trees"])
    assert any("lib/managers.py:18 sync" in n for n in mirror.notes)  # how it was read, as --explain shows it
    rendered = tasks["rendered"]  # a helper rendering its own Jinja template with the values it is given
    assert (rendered.reads, rendered.writes) == (["warehouse:forest.trees"], ["warehouse:forest.archive"])
    assert tasks["rendered_unknown"].status == "unresolved" and not tasks["rendered_unknown"].writes
    engine = tasks["engine"]  # an engine built from the fields of BaseHook.get_connection("warehouse")
    assert (engine.status, engine.writes) == ("resolved", ["warehouse:forest.stale"]), engine.errors
    purge = tasks["purge"]  # `import jobs.cleanup` of a folder without __init__.py binds `jobs`
    assert (purge.reads, purge.writes) == (["warehouse:forest.trees"], ["warehouse:forest.tags"])
    outside = tasks["outside"]
    assert outside.status == "unresolved" and not outside.reads and not outside.writes
    assert not any("passwd" in f for t in result.tasks for f in t.sql_files)
    assert not result.errors


def test_helpers_are_listed_only_for_callables_that_reach_data() -> None:
    source = textwrap.dedent('''
        from airflow import DAG
        from airflow.operators.python import PythonOperator

        def shout(text):
            return text.upper()

        def loud():
            print(shout("hello"))

        with DAG("d"):
            PythonOperator(task_id="loud", python_callable=loud)
    ''')
    dags, _errors = scan_source("/dags/loud.py", source)
    assert dags[0].tasks[0].callable_effect == "none" and dags[0].tasks[0].callable_helpers == {}


@pytest.mark.parametrize("mode", ["static", "import"])
def test_a_repository_operator_without_a_rule_is_read_by_its_own_execute(mode: str) -> None:
    """harper-concierge's pattern: plugin operators whose SQL is built in ``__init__`` (``self.a, self.b = a, b``;
    an ``if`` on a known argument), sent in ``execute`` through ``BaseHook.get_hook(self.conn_id)``, an engine a
    mixin's method makes from the hook's URI, a method given the connection (``self.audit(conn)``), a hook kept on
    ``self``; ``template_fields`` rendered as Airflow renders them; statements collected in a loop over what the
    database returns stay unknown (the reason names the plugin's line), never the empty list they started as."""
    result = scan_folders([str(FIXTURES / "operator_code" / "dags")], mode=mode, workers=1)
    tasks = {t.task_id: t for t in result.tasks}
    for task_id in ("append", "append_unknown"):  # an XCom inside a WHERE literal names no table
        assert (tasks[task_id].status, tasks[task_id].reads, tasks[task_id].writes) == \
            ("resolved", ["lake:staging.orders"], ["lake:lake.orders", "lake:ops.load_audit"])
    assert (tasks["rebuild"].reads, tasks["rebuild"].writes) == (["lake:lake.customers"], ["lake:lake.customers_full"])
    rename = tasks["rename"]
    assert rename.status == "unresolved" and not rename.reads and not rename.writes
    assert "plugins/operators/datalake.py:68" in rename.errors[0] and "statements" in rename.errors[0]
    assert (tasks["announce"].status, tasks["announce"].operator) == ("no_data", "BaseOperator")  # it only logs
    assert (tasks["wait_rows"].status, tasks["wait_rows"].reads) == ("resolved", ["lake:lake.orders"])  # its poke
    assert not result.errors


def test_repository_code_is_listed_once_per_file_however_many_tasks_run_it() -> None:
    """Five callables driving one class and a loop of twenty tasks over one callable: the DAG carries each function
    once (``DagSpec.code``), the tasks name their listing by ``ref``."""
    found = discover_folder(str(FIXTURES / "callable_helpers" / "dags"), mode="static")
    dag = next(d for f in found for d in f.dags if d.dag_id == "trees")
    refs = {t.task_id: t.callable_helpers.get("ref") for t in dag.tasks}
    assert all(refs.values()) and len(set(refs.values())) == len(refs)  # one listing per callable
    methods = [k for k in dag.code if k.endswith(("TreeSync.sync", "TreeSync.rows", "TreeSync.__init__"))]
    assert len(methods) == 3  # the class once, though listed for the task that makes it
    assert all("source" in dag.code[k] for k in methods)
    assert not any("functions" in dag.code[r] for r in refs.values())  # functions live in the table, not per listing


def test_files_written_for_python_3_12_f_strings_are_read() -> None:
    """PEP 701 f-strings (`f"{TABLES["orders"]}"`) in a DAG file and in a helper it imports: the file and the helper
    parse with their nested quotes swapped, so their tasks are found and their SQL read."""
    tasks = _tasks("py312_fstrings")
    assert {tid: (t.reads, t.writes) for tid, t in tasks.items()} == {
        "load_eu": (["shop:raw.orders_eu"], ["shop:sales.orders"]),
        "load_us": (["shop:raw.orders_us"], ["shop:sales.orders"]),
        "rollup": (["shop:sales.orders"], ["shop:sales.daily_orders"]),
    }


def test_a_lambda_given_as_python_callable_is_read_like_a_function(tmp_path: Path) -> None:
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "lambdas.py").write_text(textwrap.dedent('''
        from datetime import datetime
        from airflow import DAG
        from airflow.operators.python import PythonOperator
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        def refresh(table, hook):
            hook.run(f"REFRESH MATERIALIZED VIEW {table}")

        with DAG("lambdas", start_date=datetime(2024, 1, 1), schedule=None):
            PythonOperator(task_id="start", python_callable=lambda: print("Start task"))
            PythonOperator(task_id="refresh", python_callable=lambda **context: refresh(
                "sales.daily_totals", PostgresHook(postgres_conn_id="wh")))
            PythonOperator(task_id="unknown", python_callable=lambda: refresh(context_table(), None))
    '''))
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks}
    assert (tasks["start"].status, tasks["start"].errors) == ("no_data", [])
    assert (tasks["refresh"].status, tasks["refresh"].writes) == ("resolved", ["wh:sales.daily_totals"])
    assert tasks["unknown"].status == "unresolved" and tasks["unknown"].writes == []


def test_a_hook_made_at_the_top_of_the_dag_file_is_the_callables_connection(tmp_path: Path) -> None:
    """`hook = MySqlHook(mysql_conn_id=CONN)` at module level, `hook.get_pandas_df(sql)` in callables: the SQL runs on
    that connection. A name the module assigns twice, or the callable binds itself, is not taken from the module."""
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "report.py").write_text(textwrap.dedent('''
        from datetime import datetime
        from airflow import DAG
        from airflow.decorators import task
        from airflow.operators.python import PythonOperator
        from airflow.providers.mysql.hooks.mysql import MySqlHook

        CONN = "reports_db"
        hook = MySqlHook(mysql_conn_id=CONN)
        twice = MySqlHook(mysql_conn_id="first")
        twice = MySqlHook(mysql_conn_id="second")

        def shadowed(hook=None):
            return hook.get_pandas_df("SELECT * FROM reports.shadowed")

        with DAG("report", start_date=datetime(2024, 1, 1), schedule=None):
            @task(task_id="build")
            def build():
                flow = hook.get_pandas_df("SELECT country, total FROM reports.rpt_data_flow")
                return len(flow)

            @task(task_id="ambiguous")
            def ambiguous():
                return twice.get_records("SELECT 1 FROM reports.either")

            build()
            ambiguous()
            PythonOperator(task_id="shadowed", python_callable=shadowed)
    '''))
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks}
    assert (tasks["build"].status, tasks["build"].reads) == ("resolved", ["reports_db:reports.rpt_data_flow"])
    for name in ("ambiguous", "shadowed"):
        assert tasks[name].status == "unresolved" and tasks[name].reads == [], (name, tasks[name].reads)


def test_a_connection_from_a_variable_names_no_database_until_overlay_yaml_gives_it(tmp_path: Path) -> None:
    """`conn_id=Variable.get("app_db")`: the operator's default connection is not the one it uses, so its tables
    are not named under it (they were, as `postgres:...`); the reason names the Variable, and `variables:` resolves it."""
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "etl.py").write_text(textwrap.dedent('''
        from datetime import datetime
        from airflow import DAG
        from airflow.models import Variable
        from airflow.providers.postgres.operators.postgres import PostgresOperator

        APP_DB = Variable.get("app_db")
        with DAG("etl", start_date=datetime(2024, 1, 1), schedule=None):
            PostgresOperator(task_id="build", postgres_conn_id=APP_DB,
                             sql="INSERT INTO anm.total SELECT * FROM anm.active")
    '''))
    folder = str(tmp_path / "dags")
    task = scan_folders([folder], mode="static", workers=1).tasks[0]
    assert (task.status, task.reads, task.writes) == ("unresolved", [], [])
    assert any("postgres_conn_id" in e and "Variable 'app_db'" in e and "`variables:`" in e for e in task.errors), task.errors
    settings = parse_settings({"variables": {"app_db": "warehouse"}})
    task = scan_folders([folder], mode="static", settings=settings, workers=1).tasks[0]
    assert (task.status, task.reads, task.writes) == ("resolved", ["warehouse:anm.active"], ["warehouse:anm.total"])


def test_a_hook_class_of_the_teams_own_opens_as_the_library_hook_it_derives_from(tmp_path: Path) -> None:
    """`class AzureHook(PostgresHook)` in plugins/, made with no connection: Airflow opens PostgresHook's default
    (postgres_default), so its tables are named there, never under a guessed 'default' namespace."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "azure_hook.py").write_text(textwrap.dedent('''
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        class AzureHook(PostgresHook):
            def __init__(self, dataset_name=None, **kwargs):
                super().__init__(**kwargs)
                self.dataset_name = dataset_name
    '''))
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "copy.py").write_text(textwrap.dedent('''
        from datetime import datetime
        from airflow import DAG
        from airflow.operators.python import PythonOperator
        from azure_hook import AzureHook

        def insert_rows(table, rows):
            AzureHook(dataset_name="maps").insert_rows(table, rows)

        def copy():
            insert_rows("public.map_labels_temp", [])

        with DAG("maps", start_date=datetime(2024, 1, 1), schedule=None):
            PythonOperator(task_id="copy", python_callable=copy)
    '''))
    task = scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks[0]
    assert (task.status, task.writes) == ("resolved", ["postgres_default:public.map_labels_temp"]), task.errors


def test_the_repository_s_docker_compose_mounts_say_where_deployment_paths_are() -> None:
    """`template_searchpath="/opt/airflow/sql"` and `sql="/opt/airflow/queries/daily.sql"` name the containers' folders;
    the repository's docker-compose file mounts `./sql` and `./reports` there (short and long syntax, a `${VAR:-.}`
    default), so those files are read, and the report says which mount (the suffix guess would find no `queries/`)."""
    tasks = _tasks("compose_mounts")
    assert (tasks["load"].status, tasks["load"].reads, tasks["load"].writes) == ("resolved", ["pg:raw.orders"], ["pg:mart.orders"])
    report = tasks["report"]
    assert (report.status, report.reads, report.writes) == ("resolved", ["pg:mart.orders"], ["pg:mart.daily"]), report.errors
    assert any("docker-compose.yaml mounts ./reports at /opt/airflow/queries" in n for n in report.notes), report.notes


def test_folders_a_dag_file_puts_on_sys_path_are_where_its_imports_are_found() -> None:
    """`sys.path.append("/opt/airflow/scripts")` (a container folder the compose file mounts) and
    `sys.path.insert(0, <the DAG folder>/../lib)` make `from tasks.load import ...` and `from checks import ...`
    modules of the repository, read for the callables they hold."""
    tasks = _tasks("compose_mounts")
    assert (tasks["copy"].status, tasks["copy"].reads, tasks["copy"].writes) == (
        "resolved", ["pg:mart.orders"], ["pg:mart.orders_copy"]), tasks["copy"].errors
    assert (tasks["count"].status, tasks["count"].reads) == ("resolved", ["pg:mart.orders_copy"]), tasks["count"].errors


def test_compose_bind_mounts_only_name_folders_inside_the_repository(tmp_path: Path) -> None:
    from overlay.extract.compose_volumes import compose_remaps

    (tmp_path / "dags").mkdir()
    (tmp_path / "include").mkdir()
    (tmp_path / "compose.yml").write_text(textwrap.dedent("""
        services:
          worker:
            volumes:
              - ./include:/usr/local/airflow/include:ro
              - ../outside:/opt/outside
              - /etc/hosts:/etc/hosts
              - cache:/cache
              - ${NO_DEFAULT}/x:/opt/x
    """))
    (tmp_path.parent / "outside").mkdir(exist_ok=True)
    found = compose_remaps((str(tmp_path / "dags"),), str(tmp_path))
    assert [(prefix, target) for prefix, target, _ in found] == [("/usr/local/airflow/include/", str(tmp_path / "include"))]
