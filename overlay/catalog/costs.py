"""Query history in the catalog: attributed ingestion (idempotent) and cost reports by asset, owner, DAG or task."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, func, select

from overlay.attribution.attribute import Attributor, CostModel
from overlay.attribution.history import Malformed, QueryRecord
from overlay.catalog.runs import as_utc
from overlay.catalog.schema import Asset, Query, Task, TaskIO

GROUPS = {"asset": Query.asset_key, "owner": Query.owner, "dag": Query.dag_id, "task": None}
BATCH = 20_000


class CostQueries:
    engine: Engine

    def attributor(self) -> Attributor:
        with self.engine.connect() as conn:
            owners = {key: sorted({c["owner"] for c in claims or [] if c.get("role", "owner") == "owner"})
                      for key, claims in conn.execute(select(Asset.key, Asset.owners))}
            tasks = {t.id: {"dag_id": t.dag_id, "task_id": t.task_id, "owner": t.owner, "sql": t.sql, "writes": []}
                     for t in conn.execute(select(Task.id, Task.dag_id, Task.task_id, Task.owner, Task.sql))}
            for task_pk, key in conn.execute(select(TaskIO.task_pk, Asset.key).select_from(TaskIO)
                                             .join(Asset, Asset.id == TaskIO.asset_id).where(TaskIO.mode == "write").order_by(Asset.key)):
                tasks[task_pk]["writes"].append(key)
        return Attributor(list(tasks.values()), owners)

    def ingest_queries(self, rows: Iterable[QueryRecord | Malformed], cost: CostModel) -> dict[str, Any]:
        attributor = self.attributor()
        counts: Counter[str] = Counter()
        malformed: list[dict[str, Any]] = []
        pending: list[dict[str, Any]] = []
        for row in rows:
            if isinstance(row, Malformed):
                counts["malformed"] += 1
                if len(malformed) < 20:
                    malformed.append({"line": row.line, "reason": row.reason})
                continue
            counts["rows"] += 1
            found = attributor.attribute(row)
            counts[found.method] += 1
            pending.append((row.source, row.query_id[:128], row.started_at, row.duration_ms, row.bytes_billed, cost.credits(row),
                            cost.cost(row), found.fingerprint, found.dag_id, found.task_id, found.asset_key, found.owner, found.method))
            if len(pending) >= BATCH:
                counts["inserted"] += self._insert(pending)
                pending = []
        counts["inserted"] += self._insert(pending)
        counts["duplicates"] = counts["rows"] - counts["inserted"]
        by_method = {m: counts[m] for m in ("tag", "fingerprint", "tables", "unattributed")}
        return {"rows": counts["rows"], "inserted": counts["inserted"], "duplicates": counts["duplicates"],
                "malformed": counts["malformed"], "malformed_examples": malformed, "by_method": by_method,
                "top_unattributed": self.top_unattributed() if by_method["unattributed"] else []}

    def _insert(self, rows: list[tuple[Any, ...]]) -> int:
        """Insert new queries (tuples in ``_COLUMNS`` order), skip ones already ingested; returns how many were new."""
        if not rows:
            return 0
        with self.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                return _insert_sqlite(conn, rows)
            from sqlalchemy.dialects.postgresql import insert

            statement = insert(Query.__table__).on_conflict_do_nothing(index_elements=["source", "query_id"]).returning(Query.__table__.c.id)
            return len(conn.execute(statement, [dict(zip(_COLUMNS, row)) for row in rows]).all())  # RETURNING: only new rows

    def top_unattributed(self, limit: int = 10) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(Query.fingerprint, func.count(), func.sum(Query.cost), func.min(Query.query_id))
                                .where(Query.method == "unattributed").group_by(Query.fingerprint)
                                .order_by(func.sum(Query.cost).desc()).limit(limit)).all()
        return [{"fingerprint": fp, "queries": n, "cost": round(c or 0, 6), "example_query_id": q} for fp, n, c, q in rows]

    def has_query_history(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(Query.id).limit(1)).first() is not None

    def cost_report(self, by: str, since: datetime | None = None, until: datetime | None = None, compare: bool = False,
                    top: int = 10) -> dict[str, Any]:
        if by not in GROUPS:
            raise ValueError(f"unknown --by {by!r}: use asset, owner, dag or task")
        until = as_utc(until)
        since = as_utc(since)
        current = self._totals(by, since, until)
        report: dict[str, Any] = {"by": by, "since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
                                  "total": round(sum(current.values()), 6), "groups": _shares(current)[:500]}
        if compare:
            if since is None or until is None:
                raise ValueError("--compare previous needs --since and --until")
            length = until - since
            previous = self._totals(by, since - length, since)
            report["previous"] = {"since": (since - length).isoformat(), "until": since.isoformat(), "total": round(sum(previous.values()), 6)}
            movers = sorted(set(current) | set(previous), key=lambda g: abs(current.get(g, 0) - previous.get(g, 0)), reverse=True)[:top]
            report["movers"] = [self._mover(by, g, current.get(g, 0.0), previous.get(g, 0.0), since, until) for g in movers]
        return report

    def _totals(self, by: str, since: datetime | None, until: datetime | None) -> dict[str, float]:
        column = GROUPS[by] if by != "task" else (Query.dag_id + "." + Query.task_id)
        query = select(column, func.sum(Query.cost)).group_by(column)
        if since is not None:
            query = query.where(Query.started_at >= since)
        if until is not None:
            query = query.where(Query.started_at < until)
        with self.engine.connect() as conn:
            return {(g if g is not None else "(unattributed)"): float(c or 0) for g, c in conn.execute(query)}

    def _mover(self, by: str, group: str, now: float, before: float, since: datetime, until: datetime) -> dict[str, Any]:
        column = GROUPS[by] if by != "task" else (Query.dag_id + "." + Query.task_id)
        condition = column.is_(None) if group == "(unattributed)" else column == group
        with self.engine.connect() as conn:
            behind = conn.execute(select(Query.asset_key, Query.owner, func.sum(Query.cost)).where(
                condition, Query.started_at >= since, Query.started_at < until).group_by(Query.asset_key, Query.owner)
                .order_by(func.sum(Query.cost).desc()).limit(5)).all()
        change = now - before
        return {"group": group, "cost": round(now, 6), "previous": round(before, 6), "change": round(change, 6),
                "change_pct": round(100 * change / before, 1) if before else None,
                "assets": [a for a, _, _ in behind if a], "owners": sorted({o for _, o, _ in behind if o})}


_COLUMNS = ("source", "query_id", "started_at", "duration_ms", "bytes_billed", "credits", "cost", "fingerprint", "dag_id",
            "task_id", "asset_key", "owner", "method")


_STARTED = _COLUMNS.index("started_at")


def _insert_sqlite(conn: Any, rows: list[tuple[Any, ...]]) -> int:
    """SQLite's own executemany: the hot path of large histories (SQLAlchemy's per-row processing dominates otherwise).
    Times are written as SQLAlchemy writes DateTime to SQLite: naive UTC text."""
    raw = conn.connection.driver_connection
    before = raw.total_changes
    placeholders = ",".join("?" * len(_COLUMNS))
    values = [row[:_STARTED] + (_sqlite_time(row[_STARTED]),) + row[_STARTED + 1:] for row in rows]
    raw.executemany(f"INSERT OR IGNORE INTO queries ({','.join(_COLUMNS)}) VALUES ({placeholders})", values)
    return raw.total_changes - before


def _sqlite_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _shares(totals: dict[str, float]) -> list[dict[str, Any]]:
    whole = sum(totals.values()) or 1.0
    return [{"group": g, "cost": round(c, 6), "share": round(c / whole, 4)} for g, c in sorted(totals.items(), key=lambda x: -x[1])]


def parse_day(text: str | None, name: str = "") -> datetime | None:
    """``2026-11-01`` or an ISO timestamp, as UTC; anything else is a ValueError a person can act on."""
    if not text:
        return None
    try:
        return as_utc(datetime.fromisoformat(text) if "T" in text or " " in text else datetime.fromisoformat(text + "T00:00:00"))
    except ValueError:
        raise ValueError(f"{name + ' ' if name else ''}{text!r} is not a date: use YYYY-MM-DD (2026-11-01) or an ISO timestamp (2026-11-01T06:00:00+00:00)") from None


__all__ = ["CostQueries", "parse_day"]
