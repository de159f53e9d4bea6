"""The asset graph out, in the ecosystem's formats: json, mermaid, dot, openlineage.

``export(source, fmt)`` takes a ``Catalog`` or a ``ScanResult``; both go through ``document``,
the INTERFACE.md JSON shape, so every format says the same thing whichever the source.
"""

from __future__ import annotations

import json
from collections import Counter
import uuid
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any

from overlay import __version__
from overlay.graph import asset_owners, cross_dag_links, graph_from_scan, owner_conflicts, task_owners
from overlay.model import ScanResult

PRODUCER = f"https://github.com/overlay-dev/overlay/tree/v{__version__}"
OPENLINEAGE_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
JOB_TYPE_SCHEMA = "https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet"
SOURCE_LOCATION_SCHEMA = "https://openlineage.io/spec/facets/1-0-1/SourceCodeLocationJobFacet.json#/$defs/SourceCodeLocationJobFacet"
FORMATS = ("json", "mermaid", "dot", "openlineage")


def document(source: Any) -> dict[str, Any]:
    """The INTERFACE.md JSON shape (assets, tasks, edges, dags, errors, plus cross_dag) of a catalog or a scan."""
    return scan_document(source) if isinstance(source, ScanResult) else export_document(source)


def export_document(catalog: Any, source: str | None = None) -> dict[str, Any]:
    """The document from a ``Catalog`` (or one of its sources): ownership as stored by the scans, errors of the last scan."""
    graph = catalog.load_graph(source=source)
    assets = catalog.assets(limit=graph.number_of_nodes() + 1, source=source)["items"]
    last_scan = next((s for s in catalog.scans(limit=50) if source is None or s["source"] == source), None)
    return {
        "assets": [{"key": a["key"], "namespace": a["namespace"], "name": a["name"], "owners": a["owners"],
                    "owner_conflict": a["owner_conflict"], "producers": graph.nodes[a["key"]]["producers"],
                    "consumers": graph.nodes[a["key"]]["consumers"]} for a in assets],
        "tasks": catalog.tasks(source=source),
        "edges": _edges(graph),
        "dags": [{k: d[k] for k in ("dag_id", "file", "owners", "tags", "schedule", "mode")} for d in catalog.dags(source=source)],
        "cross_dag": cross_dag_links(graph),
        "errors": [{"file": e["file"], "error": e["error"], "line": e["line"], "stage": e["stage"]}
                   for e in (catalog.scan_errors(last_scan["id"]) if last_scan else [])],
    }


def scan_document(result: ScanResult) -> dict[str, Any]:
    """The document from a ``ScanResult`` before it is stored: owners from DAG metadata (task owner, else DAG owners)."""
    graph = graph_from_scan(result)
    by_task = task_owners(result)
    owners, conflicts = asset_owners(graph, by_task), owner_conflicts(graph, by_task)
    return {
        "assets": [{"key": key, "namespace": data["namespace"], "name": data["name"], "owners": owners[key],
                    "owner_conflict": key in conflicts, "producers": data["producers"], "consumers": data["consumers"]}
                   for key, data in sorted(graph.nodes(data=True))],
        "tasks": [{"dag_id": t.dag_id, "task_id": t.task_id, "operator": t.operator, "file": t.file, "line": t.line,
                   "owner": t.owner, "reads": list(t.reads), "writes": list(t.writes), "status": t.status,
                   "errors": list(t.errors), "upstream": list(t.upstream)}
                  for t in sorted(result.tasks, key=lambda t: (t.dag_id, t.task_id))],
        "edges": _edges(graph),
        "dags": [{"dag_id": d.dag_id, "file": d.file, "owners": list(d.owners), "tags": list(d.tags), "schedule": d.schedule,
                  "mode": d.mode} for d in sorted(result.dags, key=lambda d: d.dag_id)],
        "cross_dag": cross_dag_links(graph),
        "errors": [{"file": e.file, "error": e.error, "line": e.line, "stage": e.stage} for e in result.errors],
    }


def _edges(graph: Any) -> list[dict[str, Any]]:
    return [{"from": a, "to": b, "via": data["via"]}
            for a, b, data in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1], e[2]["via"]))]


def _cross_dag_edges(doc: dict[str, Any]) -> set[tuple[str, str]]:
    """(asset, task) pairs where a task reads an asset another DAG writes: the edges drawn dashed."""
    return {(link["asset"], task) for link in doc.get("cross_dag", []) for task in link["consumers"]}


def to_mermaid(doc: dict[str, Any]) -> str:
    """A Mermaid flowchart: node ids are generated (``a0``, ``a1``...), names and task refs go in quoted labels,
    edges where one DAG reads what another writes are dashed."""
    ids = {a["key"]: f"a{i}" for i, a in enumerate(doc["assets"])}
    names = Counter(a["name"] for a in doc["assets"])
    cross = _cross_dag_edges(doc)
    lines = ["flowchart LR"]
    for asset in doc["assets"]:
        label = asset["key"] if names[asset["name"]] > 1 else asset["name"]  # same name on two warehouses
        lines.append(f'    {ids[asset["key"]]}["{mermaid_text(label)}"]')
    dashed = []
    for index, edge in enumerate(doc["edges"]):
        lines.append(f'    {ids[edge["from"]]} -->|"{mermaid_text(edge["via"])}"| {ids[edge["to"]]}')
        if (edge["from"], edge["via"]) in cross:
            dashed.append(str(index))
    if dashed:  # cross-DAG hand-offs drawn dashed
        lines.append(f"    linkStyle {','.join(dashed)} stroke-dasharray: 5 5")
    return "\n".join(lines) + "\n"


def mermaid_text(text: str) -> str:
    """Text safe inside a quoted Mermaid label: characters the parser reacts to become ``#code;`` entities."""
    return "".join(f"#{ord(c)};" if c in '"#<>|&\\`' or c in "\r\n" else c for c in text)


def to_dot(doc: dict[str, Any]) -> str:
    """A Graphviz digraph: every id quoted, labels are names, edges labelled by task (cross-DAG edges dashed)."""
    cross = _cross_dag_edges(doc)
    lines = ["digraph overlay {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for asset in doc["assets"]:
        lines.append(f'  {dot_id(asset["key"])} [label={dot_id(asset["name"])}, tooltip={dot_id(asset["key"])}];')
    for edge in doc["edges"]:
        style = ", style=dashed" if (edge["from"], edge["via"]) in cross else ""
        lines.append(f'  {dot_id(edge["from"])} -> {dot_id(edge["to"])} [label={dot_id(edge["via"])}{style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_id(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, line breaks as ``\\n``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")
    return f'"{escaped}"'


def to_openlineage(doc: dict[str, Any], now: datetime | None = None) -> list[dict[str, Any]]:
    """One COMPLETE RunEvent per task with its inputs and outputs: static lineage as OpenLineage shapes it.

    The run id is derived from the job name, so exporting twice gives the same ids.
    """
    event_time = (now or datetime.now(timezone.utc)).isoformat()
    datasets = {a["key"]: {"namespace": a["namespace"], "name": a["name"]} for a in doc["assets"]}
    return [_run_event(task, datasets, event_time) for task in doc["tasks"]]


def _run_event(task: dict[str, Any], datasets: dict[str, dict[str, str]], event_time: str) -> dict[str, Any]:
    job_name = f"{task['dag_id']}.{task['task_id']}"
    facets: dict[str, Any] = {"jobType": {"_producer": PRODUCER, "_schemaURL": JOB_TYPE_SCHEMA,
                                          "processingType": "BATCH", "integration": "AIRFLOW", "jobType": "TASK"}}
    if task.get("file") and PurePosixPath(task["file"]).is_absolute():
        facets["sourceCodeLocation"] = {"_producer": PRODUCER, "_schemaURL": SOURCE_LOCATION_SCHEMA,
                                        "type": "file", "url": PurePosixPath(task["file"]).as_uri()}
    return {
        "eventType": "COMPLETE",
        "eventTime": event_time,
        "run": {"runId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"overlay:{job_name}"))},
        "job": {"namespace": "airflow", "name": job_name, "facets": facets},
        "inputs": [dict(datasets[k]) for k in task["reads"] if k in datasets],
        "outputs": [dict(datasets[k]) for k in task["writes"] if k in datasets],
        "producer": PRODUCER,
        "schemaURL": OPENLINEAGE_SCHEMA,
    }


def export(source: Any, fmt: str) -> str:
    """The graph of a ``Catalog`` or a ``ScanResult`` as text in ``fmt`` (openlineage: one JSON event per line)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    doc = document(source)
    if fmt == "json":
        return json.dumps(doc, indent=2, default=str) + "\n"
    if fmt == "mermaid":
        return to_mermaid(doc)
    if fmt == "dot":
        return to_dot(doc)
    return "".join(json.dumps(e, default=str) + "\n" for e in to_openlineage(doc))


render = export  # the name ``overlay export`` calls
