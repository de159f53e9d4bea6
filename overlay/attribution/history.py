"""Warehouse query history, streamed row by row from exported files (CSV or JSON Lines).

Snowflake ``QUERY_HISTORY`` (with ``CREDITS_ATTRIBUTED_COMPUTE`` when joined from
``QUERY_ATTRIBUTION_HISTORY``), BigQuery ``INFORMATION_SCHEMA.JOBS``, PostgreSQL
``pg_stat_statements`` and any CSV with a column mapping. Memory stays flat for any size: one row
at a time. A row that cannot be read becomes a ``Malformed`` record with its line and reason.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

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
                 "started_at": ("captured_at", "stats_since")},
}
csv.field_size_limit(sys.maxsize)



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
    with open(path, encoding="utf-8", newline="") as f:
        first = f.read(1)
        f.seek(0)
        rows = _json_lines(f) if first in "{[" else _csv_rows(f)
        headers: dict[frozenset[str], dict[str, tuple[str, ...]]] = {}
        for line, row in rows:
            if isinstance(row, Malformed):
                yield row
                continue
            shape = frozenset(row)
            resolved = headers.get(shape) or headers.setdefault(shape, _resolve_columns(row, columns))
            try:
                yield record_from_row(row, source, resolved, exact=True)
            except (KeyError, ValueError, TypeError) as e:
                yield Malformed(line, f"{type(e).__name__}: {e}")


def _csv_rows(f: Iterable[str]) -> Iterator[tuple[int, dict[str, Any] | Malformed]]:
    reader = csv.DictReader(f)
    for row in reader:
        if None in row or any(v is None for v in row.values()):
            yield reader.line_num, Malformed(reader.line_num, "wrong number of fields")
            continue
        yield reader.line_num, row


def _json_lines(f: Iterable[str]) -> Iterator[tuple[int, dict[str, Any] | Malformed]]:
    for number, line in enumerate(f, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as e:
            yield number, Malformed(number, f"invalid JSON: {e.msg}")
            continue
        yield number, row if isinstance(row, dict) else Malformed(number, "a JSON line must be an object")


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
                return value
        return None

    text = get("text")
    if not text:
        raise ValueError("no query text")
    query_id = get("query_id")
    if source == "postgres" and query_id is not None:
        query_id = f"{query_id}:{get('calls') or ''}"  # a cumulative pg_stat_statements row, as of its call count
    query_id = str(query_id) if query_id is not None else "sha1:" + hashlib.sha1(f"{text}|{get('started_at')}".encode()).hexdigest()
    tags = parse_sqlcommenter(text)
    tag, labels = get("tag"), get("labels")
    if tag:
        tags.update(parse_query_tag(tag))
    if labels:
        tags.update(parse_labels(labels))
    bytes_billed = get("bytes_billed")
    return QueryRecord(
        source=source, query_id=query_id, text=text, started_at=_time(get("started_at")), duration_ms=_number(get("duration_ms")),
        bytes_billed=int(_number(bytes_billed) or 0) if bytes_billed is not None else None,
        credits=_number(get("credits")), warehouse_size=get("warehouse_size"), tags=tags,
    )


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    number = float(value)
    if number != number or number < 0:  # NaN or negative
        raise ValueError(f"not a usable amount: {value!r}")
    return number


def _time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
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
