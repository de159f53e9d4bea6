"""BigQueryInsertJobOperator configurations: query, load, extract and copy jobs."""

from __future__ import annotations

from pathlib import Path

from overlay.extract import ExtractContext, extract_task
from overlay.model import DagSpec, TaskAccess, TaskSpec

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
DAG = DagSpec("d", str(FIXTURES / "dags" / "etl.py"), template_searchpath=[str(FIXTURES / "searchpath")])


def _job(configuration: object, unknown: list[str] | None = None, **args) -> TaskAccess:  # noqa: ANN003
    task = TaskSpec("d", "t", "BigQueryInsertJobOperator", DAG.file, 40,
                    args={"configuration": configuration, "gcp_conn_id": "bq", **args}, unknown_args=unknown or [])
    if configuration is None:
        task.args.pop("configuration")
    return extract_task(task, DAG, ExtractContext())


def _direct(access: TaskAccess) -> list[tuple]:
    return [(d.table, d.mode, d.origin) for d in access.direct]


def test_query_job_with_destination_default_dataset_and_jinja() -> None:
    access = _job({"query": {"query": "SELECT * FROM events WHERE day = '{{ ds }}'", "useLegacySql": False,
                             "defaultDataset": {"projectId": "p2", "datasetId": "raw"},
                             "destinationTable": {"datasetId": "mart", "tableId": "daily_{{ ds_nodash }}"},
                             "writeDisposition": "WRITE_TRUNCATE"}}, project_id="p1")
    (source,) = access.sql
    assert (source.sql, source.conn_id, source.dialect, source.database, source.schema, source.origin) == (
        "SELECT * FROM events WHERE day = '2024-01-15'", "bq", "bigquery", "p2", "raw", "bigquery:query")
    assert _direct(access) == [("p1.mart.daily_20240115", "write", "bigquery:query")]


def test_query_job_defaults_to_legacy_sql_like_the_jobs_api() -> None:
    (legacy,) = _job({"query": {"query": "SELECT * FROM [p:ds.t]"}}).sql
    assert legacy.sql == "SELECT * FROM `p.ds.t`"
    (standard,) = _job({"query": {"query": "SELECT [1] FROM `p.ds.t`", "useLegacySql": False}}).sql
    assert standard.sql == "SELECT [1] FROM `p.ds.t`"


def test_load_extract_and_copy_jobs() -> None:
    load = _job({"load": {"sourceUris": ["gs://b/*.csv"], "destinationTable": {"projectId": "p", "datasetId": "raw", "tableId": "x"}}})
    assert _direct(load) == [("p.raw.x", "write", "bigquery:load")] and load.sql == []
    extract = _job({"extract": {"sourceTable": {"datasetId": "mart", "tableId": "y"}, "destinationUris": ["gs://b/y"]}}, project_id="p")
    assert _direct(extract) == [("p.mart.y", "read", "bigquery:extract")]
    copy = _job({"copy": {"sourceTables": [{"projectId": "p", "datasetId": "a", "tableId": "s1"}, "p:a.s2"],
                          "destinationTable": {"projectId": "p", "datasetId": "b", "tableId": "d"}}})
    assert _direct(copy) == [("p.a.s1", "read", "bigquery:copy"), ("p.a.s2", "read", "bigquery:copy"), ("p.b.d", "write", "bigquery:copy")]


def test_configuration_from_a_json_template_file() -> None:
    access = _job("job.json", params={"project": "proj"})
    assert [s.sql for s in access.sql] == ["SELECT * FROM `proj.raw.events` WHERE day = '2024-01-15'"]
    assert _direct(access) == [("proj.mart.events_daily", "write", "bigquery:query")]
    assert access.files == [str(FIXTURES / "searchpath" / "job.json")]  # a rescan notices when it changes


def test_configuration_problems_are_unresolved() -> None:
    assert _job(None, unknown=["configuration"]).unresolved == ["BigQueryInsertJobOperator configuration is computed at run time (line 40)"]
    assert _job("missing.json").unresolved[0].startswith("BigQueryInsertJobOperator: configuration file 'missing.json' not found")
    assert _job({"labels": {}}).unresolved == ["BigQueryInsertJobOperator: configuration has no query, load, extract or copy job (line 40)"]
    assert _job(None).unresolved[0] == "BigQueryInsertJobOperator: no configuration given (line 40)"
