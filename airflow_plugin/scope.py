"""The catalog as one user may read it: only the DAGs Airflow's auth manager lets them read.

``ScopedCatalog`` answers the API's catalog calls for a set of readable dag ids: DAGs and tasks outside it
are not found; an asset is visible when a readable DAG produces or consumes it, and what it shows (its
producers, consumers, neighbours, runs, lineage edges) is limited to readable DAGs. Deny by default: a
catalog call it does not know answers 403, so a new route never leaks what a user may not read.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from fastapi import HTTPException
from sqlalchemy import func, select

from overlay.catalog import Catalog
from overlay.catalog.queries import AmbiguousKey, NotFound, UnknownKey
from overlay.catalog.evidence import Evidence, same_name_rows, verdicts
from overlay.catalog.queries import _owner_names
from overlay.catalog.schema import Asset, Materialization, Query, Task, TaskIO

SAFE = frozenset({"scans", "scanned_folders"})  # calls that hold nothing of any DAG


class ScopedCatalog:
    def __init__(self, catalog: Catalog, dag_ids: set[str]) -> None:
        self._catalog, self.dag_ids = catalog, frozenset(dag_ids)

    def __getattr__(self, name: str) -> Any:
        if name in SAFE:
            return getattr(self._catalog, name)
        raise HTTPException(status_code=403, detail=f"not available to a user who may read only some DAGs ({name})")

    # --- what the user may see, computed once per request ------------------------------------------
    @cached_property
    def _io(self) -> dict[tuple[str, str], int]:
        """(asset key, mode) -> number of readable tasks that read/write it."""
        if not self.dag_ids:
            return {}
        with self._catalog.engine.connect() as conn:
            rows = conn.execute(select(Asset.key, TaskIO.mode, func.count()).select_from(TaskIO)
                                .join(Task, Task.id == TaskIO.task_pk).join(Asset, Asset.id == TaskIO.asset_id)
                                .where(Task.dag_id.in_(self.dag_ids)).group_by(Asset.key, TaskIO.mode)).all()
        return {(key, mode): n for key, mode, n in rows}

    @cached_property
    def visible(self) -> frozenset[str]:
        return frozenset(key for key, _ in self._io)

    @cached_property
    def tasks(self) -> frozenset[str]:
        """Readable tasks as ``dag_id.task_id`` (how the catalog names the task an edge goes through)."""
        if not self.dag_ids:
            return frozenset()
        with self._catalog.engine.connect() as conn:
            rows = conn.execute(select(Task.dag_id, Task.task_id).where(Task.dag_id.in_(self.dag_ids))).all()
        return frozenset(f"{d}.{t}" for d, t in rows)

    def _check_dag(self, dag_id: str) -> None:
        if dag_id not in self.dag_ids:
            raise NotFound(f"no DAG {dag_id!r} in the catalog")

    def _check_asset(self, key: str) -> None:
        if key not in self.visible:
            raise UnknownKey(key)

    # --- the catalog calls the API makes ---------------------------------------------------------
    def resolve_key(self, text: str) -> str:
        try:
            key = self._catalog.resolve_key(text)
        except AmbiguousKey as e:
            candidates = [c for c in e.candidates if c in self.visible]
            if len(candidates) > 1:
                raise AmbiguousKey(text, candidates) from None
            if not candidates:
                raise UnknownKey(text) from None
            key = candidates[0]
        if key not in self.visible:
            raise UnknownKey(text)
        return key

    def dags(self, source: str | None = None) -> list[dict[str, Any]]:
        return [d for d in self._catalog.dags(source=source) if d["dag_id"] in self.dag_ids]

    def dags_page(self, limit: int = 100, offset: int = 0, source: str | None = None) -> dict[str, Any]:
        items = self.dags(source=source)
        return {"total": len(items), "limit": limit, "offset": offset, "items": items[offset:offset + limit]}

    def dag(self, dag_id: str, source: str | None = None) -> dict[str, Any]:
        self._check_dag(dag_id)
        return self._catalog.dag(dag_id, source=source)

    def task(self, dag_id: str, task_id: str, source: str | None = None) -> dict[str, Any]:
        self._check_dag(dag_id)
        return self._catalog.task(dag_id, task_id, source=source)

    def assets(self, search: str | None = None, owner: str | None = None, limit: int = 100, offset: int = 0,
               source: str | None = None) -> dict[str, Any]:
        """Search matches keys and owners only (never through a DAG the user may not read); evidence and verdicts
        count only readable DAGs' tasks and runs, and the order follows them."""
        everything = self._catalog.assets(search=search, owner=owner, limit=10**9, offset=0, source=source, terms=False)["items"]
        visible = [a for a in everything if a["key"] in self.visible]
        evidence = self._evidence({a["key"]: len(a["owners"]) for a in visible})
        items = [a | {"producers": self._io.get((a["key"], "write"), 0), "consumers": self._io.get((a["key"], "read"), 0)} for a in visible]
        now = datetime.now(timezone.utc)
        if search and search.strip():
            items.sort(key=lambda a: (a["match"], -len(evidence[a["key"]].signals(now)), -a["consumers"], a["key"]))
        page = items[offset:offset + limit]
        with self._catalog.engine.connect() as conn:
            groups = same_name_rows(conn, {a["name"].rsplit(".", 1)[-1] for a in page})
        verdict = self._verdicts(groups, evidence, now)
        return {"total": len(items), "limit": limit, "offset": offset,
                "items": [a | {"evidence": evidence[a["key"]].to_dict(), "verdict": verdict.get(a["key"])} for a in page]}

    def asset(self, key: str) -> dict[str, Any]:
        self._check_asset(key)
        found = self._catalog.asset(key)
        producers = [t for t in found["producers"] if t["dag_id"] in self.dag_ids]
        consumers = [t for t in found["consumers"] if t["dag_id"] in self.dag_ids]
        runs = self.materializations(key, 1)
        with self._catalog.engine.connect() as conn:
            groups = same_name_rows(conn, {found["name"].rsplit(".", 1)[-1]})
        evidence = self._evidence({key: len(found["owners"])})  # its siblings' come with the verdicts (a unique name has none)
        verdict = self._verdicts(groups, evidence, datetime.now(timezone.utc))
        return found | {
            "producers": producers, "consumers": consumers, "consumer_tasks": len(consumers),
            "consumer_dags": len({c["dag_id"] for c in consumers}),
            "upstream": [n for n in found["upstream"] if n.get("via") in self.tasks],
            "downstream": [n for n in found["downstream"] if n.get("via") in self.tasks],
            "last_materialization": runs[0] if runs else None,
            "evidence": evidence[key].to_dict(), "verdict": verdict.get(key),
            "same_name": [{"key": k, "verdict": verdict.get(k), "evidence": e.to_dict()} for k, e in sorted(evidence.items()) if k != key],
        }

    def _verdicts(self, groups: dict[str, list[Any]], evidence: dict[str, Evidence], now: datetime) -> dict[str, str | None]:
        """Verdicts among the visible assets of each table name; ``evidence`` gains the ones it lacked."""
        rows = [r for group in groups.values() for r in group if r.key in self.visible]
        evidence.update(self._evidence({r.key: len(_owner_names(r.owners)) for r in rows if r.key not in evidence}))
        result: dict[str, str | None] = {}
        for group in groups.values():
            result.update(verdicts({r.key: evidence[r.key] for r in group if r.key in self.visible}, now))
        return result

    def _evidence(self, owners: dict[str, int]) -> dict[str, Evidence]:
        """key -> evidence from readable DAGs only (their tasks, successful runs and attributed queries)."""
        keys = list(owners)
        runs: dict[str, Any] = {}
        queries: dict[str, int] = {}
        if keys and self.dag_ids:
            with self._catalog.engine.connect() as conn:
                for start in range(0, len(keys), 500):
                    chunk = keys[start:start + 500]
                    runs.update(conn.execute(select(Asset.key, func.max(Materialization.end_date))
                                             .join(Asset, Asset.id == Materialization.asset_id)
                                             .where(Asset.key.in_(chunk), Materialization.state == "success",
                                                    Materialization.dag_id.in_(self.dag_ids)).group_by(Asset.key)).all())
                    queries.update(conn.execute(select(Query.asset_key, func.count())
                                                .where(Query.asset_key.in_(chunk), Query.dag_id.in_(self.dag_ids))
                                                .group_by(Query.asset_key)).all())
        return {k: Evidence(self._io.get((k, "write"), 0), self._io.get((k, "read"), 0), n, runs.get(k), queries.get(k, 0))
                for k, n in owners.items()}

    def materializations(self, key: str, limit: int = 100) -> list[dict[str, Any]]:
        self._check_asset(key)
        runs = self._catalog.materializations(key, 10**6)
        return [r for r in runs if r.get("dag_id") in self.dag_ids][:limit]

    def lineage(self, key: str, direction: str = "both", depth: int = 3) -> dict[str, Any]:
        """The walk over the edges of readable tasks only."""
        self._check_asset(key)
        found = self._catalog.lineage(key, direction, depth)
        edges = [e for e in found["edges"] if e["via"] in self.tasks]
        kept, frontier = {key}, {key}
        while frontier:  # the nodes still reachable from the root through readable edges
            frontier = ({e["to"] for e in edges if e["from"] in frontier} | {e["from"] for e in edges if e["to"] in frontier}) - kept
            kept |= frontier
        return found | {"nodes": [n for n in found["nodes"] if n["key"] in kept],
                        "edges": [e for e in edges if e["from"] in kept and e["to"] in kept]}

    def who(self, text: str) -> dict[str, Any]:
        """A readable DAG or task, else a visible asset (an unreadable DAG is not found)."""
        text = text.strip()
        if text in self.dag_ids or text in self.tasks:
            return self._catalog.who(text)
        try:
            key = self.resolve_key(text)
        except UnknownKey:
            raise NotFound(f"no asset, DAG or task matches {text!r}") from None
        return self._catalog.who(key)

    def owners(self, key: str | None = None) -> dict[str, Any]:
        if key:
            self._check_asset(key)
        found = self._catalog.owners(key)
        items = [a | {"producers": [p for p in a["producers"] if p in self.tasks]} for a in found["assets"] if a["key"] in self.visible]
        return {"assets": items, "conflicts": [i["key"] for i in items if i["conflict"]],
                "unowned": [i["key"] for i in items if not i["owners"] and i["producers"]]}

    # --- the overview routes (overlay.api.overview) --------------------------------------------------
    def summary(self) -> dict[str, Any]:
        return self._catalog.summary(dag_ids=self.dag_ids)

    def coverage_rows(self) -> list[dict[str, Any]]:
        return self._catalog.coverage_rows(dag_ids=self.dag_ids)

    def asset_cost_rows(self, key: str, since: Any = None, until: Any = None) -> list[Any]:
        """Only the queries attributed to a readable DAG's task."""
        self._check_asset(key)
        return self._catalog.asset_cost_rows(key, since, until, dag_ids=self.dag_ids)

    def load_graph(self, source: str | None = None) -> Any:
        """The visible assets, and the edges of readable tasks; producers and consumers of readable DAGs only."""
        whole = self._catalog.load_graph(source=source)
        graph = whole.subgraph(self.visible & set(whole.nodes)).copy()
        graph.remove_edges_from([(a, b, via) for a, b, via in list(graph.edges(keys=True)) if via not in self.tasks])
        for _, data in graph.nodes(data=True):
            data["writers"] = [t for t in data["writers"] if t[0] in self.dag_ids]
            data["readers"] = [t for t in data["readers"] if t[0] in self.dag_ids]
            data["producers"] = [t for t in data["producers"] if t in self.tasks]
            data["consumers"] = [t for t in data["consumers"] if t in self.tasks]
        return graph

    def freshness_states(self) -> dict[str, Any]:
        """Visible assets, with readable producers, their runs and upstream assets only."""
        states = {k: v for k, v in self._catalog.freshness_states().items() if k in self.visible}
        for state in states.values():
            state.producers = [p for p in state.producers if p in self.tasks]
            state.last_runs = {p: r for p, r in state.last_runs.items() if p in self.tasks}
            state.upstream = [u for u in state.upstream if u in self.visible]
        return states
