"""Issue 10 §7: query-history ingest bills cumulative statistics once, and one bad row never stops a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from overlay.attribution.attribute import CostModel
from overlay.attribution.cumulative import Baseline, Delta, difference
from overlay.attribution.history import read_history
from overlay.catalog import Catalog
from overlay.catalog.schema import Query

HOUR_MS = 3_600_000.0


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _snapshot(captured: str, calls: int, total_ms: float, queryid: int = 42, userid: int = 10) -> dict:
    return {"queryid": queryid, "dbid": 1, "userid": userid, "query": "SELECT count(*) FROM raw.orders",
            "calls": calls, "total_exec_time": total_ms, "captured_at": captured}


def _total(catalog: Catalog) -> float:
    return catalog.cost_report("task")["total"]


def _ingest(catalog: Catalog, path: Path, source: str, **kw) -> dict:  # noqa: ANN003
    return catalog.ingest_queries(read_history(path, source, kw.get("mapping")), CostModel())


def test_difference_between_snapshots() -> None:
    one = Baseline(10, HOUR_MS, datetime(2026, 11, 1, 1, tzinfo=timezone.utc))
    two = Baseline(20, 2 * HOUR_MS, datetime(2026, 11, 1, 2, tzinfo=timezone.utc))
    assert difference(None, one) == (Delta(10, HOUR_MS), "first")
    assert difference(one, two) == (Delta(10, HOUR_MS), "delta")
    assert difference(two, one) == (None, "older")
    reset = Baseline(3, 1000.0, datetime(2026, 11, 1, 3, tzinfo=timezone.utc))
    assert difference(two, reset) == (Delta(3, 1000.0), "reset")
    later_same = Baseline(20, 2 * HOUR_MS, datetime(2026, 11, 1, 4, tzinfo=timezone.utc))
    assert difference(two, later_same) == (None, "unchanged")
    since = datetime(2026, 11, 1, 3, tzinfo=timezone.utc)
    grew_back = Baseline(50, 9 * HOUR_MS, datetime(2026, 11, 1, 5, tzinfo=timezone.utc), stats_since=since)
    before = Baseline(20, 2 * HOUR_MS, two.captured_at, stats_since=datetime(2026, 10, 1, tzinfo=timezone.utc))
    assert difference(before, grew_back) == (Delta(50, 9 * HOUR_MS), "reset")


def test_pg_stat_statements_snapshots_bill_differences_and_detect_a_reset(db_url: str, tmp_path: Path) -> None:
    catalog = Catalog.open(db_url)
    first = _jsonl(tmp_path / "s1.jsonl", [_snapshot("2026-11-01T01:00:00Z", 10, HOUR_MS),
                                           _snapshot("2026-11-01T01:00:00Z", 1, HOUR_MS, userid=11)])
    second = _jsonl(tmp_path / "s2.jsonl", [_snapshot("2026-11-01T02:00:00Z", 20, 2 * HOUR_MS),
                                            _snapshot("2026-11-01T02:00:00Z", 1, HOUR_MS, userid=11)])
    assert _ingest(catalog, first, "postgres")["cumulative"]["first"] == 2
    result = _ingest(catalog, second, "postgres")
    assert result["cumulative"] == {"first": 0, "delta": 1, "reset": 0, "unchanged": 1, "older": 0}
    assert _total(catalog) == pytest.approx(3.0)  # 2 h for user 10 (not 1 h + 2 h), 1 h for user 11
    again = _ingest(catalog, second, "postgres")
    assert again["inserted"] == 0 and _total(catalog) == pytest.approx(3.0)  # idempotent
    assert _ingest(catalog, first, "postgres")["cumulative"]["older"] == 2 and _total(catalog) == pytest.approx(3.0)
    after_reset = _jsonl(tmp_path / "s3.jsonl", [_snapshot("2026-11-01T03:00:00Z", 5, HOUR_MS / 2)])
    result = _ingest(catalog, after_reset, "postgres")
    assert result["cumulative"]["reset"] == 1 and result["inserted"] == 1
    assert _total(catalog) == pytest.approx(3.5)  # the half hour since the reset, never a negative bill
    with catalog.engine.connect() as conn:
        assert all(cost >= 0 for cost in conn.execute(select(Query.cost)).scalars())


@pytest.mark.parametrize("bad", ["inf", "NaN", "1e400", "-5", "-inf", "12abc"])
def test_non_finite_amounts_are_malformed_rows(bad: str, tmp_path: Path) -> None:
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'c.db'}")
    history = tmp_path / "h.csv"
    history.write_text("QUERY_ID,QUERY_TEXT,START_TIME,TOTAL_ELAPSED_TIME,WAREHOUSE_SIZE\n"
                       f"q1,SELECT 1,2026-11-01T00:00:00Z,{bad},MEDIUM\n"
                       "q2,SELECT 2,2026-11-01T00:00:00Z,3600000,MEDIUM\n")
    result = _ingest(catalog, history, "snowflake")
    assert (result["rows"], result["malformed"]) == (1, 1)
    assert result["malformed_examples"][0]["line"] == 2 and "duration_ms" in result["malformed_examples"][0]["reason"]
    assert _total(catalog) == pytest.approx(4 * 3.0)


def test_json_nan_infinity_and_huge_numbers_never_reach_cost_json(tmp_path: Path) -> None:
    history = _jsonl(tmp_path / "jobs.jsonl", [
        {"job_id": "ok", "query": "SELECT 1", "creation_time": "2026-11-01T00:00:00Z", "total_bytes_billed": 2**40},
        {"job_id": "big", "query": "SELECT 2", "creation_time": "2026-11-01T00:00:00Z", "total_bytes_billed": 1e300},
    ])
    with history.open("a") as f:
        f.write('{"job_id": "nan", "query": "SELECT 3", "total_bytes_billed": NaN}\n')
        f.write('{"job_id": "inf", "query": "SELECT 4", "total_bytes_billed": Infinity}\n')
        f.write('{"job_id": "e400", "query": "SELECT 5", "total_bytes_billed": 1e400}\n')
    db = f"sqlite:///{tmp_path / 'c.db'}"
    Catalog.open(db).close()  # the commands want an existing catalog
    env = {**os.environ, "COLUMNS": "200"}
    run = lambda *a: subprocess.run([sys.executable, "-m", "overlay.cli.main", *a, "--db", db, "--json"],  # noqa: E731
                                    capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    ingested = json.loads(run("attribute", str(history), "--source", "bigquery").stdout)
    assert (ingested["rows"], ingested["malformed"]) == (1, 4)
    out = run("cost", "--by", "task").stdout
    report = json.loads(out, parse_constant=lambda name: pytest.fail(f"cost --json printed {name}"))
    assert report["total"] == pytest.approx(6.25)


def test_a_row_with_a_time_out_of_range_is_counted_and_the_file_goes_on(tmp_path: Path) -> None:
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'c.db'}")
    history = _jsonl(tmp_path / "jobs.jsonl", [
        {"job_id": "far", "query": "SELECT 1", "start_time": 1e20, "total_bytes_billed": 1},
        {"job_id": "bool", "query": "SELECT 1", "start_time": True, "total_bytes_billed": 1},
        {"job_id": "year", "query": "SELECT 1", "start_time": "99999-01-01", "total_bytes_billed": 1},
        {"job_id": "text", "query": {"not": "text"}, "total_bytes_billed": 1},
        {"job_id": "ok", "query": "SELECT 2", "start_time": 1.7e9, "total_bytes_billed": 2**40},
    ])
    result = _ingest(catalog, history, "bigquery")  # used to raise OverflowError out of the whole file
    assert (result["rows"], result["inserted"], result["malformed"]) == (1, 1, 4)
    assert "time out of range" in result["malformed_examples"][0]["reason"]
    assert [e["line"] for e in result["malformed_examples"]] == [1, 2, 3, 4]


def test_a_utf8_byte_order_mark_is_not_data(tmp_path: Path) -> None:
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'c.db'}")
    jsonl = tmp_path / "jobs.jsonl"
    jsonl.write_bytes(b"\xef\xbb\xbf" + json.dumps({"job_id": "j1", "query": "SELECT 1", "total_bytes_billed": 1}).encode() + b"\n")
    assert _ingest(catalog, jsonl, "bigquery")["inserted"] == 1  # was 0 rows, silently
    csv = tmp_path / "history.csv"
    csv.write_bytes(b"\xef\xbb\xbfQUERY_ID,QUERY_TEXT,TOTAL_ELAPSED_TIME,WAREHOUSE_SIZE\nsf-1,SELECT 1,1000,SMALL\n")
    assert _ingest(catalog, csv, "snowflake")["inserted"] == 1
    with catalog.engine.connect() as conn:
        ids = set(conn.execute(select(Query.query_id).where(Query.source == "snowflake")).scalars())
    assert ids == {"sf-1"}  # the first column was lost to the BOM (an id made from a hash)


def test_long_query_ids_are_kept_whole(db_url: str, tmp_path: Path) -> None:
    catalog = Catalog.open(db_url)
    prefix = "project:region." + "j" * 200
    history = _jsonl(tmp_path / "jobs.jsonl", [
        {"job_id": prefix + "_one", "query": "SELECT 1", "total_bytes_billed": 1},
        {"job_id": prefix + "_two", "query": "SELECT 2", "total_bytes_billed": 1},
        {"job_id": "x" * 5000, "query": "SELECT 3", "total_bytes_billed": 1},
    ])
    result = _ingest(catalog, history, "bigquery")
    assert (result["inserted"], result["malformed"]) == (2, 1)  # the two used to collide at 128 characters
    assert "longer than 2048" in result["malformed_examples"][0]["reason"]
    with catalog.engine.connect() as conn:
        assert set(conn.execute(select(Query.query_id)).scalars()) == {prefix + "_one", prefix + "_two"}


def test_a_byte_that_is_not_utf8_fails_its_row_only(db_url: str, tmp_path: Path) -> None:
    catalog = Catalog.open(db_url)
    csv = tmp_path / "history.csv"
    csv.write_bytes(b"QUERY_ID,QUERY_TEXT,TOTAL_ELAPSED_TIME,WAREHOUSE_SIZE\n"
                    b"a,SELECT 1,1000,SMALL\nb,SELECT '\xff',1000,SMALL\nc,SELECT 3,1000,SMALL\n"
                    b"d\x00,SELECT 4,1000,SMALL\ne,SELECT \x00 5,1000,SMALL\n")
    result = _ingest(catalog, csv, "snowflake")  # used to be UnicodeDecodeError for the whole file
    assert (result["inserted"], result["malformed"]) == (3, 2)
    reasons = {e["line"]: e["reason"] for e in result["malformed_examples"]}
    assert "not valid UTF-8" in reasons[3] and "NUL" in reasons[5]  # PostgreSQL text cannot hold NUL
    jsonl = tmp_path / "jobs.jsonl"
    jsonl.write_bytes(b'{"job_id": "j1", "query": "SELECT 1", "total_bytes_billed": 1}\n'
                      b'{"job_id": "j2", "query": "SELECT \xfe", "total_bytes_billed": 1}\n'
                      b'{"job_id": "j3\\udc80", "query": "SELECT 3", "total_bytes_billed": 1}\n'
                      b'{"job_id": "j4", "query": "SELECT 4", "total_bytes_billed": 1}\n')
    result = _ingest(catalog, jsonl, "bigquery")
    assert (result["inserted"], result["malformed"]) == (2, 2)
    assert all("UTF-8" in e["reason"] for e in result["malformed_examples"])


def test_prices_must_be_finite() -> None:
    with pytest.raises(ValueError, match="finite"):
        CostModel.from_settings({"postgres_hour": "inf"})
    with pytest.raises(ValueError, match="finite"):
        CostModel.from_settings({"snowflake_credit": "lots"})


def test_tags_the_catalog_cannot_hold_fail_their_row_only(db_url: str, tmp_path: Path) -> None:
    catalog = Catalog.open(db_url)
    history = _jsonl(tmp_path / "jobs.jsonl", [
        {"job_id": "long", "query": "SELECT 1 /*dag_id='" + "d" * 300 + "',task_id='t'*/", "total_bytes_billed": 1},
        {"job_id": "nul", "query": "SELECT 1 /*dag_id='a%00b',task_id='t'*/", "total_bytes_billed": 1},
        {"job_id": "ok", "query": "SELECT 1 /*dag_id='d',task_id='t'*/", "total_bytes_billed": 1},
    ])
    result = _ingest(catalog, history, "bigquery")  # on PostgreSQL the batch used to fail as a whole
    assert (result["inserted"], result["malformed"]) == (1, 2)
    assert [e["line"] for e in result["malformed_examples"]] == [1, 2]


def test_cost_reports_leave_out_non_finite_costs_an_older_catalog_may_hold(tmp_path: Path) -> None:
    from sqlalchemy import insert

    catalog = Catalog.open(f"sqlite:///{tmp_path / 'c.db'}")
    at = datetime(2026, 11, 2, tzinfo=timezone.utc)
    with catalog.engine.begin() as conn:
        conn.execute(insert(Query), [
            {"source": "bigquery", "query_id": "old-inf", "cost": float("inf"), "method": "tag", "dag_id": "d", "task_id": "t", "started_at": at},
            {"source": "bigquery", "query_id": "ok", "cost": 2.0, "method": "unattributed", "dag_id": None, "task_id": None,
             "started_at": at},
        ])
    report = catalog.cost_report("task", since=datetime(2026, 11, 1, tzinfo=timezone.utc),
                                 until=datetime(2026, 12, 1, tzinfo=timezone.utc), compare=True)
    assert report["total"] == 2.0
    json.dumps(report, allow_nan=False)  # raises on inf/NaN anywhere in the report
    json.dumps(catalog.top_unattributed(), allow_nan=False)
