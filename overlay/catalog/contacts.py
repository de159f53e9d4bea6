"""`overlay who X` and `GET /api/v1/who/{x}`: who to talk to about an asset, a DAG or a task."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from overlay.catalog.queries import NotFound, UnknownKey
from overlay.catalog.schema import Asset, Dag, Task
from overlay.ownership import contact_card


class ContactQueries:
    engine: Engine

    def who(self, text: str) -> dict[str, Any]:
        """``text``: a DAG id, ``dag_id.task_id``, or an asset key or unambiguous suffix (raises NotFound/AmbiguousKey)."""
        text = text.strip()
        with self.engine.connect() as conn:
            dag = conn.execute(select(Dag.dag_id, Dag.ownership, Dag.owners).where(Dag.dag_id == text)).first()
            if dag is not None:
                return _answer("dag", dag.dag_id, dag.ownership or [])
            for cut in [i for i, ch in enumerate(text) if ch == "."]:
                task = conn.execute(select(Task.dag_id, Task.task_id, Task.ownership)
                                    .where(Task.dag_id == text[:cut], Task.task_id == text[cut + 1:])).first()
                if task is not None:
                    return _answer("task", f"{task.dag_id}.{task.task_id}", task.ownership or [])
        try:
            key = self.resolve_key(text)  # type: ignore[attr-defined] - CatalogQueries
        except UnknownKey:
            raise NotFound(f"no asset, DAG or task matches {text!r}") from None
        with self.engine.connect() as conn:
            claims = conn.execute(select(Asset.owners).where(Asset.key == key)).scalar() or []
        answer = _answer("asset", key, claims)
        if not claims:
            producers = self.owners(key)["assets"][0]["producers"]  # type: ignore[attr-defined]
            answer["note"] = (f"written by {', '.join(producers)}, whose DAGs name no owner (Airflow's default `airflow` means nobody): "
                              "set `owner` in default_args, a CODEOWNERS entry or an overlay.yaml `ownership:` rule" if producers else
                              "no scanned task writes this table and no overlay.yaml rule matches it: its owner is whoever loads it "
                              "(an overlay.yaml `ownership:` rule records them)")
        return answer


def _answer(kind: str, ident: str, claims: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": kind, "id": ident, **contact_card(claims)}
