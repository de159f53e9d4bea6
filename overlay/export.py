"""The asset graph out of the catalog, in the ecosystem's formats: json, mermaid, dot, openlineage."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone
from typing import Any

from overlay import __version__
from overlay.graph import cross_dag_edges

PRODUCER = f"https://github.com/overlay-dev/overlay/tree/v{__version__}"
OPENLINEAGE_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
FORMATS = ("json", "mermaid", "dot", "openlineage")


def export_document(catalog: Any) -> dict[str, Any]:
    """The INTERFACE.md JSON shape: assets, tasks, edges, dags, errors."""
    tasks = catalog.tasks()
    producers: dict[str, list[str]] = {}
    consumers: dict[str, list[str]] = {}
    for task in tasks:
        ref = f"{task['dag_id']}.{task['task_id']}"
        for key in task["writes"]:
            producers.setdefault(key, []).append(ref)
        for key in task["reads"]:
            consumers.setdefault(key, []).append(ref)
    assets = catalog.assets(limit=10_000_000)["items"]
    graph = catalog.load_graph()
    last_scan = (catalog.scans(limit=1) or [None])[0]
    return {
        "assets": [{"key": a["key"], "namespace": a["namespace"], "name": a["name"], "owners": a["owners"],
                    "owner_conflict": a["owner_conflict"], "producers": producers.get(a["key"], []),
                    "consumers": consumers.get(a["key"], [])} for a in assets],
        "tasks": tasks,
        "edges": [{"from": a, "to": b, "via": data["via"]} for a, b, data in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1], e[2]["via"]))],
        "dags": [{k: d[k] for k in ("dag_id", "file", "owners", "tags", "schedule", "mode")} for d in catalog.dags()],
        "cross_dag": cross_dag_edges(graph),
        "errors": [{"file": e["file"], "error": e["error"], "line": e["line"], "stage": e["stage"]}
                   for e in (catalog.scan_errors(last_scan["id"]) if last_scan else [])],
    }


def to_mermaid(doc: dict[str, Any]) -> str:
    ids = {a["key"]: f"a{i}" for i, a in enumerate(doc["assets"])}
    lines = ["flowchart LR"]
    for asset in doc["assets"]:
        lines.append(f'    {ids[asset["key"]]}["{_mermaid_text(asset["name"])}"]')
    for edge in doc["edges"]:
        lines.append(f'    {ids[edge["from"]]} -->|"{_mermaid_text(edge["via"])}"| {ids[edge["to"]]}')
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return re.sub(r'["<>|{}\[\]]', "_", text)


def to_dot(doc: dict[str, Any]) -> str:
    lines = ["digraph overlay {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for asset in doc["assets"]:
        lines.append(f'  {_dot_id(asset["key"])} [label={_dot_id(asset["name"])}, tooltip={_dot_id(asset["key"])}];')
    for edge in doc["edges"]:
        lines.append(f'  {_dot_id(edge["from"])} -> {_dot_id(edge["to"])} [label={_dot_id(edge["via"])}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_openlineage(doc: dict[str, Any], now: datetime | None = None) -> list[dict[str, Any]]:
    """One COMPLETE RunEvent per task with its inputs and outputs (static lineage, as OpenLineage shapes it)."""
    now = now or datetime.now(timezone.utc)
    namespaces = {a["key"]: (a["namespace"], a["name"]) for a in doc["assets"]}
    events = []
    for task in doc["tasks"]:
        if not (task["reads"] or task["writes"]):
            continue
        job_name = f"{task['dag_id']}.{task['task_id']}"
        events.append({
            "eventType": "COMPLETE",
            "eventTime": now.isoformat(),
            "run": {"runId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"overlay:{job_name}"))},
            "job": {"namespace": "airflow", "name": job_name,
                    "facets": {"sourceCodeLocation": {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/SourceCodeLocationJobFacet.json",
                                                      "type": "file", "url": f"file://{task['file']}"}}},
            "inputs": [{"namespace": namespaces[k][0], "name": namespaces[k][1]} for k in task["reads"] if k in namespaces],
            "outputs": [{"namespace": namespaces[k][0], "name": namespaces[k][1]} for k in task["writes"] if k in namespaces],
            "producer": PRODUCER,
            "schemaURL": OPENLINEAGE_SCHEMA,
        })
    return events


def render(catalog: Any, fmt: str) -> str:
    doc = export_document(catalog)
    if fmt == "json":
        return json.dumps(doc, indent=2, default=str) + "\n"
    if fmt == "mermaid":
        return to_mermaid(doc)
    if fmt == "dot":
        return to_dot(doc)
    if fmt == "openlineage":
        return "\n".join(json.dumps(e, default=str) for e in to_openlineage(doc)) + "\n"
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
