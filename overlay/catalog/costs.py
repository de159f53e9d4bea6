"""Query history in the catalog: attributed ingestion (idempotent) and cost reports by asset, owner, DAG or task.

Cumulative rows (pg_stat_statements) are billed as the difference from the statement's last
ingested snapshot, kept in ``query_baselines`` (see ``overlay/attribution/cumulative.py``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select

from overlay.attribution.cumulative import OUTCOMES, Baseline, difference
from overlay.attribution.history import Malformed, QueryRecord
from overlay.catalog.runs import as_utc
from overlay.catalog.schema import Asset, Query, QueryBaseline, Task, TaskIO
from overlay.catalog.search_docs import refresh_query_counts

if TYPE_CHECKING:  # the attribution engine (and sqlglot with it) loads when costs are attributed, not with the catalog
    from overlay.attribution.attribute import Attributor, CostModel

GROUPS = {"asset": Query.asset_key, "owner": Query.owner, "dag": Query.dag_id, "task": None}
BATCH = 20_000
_FINITE = Query.cost <= 1e300  # leaves out inf/NaN a catalog may hold from before amounts were checked


class CostQueries:
    engine: Engine

    def attributor(self) -> Attributor:
        from overlay.attribution.attribute import Attributor

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
        baselines = _Baselines(self._load_baselines())
        counts: Counter[str] = Counter()
        malformed: list[dict[str, Any]] = []
        pending: list[tuple[Any, ...]] = []

        def bad(line: int, reason: str) -> None:
            counts["malformed"] += 1
            if len(malformed) < 20:
                malformed.append({"line": line, "reason": reason})

        for number, row in enumerate(rows, start=1):
            if isinstance(row, Malformed):
                bad(row.line, row.reason)
                continue
            counts["rows"] += 1
            if row.statement is not None and row.calls is not None:
                billed, outcome = baselines.bill(row)
                counts[f"cumulative:{outcome}"] += 1
                if billed is None:
                    continue  # nothing ran since the last snapshot of this statement
                row = billed
            try:
                found = attributor.attribute(row)
                amount = cost.cost(row)
                if not math.isfinite(amount):
                    raise ValueError(f"cost is not a finite number ({amount})")
                values = (row.source, row.query_id, row.started_at, row.duration_ms, row.bytes_billed,
                          cost.credits(row), amount, found.fingerprint, found.dag_id, found.task_id,
                          found.asset_key, found.owner, found.method)
                _check_storable(values)
                pending.append(values)
            except Exception as e:  # noqa: BLE001 - one row never stops the file
                counts["rows"] -= 1
                bad(row.line or number, f"{type(e).__name__}: {str(e)[:200]}")
                continue
            counts[found.method] += 1
            if len(pending) >= BATCH:
                counts["inserted"] += self._insert(pending)
                pending = []
        counts["inserted"] += self._insert(pending)
        self._save_baselines(baselines)
        counts["duplicates"] = counts["rows"] - counts["inserted"]
        by_method = {m: counts[m] for m in ("tag", "fingerprint", "tables", "unattributed")}
        result = {"rows": counts["rows"], "inserted": counts["inserted"], "duplicates": counts["duplicates"],
                  "malformed": counts["malformed"], "malformed_examples": malformed, "by_method": by_method,
                  "top_unattributed": self.top_unattributed() if by_method["unattributed"] else []}
        if any(counts[f"cumulative:{o}"] for o in OUTCOMES):
            # pg_stat_statements: first snapshots, differences billed, resets detected, snapshots with nothing new
            result["cumulative"] = {o: counts[f"cumulative:{o}"] for o in OUTCOMES}
        return result

    def _load_baselines(self) -> dict[tuple[str, str], Baseline]:
        with self.engine.connect() as conn:
            return {(r.source, r.statement): Baseline(r.calls, r.total_ms, as_utc(r.captured_at), as_utc(r.stats_since))
                    for r in conn.execute(select(QueryBaseline))}

    def _save_baselines(self, baselines: _Baselines) -> None:
        if not baselines.changed:
            return
        values = [{"source": source, "statement": statement, "calls": b.calls, "total_ms": b.total_ms,
                   "captured_at": b.captured_at, "stats_since": b.stats_since}
                  for (source, statement), b in ((key, baselines.current[key]) for key in sorted(baselines.changed))]
        with self.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                from sqlalchemy.dialects.sqlite import insert
            else:
                from sqlalchemy.dialects.postgresql import insert
            statement = insert(QueryBaseline.__table__)
            statement = statement.on_conflict_do_update(
                index_elements=["source", "statement"],
                set_={c: statement.excluded[c] for c in ("calls", "total_ms", "captured_at", "stats_since")})
            for start in range(0, len(values), BATCH):
                conn.execute(statement, values[start : start + BATCH])

    def _insert(self, rows: list[tuple[Any, ...]]) -> int:
        """Insert new queries (tuples in ``_COLUMNS`` order), skip ones already ingested; returns how many were new."""
        if not rows:
            return 0
        with self.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                inserted = _insert_sqlite(conn, rows)
            else:
                from sqlalchemy.dialects.postgresql import insert

                statement = insert(Query.__table__).on_conflict_do_nothing(index_elements=["source", "query_id"]).returning(Query.__table__.c.id)
                inserted = len(conn.execute(statement, [dict(zip(_COLUMNS, row)) for row in rows]).all())  # RETURNING: only new rows
            if inserted:  # search ranks assets with query traffic first
                refresh_query_counts(conn, {row[_COLUMNS.index("asset_key")] for row in rows})
            return inserted

    def top_unattributed(self, limit: int = 10) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(Query.fingerprint, func.count(), func.sum(Query.cost), func.min(Query.query_id))
                                .where(Query.method == "unattributed", _FINITE).group_by(Query.fingerprint)
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
        query = select(column, func.sum(Query.cost)).where(_FINITE).group_by(column)
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
                condition, _FINITE, Query.started_at >= since, Query.started_at < until).group_by(Query.asset_key, Query.owner)
                .order_by(func.sum(Query.cost).desc()).limit(5)).all()
        change = now - before
        return {"group": group, "cost": round(now, 6), "previous": round(before, 6), "change": round(change, 6),
                "change_pct": round(100 * change / before, 1) if before else None,
                "assets": [a for a, _, _ in behind if a], "owners": sorted({o for _, o, _ in behind if o})}


# text columns with a length limit (PostgreSQL enforces it: one value over it would fail the batch)
_LIMITS = {"dag_id": 250, "task_id": 250, "asset_key": 1024, "owner": 250, "source": 32}


def _check_storable(values: tuple[Any, ...]) -> None:
    """Values from query text (tags) that the catalog cannot hold make the row malformed, not the batch fail."""
    for column, value in zip(_COLUMNS, values):
        if isinstance(value, str):
            if "\x00" in value:
                raise ValueError(f"{column} holds a NUL character")
            limit = _LIMITS.get(column)
            if limit is not None and len(value) > limit:
                raise ValueError(f"{column} longer than {limit} characters")


class _Baselines:
    """Each cumulative statement's last snapshot while a history is ingested (loaded before, saved after)."""

    def __init__(self, current: dict[tuple[str, str], Baseline]) -> None:
        self.current = current
        self.changed: set[tuple[str, str]] = set()

    def bill(self, row: QueryRecord) -> tuple[QueryRecord | None, str]:
        """The row as what ran since the statement's last snapshot (None: nothing did), and the case."""
        key = (row.source, row.statement or "")
        snapshot = Baseline(row.calls or 0, row.duration_ms or 0.0, row.started_at, row.stats_since)
        delta, outcome = difference(self.current.get(key), snapshot)
        if outcome != "older":
            self.current[key] = snapshot
            self.changed.add(key)
        if delta is None:
            return None, outcome
        query_id = row.query_id
        if outcome == "reset":  # the call count starts again after a reset: keep the id distinct from before it
            query_id = f"{query_id}:reset@{row.started_at.isoformat() if row.started_at else snapshot.total_ms!r}"
        return replace(row, query_id=query_id, duration_ms=delta.total_ms), outcome


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
