"""BigQuery table names as operators, the bq CLI and job configurations write them."""

from __future__ import annotations

import re
from typing import Any

# legacy SQL table references: [project:dataset.table], [dataset.table], with an optional @decorator
_LEGACY_REF = re.compile(r"\[((?:[\w.-]+:)?[\w-]+\.[\w$-]+)(?:@[-\d]*)?\]")


def bq_table(name: str) -> str:
    """``project:dataset.table`` or `` `project.dataset.table` `` -> ``project.dataset.table``; a partition
    decorator (``table$20240115``, no part of the table's name) is dropped."""
    return name.strip().strip("`").replace(":", ".").split("$", 1)[0]


def qualify(name: str, project: str | None) -> str:
    """A ``dataset.table`` name gets the operator's project; fuller names stay as written."""
    name = bq_table(name)
    return f"{project}.{name}" if project and name.count(".") == 1 else name


def table_ref(ref: Any, project: str | None) -> str | None:
    """A job configuration's table: ``{"projectId", "datasetId", "tableId"}`` or a string."""
    if isinstance(ref, str) and ref.strip():
        return qualify(ref, project)
    if isinstance(ref, dict) and ref.get("tableId"):
        parts = [ref.get("projectId") or project, ref.get("datasetId"), ref.get("tableId")]
        return ".".join(str(p) for p in parts if p)
    return None


def legacy_to_standard(sql: str) -> str:
    """Legacy SQL's bracketed names become standard backquoted ones, so the SQL parses as BigQuery SQL."""
    return _LEGACY_REF.sub(lambda m: f"`{bq_table(m.group(1))}`", sql)
