"""Which task, asset and owner each warehouse query belongs to, most certain method first, and its cost.

1. ``tag``: the query says its dag_id and task_id (sqlcommenter comment, Snowflake QUERY_TAG, BigQuery labels);
2. ``fingerprint``: its normalized fingerprint equals the fingerprint of a scanned task's SQL;
3. ``tables``: it writes a table, and that table's producer is the task;
4. ``unattributed``.
Work per distinct statement is cached by a cheap textual key, so large histories parse each statement once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from overlay.attribution.fingerprint import fingerprint, quick_key
from overlay.attribution.history import DIALECTS, QueryRecord
from overlay.lineage import analyze_sql

# Snowflake credits per hour by warehouse size
WAREHOUSE_CREDITS_PER_HOUR = {"x-small": 1, "xsmall": 1, "small": 2, "medium": 4, "large": 8, "x-large": 16, "xlarge": 16,
                              "2x-large": 32, "xxlarge": 32, "3x-large": 64, "xxxlarge": 64, "4x-large": 128, "x4large": 128,
                              "5x-large": 256, "6x-large": 512}
DEFAULT_PRICES = {"snowflake_credit": 3.0, "bigquery_tib": 6.25, "postgres_hour": 1.0}


@dataclass
class CostModel:
    prices: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PRICES))

    @classmethod
    def from_settings(cls, cost: dict[str, Any] | None) -> CostModel:
        prices = dict(DEFAULT_PRICES)
        for name, value in (cost or {}).items():
            try:
                price = float(value)
            except (TypeError, ValueError):
                price = float("nan")
            if not math.isfinite(price) or price < 0:
                raise ValueError(f"cost: {name} must be a finite, non-negative price in USD, not {value!r}")
            prices[name] = price
        return cls(prices)

    def credits(self, record: QueryRecord) -> float | None:
        if record.source != "snowflake":
            return None
        if record.credits is not None:
            return record.credits  # QUERY_ATTRIBUTION_HISTORY's attributed credits
        per_hour = WAREHOUSE_CREDITS_PER_HOUR.get((record.warehouse_size or "").strip().lower())
        return per_hour * (record.duration_ms or 0) / 3_600_000 if per_hour else None

    def cost(self, record: QueryRecord) -> float:
        if record.source == "snowflake":
            return (self.credits(record) or 0.0) * self.prices["snowflake_credit"]
        if record.source == "bigquery":
            return (record.bytes_billed or 0) / 2**40 * self.prices["bigquery_tib"]
        return (record.duration_ms or 0) / 3_600_000 * self.prices["postgres_hour"]


@dataclass
class Attribution:
    dag_id: str | None
    task_id: str | None
    asset_key: str | None
    owner: str | None
    method: str
    fingerprint: str | None


@dataclass
class TaskFacts:
    writes: list[str]
    owner: str | None


class Attributor:
    """Built once from the catalog; ``attribute`` is then a few dictionary lookups per query."""

    def __init__(self, tasks: list[dict[str, Any]], asset_owners: dict[str, list[str]]) -> None:
        self.tasks: dict[tuple[str, str], TaskFacts] = {}
        self.by_fingerprint: dict[str, tuple[str, str]] = {}
        self.producer_of: dict[str, tuple[str, str]] = {}
        for task in tasks:
            ref = (task["dag_id"], task["task_id"])
            writes = list(task["writes"])
            owners = [o for key in writes for o in asset_owners.get(key, [])]
            self.tasks[ref] = TaskFacts(writes, owners[0] if owners else task.get("owner"))
            for sql in task.get("sql") or []:
                for dialect in {None, *DIALECTS.values()}:
                    fp = fingerprint(sql, dialect)
                    if fp:
                        self.by_fingerprint.setdefault(fp, ref)
            for key in writes:
                name = key.split(":", 1)[-1]
                for suffix in _suffixes(name):
                    self.producer_of.setdefault(suffix, ref)
        self._by_text: dict[str, tuple[str | None, tuple[str, str] | None, str]] = {}

    def attribute(self, record: QueryRecord) -> Attribution:
        tags = record.tags
        if tags and tags.get("dag_id") and tags.get("task_id"):
            # the query says where it comes from: no text analysis needed (fingerprints serve matching only)
            found, method, fp = (tags["dag_id"], tags["task_id"]), "tag", None
        else:
            key = quick_key(record.text)
            fp, found, method = self._by_text.get(key) or self._statement(key, record)
        if found is None:
            return Attribution(None, None, None, None, "unattributed", fp)
        facts = self.tasks.get(found)
        return Attribution(found[0], found[1], facts.writes[0] if facts and facts.writes else None,
                           facts.owner if facts else None, method, fp)

    def _statement(self, key: str, record: QueryRecord) -> tuple[str | None, tuple[str, str] | None, str]:
        dialect = DIALECTS.get(record.source)
        fp = fingerprint(record.text, dialect)
        found: tuple[str, str] | None = self.by_fingerprint.get(fp) if fp else None
        method = "fingerprint" if found else "unattributed"
        if found is None:
            for name in analyze_sql(record.text, dialect).writes:
                found = next((self.producer_of[s] for s in _suffixes(name) if s in self.producer_of), None)
                if found:
                    method = "tables"
                    break
        self._by_text[key] = (fp, found, method)
        return fp, found, method


def _suffixes(name: str) -> list[str]:
    parts = name.lower().split(".")
    return [".".join(parts[i:]) for i in range(len(parts)) if len(parts) - i >= 2] or [name.lower()]
