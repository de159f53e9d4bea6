"""Overview reads of the catalog for the UI: counts per source, DAG and team; recent runs; coverage rows; one asset's cost.

Every method takes ``dag_ids``: None reads the whole catalog; a set reads only what those DAGs' tasks touch
(``airflow_plugin.scope.ScopedCatalog`` passes the DAGs a user may read). Each is a few grouped queries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from overlay.catalog.costs import _FINITE
from overlay.catalog.runs import as_utc
from overlay.catalog.schema import Asset, Dag, Materialization, Query, Task, TaskIO

TOP = 20
FAILED = ("failed", "upstream_failed")


def _tasks(query: Any, dag_ids: Collection[str] | None) -> Any:
    return query if dag_ids is None else query.where(Task.dag_id.in_(list(dag_ids)))


def _visible_asset_ids(dag_ids: Collection[str] | None) -> Any:
    """The ids of the assets the DAGs' tasks read or write (None: every asset)."""
    return None if dag_ids is None else _tasks(select(TaskIO.asset_id).join(Task, Task.id == TaskIO.task_pk), dag_ids)


class OverviewQueries:
    engine: Engine

    def summary(self, dag_ids: Collection[str] | None = None, top: int = TOP) -> dict[str, Any]:
        """Counts, the biggest sources, DAGs and teams, and the latest failed and changed assets."""
        with self.engine.connect() as conn:
            shape = self._catalog_shape(conn, dag_ids, top)
            failures = _latest_runs(conn, dag_ids, failed=True, limit=top)
            changed = _latest_runs(conn, dag_ids, failed=False, limit=top)
        return shape | {
            "recent_failures": [{"key": r.key, "dag_id": r.dag_id, "task_id": r.task_id, "state": r.state, "at": as_utc(r.end_date)}
                                for r in failures],
            "recently_changed": [{"key": r.key, "change": f"materialized by {r.dag_id}.{r.task_id} (run {r.run_id})",
                                  "at": as_utc(r.end_date), "source": r.source_name} for r in changed],
        }

    def _catalog_shape(self, conn: Any, dag_ids: Collection[str] | None, top: int) -> dict[str, Any]:
        """The counts and the biggest sources, DAGs and teams: what only a scan or a source change alters. For the whole
        catalog it is kept until the catalog's version changes (it decodes every asset's owners: ~1 s at 50,000 assets)."""
        token = None
        if dag_ids is None:
            from overlay.catalog.select import version

            token = (version(self), top)
            cached = getattr(self, "_shape_cache", None)
            if cached is not None and cached[0] == token:
                return cached[1]
        visible = _visible_asset_ids(dag_ids)
        asset_query = select(Asset.owners)
        if visible is not None:
            asset_query = asset_query.where(Asset.id.in_(visible))
        teams: Counter[str] = Counter()
        owners: set[str] = set()
        assets = 0
        for (asset_claims,) in conn.execute(asset_query):
            assets += 1
            claimed = [c for c in asset_claims or [] if c.get("role", "owner") == "owner"]
            owners.update(c["owner"] for c in claimed)
            teams.update({c.get("team") or c["owner"] for c in claimed})
        dags = conn.execute(_dags(select(func.count()).select_from(Dag), dag_ids)).scalar_one()
        tasks = conn.execute(_tasks(select(func.count()).select_from(Task), dag_ids)).scalar_one()
        sources = sorted(s for (s,) in conn.execute(_dags(select(Dag.source).distinct(), dag_ids)))
        by_source = {s: (a, d) for s, a, d in conn.execute(_tasks(
            select(Task.source, func.count(TaskIO.asset_id.distinct()), func.count(Task.dag_id.distinct()))
            .select_from(Task).outerjoin(TaskIO, TaskIO.task_pk == Task.id).group_by(Task.source), dag_ids))}
        by_dag = conn.execute(_tasks(
            select(Task.dag_id, func.count(TaskIO.asset_id.distinct()).label("n")).select_from(TaskIO)
            .join(Task, Task.id == TaskIO.task_pk).group_by(Task.dag_id), dag_ids)
            .order_by(func.count(TaskIO.asset_id.distinct()).desc(), Task.dag_id).limit(top)).all()
        shape = {
            "counts": {"assets": assets, "dags": dags, "tasks": tasks, "owners": len(owners), "sources": len(sources)},
            "by_source": [{"name": s, "assets": by_source.get(s, (0, 0))[0], "dags": by_source.get(s, (0, 0))[1]} for s in sources],
            "by_dag": [{"dag_id": d, "assets": n} for d, n in by_dag],
            "by_team": [{"owner": o, "assets": n} for o, n in sorted(teams.items(), key=lambda item: (-item[1], item[0]))[:top]],
        }
        if token is not None:
            self._shape_cache = (token, shape)
        return shape

    def coverage_rows(self, dag_ids: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Every task's status, and for the partial and unresolved ones, where it is and why."""
        with self.engine.connect() as conn:
            rows = conn.execute(_tasks(select(Task.dag_id, Task.task_id, Task.file, Task.line, Task.status, Task.errors), dag_ids)
                                .order_by(Task.dag_id, Task.task_id)).all()
        return [{"dag_id": r.dag_id, "task_id": r.task_id, "file": r.file, "line": r.line, "status": r.status,
                 "errors": list(r.errors or [])} for r in rows]

    def asset_cost_rows(self, key: str, since: datetime | None = None, until: datetime | None = None,
                        dag_ids: Collection[str] | None = None) -> list[tuple[datetime, float]]:
        """(started_at, cost) of each priced query attributed to the asset; with ``dag_ids``, only those DAGs' queries."""
        query = select(Query.started_at, Query.cost).where(Query.asset_key == key, _FINITE, Query.started_at.is_not(None))
        if since is not None:
            query = query.where(Query.started_at >= since)
        if until is not None:
            query = query.where(Query.started_at < until)
        if dag_ids is not None:
            query = query.where(Query.dag_id.in_(list(dag_ids)))
        with self.engine.connect() as conn:
            return [(as_utc(started), float(cost or 0.0)) for started, cost in conn.execute(query.order_by(Query.started_at))]


def _dags(query: Any, dag_ids: Collection[str] | None) -> Any:
    return query if dag_ids is None else query.where(Dag.dag_id.in_(list(dag_ids)))


def _latest_runs(conn: Any, dag_ids: Collection[str] | None, failed: bool, limit: int) -> list[Any]:
    """Assets whose latest recorded run (of the given DAGs) failed, or succeeded: newest first."""
    runs = select(Materialization.asset_id, func.max(Materialization.end_date).label("end_date")).where(
        Materialization.end_date.is_not(None))
    if dag_ids is not None:
        runs = runs.where(Materialization.dag_id.in_(list(dag_ids)))
    latest = runs.group_by(Materialization.asset_id).subquery()
    state = Materialization.state.in_(FAILED) if failed else Materialization.state == "success"
    query = (select(Asset.key, Materialization.dag_id, Materialization.task_id, Materialization.run_id, Materialization.state,
                    Materialization.end_date, Materialization.source_name)
             .join(latest, (latest.c.asset_id == Materialization.asset_id) & (latest.c.end_date == Materialization.end_date))
             .join(Asset, Asset.id == Materialization.asset_id).where(state))
    if dag_ids is not None:
        query = query.where(Materialization.dag_id.in_(list(dag_ids)))
    rows, seen = [], set()
    for row in conn.execute(query.order_by(Materialization.end_date.desc(), Asset.key).limit(limit * 4)):
        if row.key not in seen:  # two tasks of one run may end at the same instant
            seen.add(row.key)
            rows.append(row)
    return rows[:limit]
