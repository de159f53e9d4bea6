"""Warehouse query history, streamed row by row from exported files (CSV or JSON Lines).

Snowflake ``QUERY_HISTORY`` (with ``CREDITS_ATTRIBUTED_COMPUTE`` when joined from
``QUERY_ATTRIBUTION_HISTORY``), BigQuery ``INFORMATION_SCHEMA.JOBS``, PostgreSQL
``pg_stat_statements`` and any CSV with a column mapping. Memory stays flat for any size: one row
at a time. A row that cannot be read (bad JSON, wrong field count, a byte that is not UTF-8, an
amount that is not a finite number, a time out of range...) becomes a ``Malformed`` record with
its line and reason, and the rest of the file is read. A UTF-8 byte-order mark is skipped.
pg_stat_statements rows are cumulative: they carry their statement key and call count, and
ingestion bills the difference between snapshots (``cumulative.py``).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from overlay.attribution.cumulative import statement_key
from overlay.attribution.tags import parse_labels, parse_query_tag, parse_sqlcommenter

SOURCES = ("snowflake", "bigquery", "postgres", "csv")
DIALECTS = {"snowflake": "snowflake", "bigquery": "bigquery", "postgres": "postgres", "csv": None}
# field -> column names that hold it, per source (matched case-insensitively)
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "snowflake": {"query_id": ("query_id",), "text": ("query_text",), "started_at": ("start_time",),
                  "duration_ms": ("total_elapsed_time", "execution_time"), "credits": ("credits_attributed_compute",),
                  "warehouse_size": ("warehouse_size",), "tag": ("query_tag",)},
    "bigquery": {"query_id": ("job_id",), "text": ("query",), "started_at": ("start_time", "creation_time"),
                 "bytes_billed": ("total_bytes_billed",), "labels": ("labels",), "duration_ms": ("total_slot_ms",)},
    "postgres": {"query_id": ("queryid",), "text": ("query",), "duration_ms": ("total_exec_time",), "calls": ("calls",),
                 "started_at": ("captured_at", "stats_since"), "dbid": ("dbid",), "userid": ("userid",),
                 "stats_since": ("stats_since",)},
}
csv.field_size_limit(sys.maxsize)
# amounts above this are not measurements (1e15 ms is 31,000 years; bytes and credits alike)
MAX_AMOUNT = 1e15
MAX_QUERY_ID = 2048  # BigQuery job ids reach 1,024 characters; ids are stored whole up to this
_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, as read with surrogateescape



@dataclass
class QueryRecord:
    source: str
    query_id: str
    text: str
    started_at: datetime | None = None
    duration_ms: float | None = None
    bytes_billed: int | None = None
    credits: float | None = None
    warehouse_size: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    # cumulative sources (pg_stat_statements): the statement (queryid, dbid, userid) and its totals
    statement: str | None = None
    calls: int | None = None
    stats_since: datetime | None = None
    line: int | None = None  # where the row was read, for reports


@dataclass
class Malformed:
    line: int
    reason: str


def read_history(path: str | Path, source: str, mapping: dict[str, str] | None = None) -> Iterator[QueryRecord | Malformed]:
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}: use one of {', '.join(SOURCES)}")
    if source == "csv" and not mapping:
        raise ValueError("a csv source needs a column mapping: --map query_id=COL --map text=COL [--map started_at=COL ...]")
    columns = {k: (v,) for k, v in mapping.items()} if mapping else COLUMNS[source]
    # utf-8-sig: a byte-order mark is not part of the first column; surrogateescape: a byte that is
    # not UTF-8 fails its own row (see _not_utf8), not the file
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
        first = f.read(64).lstrip()[:1]
        f.seek(0)
        rows = _json_lines(f) if first and first in "{[" else _csv_rows(f)
        headers: dict[frozenset[str], dict[str, tuple[str, ...]]] = {}
        for line, row in rows:
            if isinstance(row, Malformed):
                yield row
                continue
            shape = frozenset(row)
            resolved = headers.get(shape) or headers.setdefault(shape, _resolve_columns(row, columns))
            try:
                record = record_from_row(row, source, resolved, exact=True)
                record.line = line
                yield record
            except Exception as e:  # noqa: BLE001 - any bad value is this row's problem, never the file's
                yield Malformed(line, _reason(e))


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {str(error)[:200]}"


def _csv_rows(f: Iterable[str]) -> Iterator[tuple[int, dict[str, Any] | Malformed]]:
    reader = csv.DictReader(f)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:  # a NUL byte, a bad quote: this line only
            yield reader.line_num, Malformed(reader.line_num, f"unreadable CSV line: {e}")
            continue
        if None in row or any(v is None for v in row.values()):
            yield reader.line_num, Malformed(reader.line_num, "wrong number of fields")
            continue
        bad = next((k for k, v in row.items() if not v.isascii() and _NOT_UTF8.search(v)), None)
        if bad is not None:
            yield reader.line_num, Malformed(reader.line_num, f"not valid UTF-8 (column {_printable(bad)})")
            continue
        yield reader.line_num, row


def _json_lines(f: Iterable[str]) -> Iterator[tuple[int, dict[str, Any] | Malformed]]:
    for number, line in enumerate(f, start=1):
        if not line.strip():
            continue
        if not line.isascii() and _NOT_UTF8.search(line):
            yield number, Malformed(number, "not valid UTF-8")
            continue
        try:
            row = json.loads(line, parse_constant=_no_constant)
        except ValueError as e:
            yield number, Malformed(number, f"invalid JSON: {getattr(e, 'msg', e)}")
            continue
        except RecursionError:
            yield number, Malformed(number, "invalid JSON: nested too deeply")
            continue
        yield number, row if isinstance(row, dict) else Malformed(number, "a JSON line must be an object")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _printable(text: str) -> str:
    return repr(text.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))


def _resolve_columns(row: dict[str, Any], columns: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Field -> the row's own header names for it (headers are matched case-insensitively, once per file)."""
    by_lower = {str(k).lower(): k for k in row}
    return {name: tuple(by_lower[c.lower()] for c in names if c.lower() in by_lower) for name, names in columns.items()}


def record_from_row(row: dict[str, Any], source: str, columns: dict[str, tuple[str, ...]], exact: bool = False) -> QueryRecord:
    """A QueryRecord from one row; ``exact`` when ``columns`` already holds the row's own header names."""
    if not exact:
        columns = _resolve_columns(row, columns)

    def get(name: str) -> Any:
        for column in columns.get(name, ()):
            value = row[column]
            if value is not None and value != "":
                if isinstance(value, str) and not value.isascii():
                    _check_text(value, column)
                return value
        return None

    text = get("text")
    if not text or not isinstance(text, str):
        raise ValueError("no query text")
    query_id = get("query_id")
    statement = calls = stats_since = None
    if source == "postgres" and query_id is not None:
        statement = statement_key(query_id, get("dbid"), get("userid"))
        calls_value = _number(get("calls"), "calls")
        calls = int(calls_value) if calls_value is not None else None
        query_id = f"{statement}:{calls if calls is not None else ''}"  # a cumulative row, as of its call count
        stats_since = _time(get("stats_since"))
    query_id = str(query_id) if query_id is not None else "sha1:" + hashlib.sha1(f"{text}|{get('started_at')}".encode()).hexdigest()
    if len(query_id) > MAX_QUERY_ID:
        raise ValueError(f"query id longer than {MAX_QUERY_ID} characters")
    if "\x00" in query_id:
        raise ValueError("query id holds a NUL character")
    tags = parse_sqlcommenter(text)
    tag, labels = get("tag"), get("labels")
    if tag:
        tags.update(parse_query_tag(tag))
    if labels:
        tags.update(parse_labels(labels))
    bytes_billed = _number(get("bytes_billed"), "bytes_billed")
    warehouse_size = get("warehouse_size")
    return QueryRecord(
        source=source, query_id=query_id, text=text, started_at=_time(get("started_at")),
        duration_ms=_number(get("duration_ms"), "duration_ms"),
        bytes_billed=int(bytes_billed) if bytes_billed is not None else None,
        credits=_number(get("credits"), "credits"), warehouse_size=str(warehouse_size) if warehouse_size is not None else None,
        tags=tags, statement=statement, calls=calls, stats_since=stats_since,
    )


def _check_text(value: str, column: str) -> None:
    """Text that came from bytes that are not UTF-8, or a lone surrogate from a JSON escape, cannot be stored."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"not valid UTF-8 in column {_printable(column)}") from None


def _number(value: Any, name: str = "amount") -> float | None:
    """A finite, non-negative amount no larger than MAX_AMOUNT (inf, NaN and 1e400 are refused)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{name} is not a number: {str(value)[:40]!r}")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ValueError(f"{name} is not a number: {str(value)[:40]!r}") from None
    if not math.isfinite(number) or number < 0 or number > MAX_AMOUNT:
        raise ValueError(f"{name} is not a usable amount: {str(value)[:40]!r}")
    return number


def _time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"time out of range: {value!r}") from None
    text = str(value).strip()
    if text.endswith("UTC"):
        text = text[:-3].rstrip() + "+00:00"
    elif text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if len(text) > 6 and text[-6] == " " and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-6]}{text[-5:-2]}:{text[-2:]}"  # Snowflake's "2026-10-05 04:12:01.120 +0000"
    if len(text) > 11 and text[10] == " " and text[4] == "-":
        text = f"{text[:10]}T{text[11:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"unreadable time {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
