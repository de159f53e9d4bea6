"""Query tags that say which Airflow task sent a query: sqlcommenter comments, Snowflake QUERY_TAG, BigQuery labels.

sqlcommenter format (https://google.github.io/sqlcommenter/spec/): ``/*key='value',...*/`` appended to the
statement, keys sorted, values URL-encoded (and ``'`` escaped), existing comments kept.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, unquote

TAG_KEYS = ("dag_id", "task_id", "run_id", "try_number")
_COMMENT = re.compile(r"/\*(.*?)\*/", re.S)
_PAIR = re.compile(r"([A-Za-z0-9_.\-]+)='((?:[^'\\]|\\.)*)'")


def sqlcommenter(sql: str, tags: dict[str, Any]) -> str:
    """``sql`` with a sqlcommenter comment of ``tags`` appended (before a trailing semicolon)."""
    items = ",".join(f"{quote(str(k), safe='')}='{quote(str(v), safe='')}'" for k, v in sorted(tags.items()) if v is not None)
    if not items:
        return sql
    body = sql.rstrip()
    terminator = ";" if body.endswith(";") else ""
    body = body[:-1].rstrip() if terminator else body
    return f"{body} /*{items}*/{terminator}"


def parse_sqlcommenter(sql: str) -> dict[str, str]:
    """Tags of the last sqlcommenter comment in a query text ({} when there is none)."""
    if "/*" not in sql:
        return {}
    for body in reversed(_COMMENT.findall(sql)):
        pairs = _PAIR.findall(body)
        if pairs and "".join(f"{k}='{v}'" for k, v in pairs).replace(",", "") == body.strip().replace(",", ""):
            return {unquote(k): unquote(v.replace("\\'", "'")) for k, v in pairs}
    return {}


def parse_query_tag(tag: str | None) -> dict[str, str]:
    """Snowflake QUERY_TAG: JSON (``{"dag_id": ...}``) or sqlcommenter-style ``key='v',...``."""
    if not tag:
        return {}
    tag = tag.strip()
    if tag.startswith("{"):
        try:
            data = json.loads(tag)
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return {unquote(k): unquote(v) for k, v in _PAIR.findall(tag)}


def parse_labels(labels: Any) -> dict[str, str]:
    """BigQuery job labels: a dict, a JSON text, or INFORMATION_SCHEMA's list of {key, value}."""
    if isinstance(labels, str):
        try:
            labels = json.loads(labels) if labels.strip() else {}
        except ValueError:
            return {}
    if isinstance(labels, list):
        return {str(item.get("key")): str(item.get("value")) for item in labels if isinstance(item, dict)}
    if isinstance(labels, dict):
        return {str(k): str(v) for k, v in labels.items()}
    return {}


def bigquery_labels(tags: dict[str, Any]) -> dict[str, str]:
    """Labels allow lowercase letters, digits, `_` and `-` and 63 characters: task facts made to fit."""
    return {k: re.sub(r"[^a-z0-9_-]", "_", str(v).lower())[:63] for k, v in tags.items() if v is not None}
