"""The selection grammar over the catalog: the graph with owners, DAG tags and sources from the stored scan."""

from __future__ import annotations

from typing import Any

from overlay.selection import SelectionContext


def selection_context(catalog: Any) -> SelectionContext:
    graph = catalog.load_graph()
    owners = {a["key"]: a["owners"] for a in catalog.owners()["assets"] if a["owners"]}
    dags = catalog.dags()
    if isinstance(dags, dict):  # a paged answer
        dags = dags.get("items", [])
    return SelectionContext(graph, owners, {d["dag_id"]: list(d.get("tags") or []) for d in dags},
                            {d["dag_id"]: d["source"] for d in dags if d.get("source")})
