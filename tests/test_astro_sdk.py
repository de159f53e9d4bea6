"""The Astro SDK (``from astro import sql as aql``), read statically: tables given as ``Table`` objects.

The fixture folder (``fixtures/real_patterns/astro_sdk``) reproduces what Astronomer's tutorials and the
projects built on them do: ``aql.load_file`` into a named table, ``@aql.transform`` functions chained on each
other's output, temporary tables, ``transform_file`` with parameters, checks and exports, on PostgreSQL, Snowflake
and BigQuery connections that overlay.yaml describes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from overlay.config import load_settings
from overlay.discover.astro.tables import default_schemas, qualified, table
from overlay.scan import scan_folders

FIXTURE = Path(__file__).parent / "fixtures" / "real_patterns" / "astro_sdk"


@pytest.fixture(scope="module")
def tasks() -> dict[str, object]:
    folder = str(FIXTURE / "dags")
    settings = load_settings(str(FIXTURE / "overlay.yaml"), [folder])
    return {f"{t.dag_id}.{t.task_id}": t for t in scan_folders([folder], mode="static", settings=settings, workers=1).tasks}


def _access(task: object) -> tuple[str, list[str], list[str]]:
    return task.status, task.reads, task.writes  # type: ignore[attr-defined]


EXPECTED = {
    # load_file writes its output_table; the file it reads is no table
    "movies.load_file": ("resolved", [], ["pg:shop.raw.imdb_movies"]),
    # a transform given an earlier task's output reads the table that task writes; an output_table with no
    # metadata is in Astro's schema on PostgreSQL (tmp_astro); its id is the function's name, numbered when reused
    "movies.top_titles": ("resolved", ["pg:shop.raw.imdb_movies"], ["pg:shop.tmp_astro.top_animation"]),
    "movies.top_titles__1": ("resolved", ["pg:shop.raw.old_films"], ["pg:shop.tmp_astro.top_drama"]),
    # no output_table: a temporary table, which no catalog can name (not a table it writes)
    "movies.joined": ("resolved", ["pg:shop.raw.imdb_movies", "pg:shop.raw.ratings"], []),
    "movies.purge_old": ("resolved", [], ["pg:shop.raw.imdb_movies"]),  # run_raw_sql: the SQL as it is
    "movies.summarize": ("resolved", ["pg:shop.tmp_astro.top_animation"], []),  # @aql.dataframe reads it whole
    "movies.append_table": ("resolved", ["pg:shop.tmp_astro.top_animation"], ["pg:shop.mart.all_tops"]),
    "movies.save_comedy": ("resolved", ["pg:shop.mart.top_comedy"], []),
    "movies.drop": ("no_data", [], []),  # DROP TABLE, read as the SQL would be
    "movies.cleanup": ("no_data", [], []),
    # Snowflake: a table with no metadata is in the connection's schema; a TaskGroup prefixes the id
    "orders_snowflake.marts.daily": ("resolved", ["snow:farm.sales.orders"], ["snow:farm.marts.daily_orders"]),
    "orders_snowflake.by_region": ("resolved", ["snow:farm.sales.orders"], ["snow:farm.sales.by_region"]),
    "orders_snowflake.check_table": ("resolved", ["snow:farm.sales.orders"], []),
    # a loop of load_file calls with f-string ids and names, on BigQuery
    "retail.raw.load_invoices": ("resolved", [], ["bigquery:acme-data.retail.raw_invoices"]),
    "retail.raw.load_countries": ("resolved", [], ["bigquery:acme-data.retail.raw_countries"]),
    "retail.load_events": ("resolved", [], ["bigquery:acme-data.retail.raw_events"]),  # LoadFileOperator.partial().expand()
}


def test_astro_tasks_read_and_write_the_tables_their_objects_name(tasks: dict[str, object]) -> None:
    found = {key: _access(tasks[key]) for key in EXPECTED if key in tasks}
    assert found == EXPECTED
    assert set(tasks) == {*EXPECTED, "movies.top_titles__2", "movies.load_extra"}
    assert all(not tasks[key].errors for key in EXPECTED)


def test_a_temporary_table_is_no_asset_and_the_note_names_the_task_that_writes_it(tasks: dict[str, object]) -> None:
    # Astro names it `_tmp_<random>` at run time and drops it: like a DataFrame in XCom, not a table to catalog
    comedy = tasks["movies.top_titles__2"]
    assert _access(comedy) == ("resolved", [], ["pg:shop.mart.top_comedy"])
    assert any("what task `joined` returns, a temporary table" in n and "output_table=Table(name=...)" in n
               for n in comedy.notes), comedy.notes
    assert not any("runtime_" in key or "_tmp" in key for t in tasks.values() for key in [*t.reads, *t.writes])


def test_a_table_named_by_a_variable_is_not_named_and_the_setting_is_given(tasks: dict[str, object]) -> None:
    extra = tasks["movies.load_extra"]
    assert _access(extra) == ("unresolved", [], [])
    assert "Variable 'extra_table'" in extra.errors[0] and "`variables:`" in extra.errors[0]


def test_the_transform_sql_renders_tables_and_binds_values_as_astro_does(tasks: dict[str, object]) -> None:
    top = tasks["movies.top_titles"]
    assert top.sql == ["SELECT title, rating FROM raw.imdb_movies WHERE genre = :genre ORDER BY rating DESC LIMIT 5"]
    region = tasks["orders_snowflake.by_region"]  # the file is found from the project folder, beside dags/
    assert [Path(f).as_posix().rsplit("/", 3)[-3:] for f in region.sql_files] == [["include", "sql", "by_region.sql"]]
    assert "FROM orders" in region.sql[0] and "> :min_total" in region.sql[0]


@pytest.mark.parametrize(("dialect", "connection", "expected"), [
    ("postgres", {}, "tmp_astro.events"),  # Astro's own schema
    ("bigquery", {}, "tmp_astro.events"),
    ("snowflake", {"schema": "sales"}, "events"),  # the connection's schema, which resolution fills in
    ("snowflake", {}, "tmp_astro.events"),  # a connection naming no schema: Astro's
    ("sqlite", {}, "events"),
])
def test_an_empty_metadata_takes_the_schema_astro_gives_that_database(dialect: str, connection: dict[str, str], expected: str) -> None:
    assert qualified(table({"name": "events"}), dialect, connection, default_schemas({})) == (expected, None)


def test_the_deployment_s_astro_schema_setting_is_used_and_an_unknown_database_kind_names_nothing() -> None:
    schemas = default_schemas({"AIRFLOW__ASTRO_SDK__SQL_SCHEMA": "scratch", "AIRFLOW__ASTRO_SDK__BIGQUERY_DEFAULT_SCHEMA": "bq_tmp"})
    assert qualified(table({"name": "events"}), "postgres", {}, schemas) == ("scratch.events", None)
    assert qualified(table({"name": "events"}), "bigquery", {}, schemas) == ("bq_tmp.events", None)
    name, why = qualified(table({"name": "events"}), None, {}, schemas)
    assert name is None and "not known" in why
    assert qualified(table({"name": "events", "metadata": None}), "postgres", {}, schemas)[0] is None  # metadata unknown
