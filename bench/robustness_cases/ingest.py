"""Hostile query histories (issue 10 §7): every bad row is a counted malformed row, the rest is
ingested, cumulative statistics are billed once, and `cost --json` stays valid JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HOUR_MS = 3_600_000


def _catalog(tmp: str):  # noqa: ANN202
    from overlay.catalog import Catalog

    return Catalog.open(f"sqlite:///{Path(tmp) / 'c.db'}")


def _ingest(tmp: str, content: bytes, source: str, name: str = "h.jsonl") -> dict:
    from overlay.attribution.attribute import CostModel
    from overlay.attribution.history import read_history

    path = Path(tmp) / name
    path.write_bytes(content)
    return _catalog(tmp).ingest_queries(read_history(path, source), CostModel())


def _lines(*rows: dict | str) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows).encode()


GOOD = {"job_id": "good", "query": "SELECT 1", "creation_time": "2026-11-01T00:00:00Z", "total_bytes_billed": 2**40}


def _expect(result: dict, inserted: int, malformed: int) -> str | None:
    if (result["inserted"], result["malformed"]) != (inserted, malformed):
        return f"inserted {result['inserted']}, malformed {result['malformed']} (expected {inserted}, {malformed})"
    return None


def _rows_case(content: bytes, source: str, inserted: int, malformed: int, name: str = "h.jsonl"):  # noqa: ANN202
    def run() -> str | None:
        with tempfile.TemporaryDirectory(prefix="overlay-robust-ingest-") as tmp:
            return _expect(_ingest(tmp, content, source, name), inserted, malformed)
    return run


def _snapshots() -> str | None:
    with tempfile.TemporaryDirectory(prefix="overlay-robust-ingest-") as tmp:
        def snap(at: str, calls: int, total: float) -> bytes:
            return _lines({"queryid": 7, "dbid": 1, "userid": 2, "query": "SELECT 1", "calls": calls,
                           "total_exec_time": total, "captured_at": at})
        _ingest(tmp, snap("2026-11-01T01:00:00Z", 1, HOUR_MS), "postgres", "s1.jsonl")
        _ingest(tmp, snap("2026-11-01T02:00:00Z", 2, 2 * HOUR_MS), "postgres", "s2.jsonl")
        reset = _ingest(tmp, snap("2026-11-01T03:00:00Z", 1, HOUR_MS / 2), "postgres", "s3.jsonl")
        total = _catalog(tmp).cost_report("task")["total"]
        if abs(total - 2.5) > 1e-9:
            return f"billed {total} h for 2.5 h of work (1 h, then 2 h cumulative, then a reset and 0.5 h)"
        if reset.get("cumulative", {}).get("reset") != 1:
            return f"the stats reset was not detected: {reset.get('cumulative')}"
    return None


def _cost_json_valid() -> str | None:
    with tempfile.TemporaryDirectory(prefix="overlay-robust-ingest-") as tmp:
        history = Path(tmp) / "jobs.jsonl"
        history.write_bytes(_lines(GOOD, '{"job_id": "n", "query": "SELECT 2", "total_bytes_billed": NaN}',
                                   '{"job_id": "i", "query": "SELECT 3", "total_bytes_billed": Infinity}',
                                   '{"job_id": "e", "query": "SELECT 4", "total_bytes_billed": 1e400}'))
        db = f"sqlite:///{Path(tmp) / 'c.db'}"
        _catalog(tmp).close()  # the commands want an existing catalog
        base = [sys.executable, "-m", "overlay.cli.main"]
        subprocess.run([*base, "attribute", str(history), "--source", "bigquery", "--db", db], capture_output=True,
                       timeout=50, cwd=tmp)
        out = subprocess.run([*base, "cost", "--by", "task", "--db", db, "--json"], capture_output=True, text=True,
                             timeout=50, cwd=tmp).stdout

        def refuse(name: str) -> None:
            raise ValueError(name)
        try:
            json.loads(out, parse_constant=refuse)
        except ValueError as e:
            return f"cost --json is not valid JSON: {e}"
    return None


def cases():
    bom = b"\xef\xbb\xbf"
    yield ("ingest", "pg_stat_statements snapshots 1 h then 2 h, then a reset", _snapshots)
    for bad in ("NaN", "Infinity", "-Infinity", "1e400", "-1", '"12abc"', '{"a": 1}'):
        row = json.dumps({**GOOD, "job_id": "bad"})[:-1] + f', "total_bytes_billed": {bad}}}'
        row = row.replace('"total_bytes_billed": 1099511627776, ', "")
        yield ("ingest", f"total_bytes_billed {bad}", _rows_case(_lines(row, GOOD), "bigquery", 1, 1))
    yield ("ingest", "cost --json after NaN/Infinity/1e400 rows", _cost_json_valid)
    for when in ("1e20", "-1e20", "true", '"99999-01-01"', '"not a time"', "[1]"):
        row = json.dumps({**GOOD, "job_id": "bad"})[:-1] + f', "start_time": {when}}}'
        row = row.replace('"creation_time": "2026-11-01T00:00:00Z", ', "")
        yield ("ingest", f"start_time {when}", _rows_case(_lines(row, GOOD), "bigquery", 1, 1))
    yield ("ingest", "JSONL with a UTF-8 BOM", _rows_case(bom + _lines(GOOD), "bigquery", 1, 0))
    yield ("ingest", "CSV with a UTF-8 BOM keeps its first column",
           _rows_case(bom + b"QUERY_ID,QUERY_TEXT,TOTAL_ELAPSED_TIME,WAREHOUSE_SIZE\nq1,SELECT 1,1000,SMALL\n"
                      b"q2,SELECT 1,1000,SMALL\n", "snowflake", 2, 0, "h.csv"))
    long_a, long_b = "p." + "j" * 300 + "a", "p." + "j" * 300 + "b"
    yield ("ingest", "two 303-character job ids sharing 128 characters",
           _rows_case(_lines({**GOOD, "job_id": long_a}, {**GOOD, "job_id": long_b}), "bigquery", 2, 0))
    yield ("ingest", "one non-UTF-8 byte in a JSONL row",
           _rows_case(_lines(GOOD) + b'{"job_id": "x", "query": "SELECT \xff"}\n' + _lines({**GOOD, "job_id": "g2"}),
                      "bigquery", 2, 1))
    yield ("ingest", "one non-UTF-8 byte in a CSV row",
           _rows_case(b"QUERY_ID,QUERY_TEXT,TOTAL_ELAPSED_TIME,WAREHOUSE_SIZE\na,SELECT 1,1,SMALL\n"
                      b"b,SELECT \xfe,1,SMALL\nc,SELECT 3,1,SMALL\n", "snowflake", 2, 1, "h.csv"))
    yield ("ingest", "a lone surrogate escape in a query id",
           _rows_case(_lines('{"job_id": "a\\udc80", "query": "SELECT 1"}', GOOD), "bigquery", 1, 1))
    yield ("ingest", "a JSON line nested 100,000 deep",
           _rows_case(_lines("[" * 100_000, GOOD), "bigquery", 1, 1))
    yield ("ingest", "a 20-digit-thousand integer", _rows_case(_lines('{"job_id": "b", "query": "SELECT 1", '
                                                                      '"total_bytes_billed": ' + "9" * 20_000 + "}", GOOD),
                                                               "bigquery", 1, 1))
    yield ("ingest", "a NUL in a CSV query id",
           _rows_case(b"QUERY_ID,QUERY_TEXT,TOTAL_ELAPSED_TIME,WAREHOUSE_SIZE\na\x00,SELECT 1,1,SMALL\n"
                      b"c,SELECT 3,1,SMALL\n", "snowflake", 1, 1, "h.csv"))
    yield ("ingest", "a 300-character dag_id tag",
           _rows_case(_lines({**GOOD, "job_id": "t", "query": "SELECT 1 /*dag_id='" + "d" * 300 + "',task_id='t'*/"},
                             GOOD), "bigquery", 1, 1))
