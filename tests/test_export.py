"""Export formats: the INTERFACE.md JSON shape (from a scan and from the catalog), Mermaid, DOT, OpenLineage."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from overlay.catalog import Catalog
from overlay.export import FORMATS, document, export, mermaid_text, to_openlineage
from overlay.model import AssetRef, DagSpec, FileError, ResolvedTask, ScanResult

jsonschema = pytest.importorskip("jsonschema")

STRINGS = {"type": "array", "items": {"type": "string"}}
INTERFACE_SCHEMA = {  # the JSON export of INTERFACE.md; extra fields are allowed
    "type": "object",
    "required": ["assets", "tasks", "edges", "dags", "errors"],
    "properties": {
        "assets": {"type": "array", "items": {"type": "object", "required": ["key", "namespace", "name", "owners", "producers", "consumers"],
                                              "properties": {"key": {"type": "string"}, "namespace": {"type": "string"},
                                                             "name": {"type": "string"}, "owners": STRINGS,
                                                             "producers": STRINGS, "consumers": STRINGS}}},
        "tasks": {"type": "array", "items": {"type": "object",
                                             "required": ["dag_id", "task_id", "operator", "file", "line", "reads", "writes", "status", "errors"],
                                             "properties": {"dag_id": {"type": "string"}, "task_id": {"type": "string"},
                                                            "operator": {"type": "string"}, "file": {"type": "string"},
                                                            "line": {"type": ["integer", "null"]}, "reads": STRINGS, "writes": STRINGS,
                                                            "status": {"enum": ["resolved", "partial", "unresolved", "no_data"]},
                                                            "errors": {"type": "array"}}}},
        "edges": {"type": "array", "items": {"type": "object", "required": ["from", "to", "via"],
                                             "properties": {"from": {"type": "string"}, "to": {"type": "string"}, "via": {"type": "string"}}}},
        "dags": {"type": "array", "items": {"type": "object", "required": ["dag_id", "file", "owners", "tags"],
                                            "properties": {"dag_id": {"type": "string"}, "file": {"type": "string"},
                                                           "owners": STRINGS, "tags": STRINGS}}},
        "errors": {"type": "array", "items": {"type": "object", "required": ["file", "error"],
                                              "properties": {"file": {"type": "string"}, "error": {"type": "string"}}}},
    },
}
DATASET = {"type": "object", "required": ["namespace", "name"], "properties": {"namespace": {"type": "string"}, "name": {"type": "string"}}}
FACET = {"type": "object", "required": ["_producer", "_schemaURL"]}
RUN_EVENT_SCHEMA = {  # the required parts of OpenLineage 2-0-2 BaseEvent + RunEvent
    "type": "object",
    "required": ["eventTime", "producer", "schemaURL", "run", "job"],
    "properties": {
        "eventType": {"enum": ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]},
        "eventTime": {"type": "string", "format": "date-time"},
        "producer": {"type": "string", "pattern": "^https://"},
        "schemaURL": {"const": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"},
        "run": {"type": "object", "required": ["runId"], "properties": {"runId": {"type": "string", "format": "uuid"}}},
        "job": {"type": "object", "required": ["namespace", "name"],
                "properties": {"namespace": {"type": "string"}, "name": {"type": "string"},
                               "facets": {"type": "object", "additionalProperties": FACET}}},
        "inputs": {"type": "array", "items": DATASET},
        "outputs": {"type": "array", "items": DATASET},
    },
}


def _task(dag: str, task: str, reads: list[str], writes: list[str], **kw) -> ResolvedTask:  # noqa: ANN003
    return ResolvedTask(dag, task, kw.pop("operator", "SQLExecuteQueryOperator"), f"/repo/dags/{dag}.py", 12, kw.pop("owner", None),
                        kw.pop("status", "resolved"), reads=reads, writes=writes, edges=[[r, w] for r in reads for w in writes], **kw)


def _scan() -> ScanResult:
    tasks = [
        _task("ingest", "load", [], ["pg:raw.orders"], owner="platform"),
        _task("mart", "build", ["pg:raw.orders", 'pg:raw."Weird|Name"'], ["pg:mart.daily_revenue"]),
        _task("finance", "okr", ["pg:mart.daily_revenue"], ["bq:finance.okr"], owner="cfo"),
        _task("finance", "audit", ["bq:finance.okr"], [], status="partial", errors=["dynamic SQL"]),
        _task("finance", "ping", [], [], operator="EmptyOperator", status="no_data"),
        _task("legacy", "copy", ["pg:raw.orders"], ["bq:mart.daily_revenue"], owner="legacy-team"),  # same name on another warehouse
    ]
    keys = sorted({k for t in tasks for k in t.reads + t.writes})
    return ScanResult(
        folders=["/repo/dags"],
        dags=[DagSpec("ingest", "/repo/dags/ingest.py", owners=["platform"], tags=["raw"]), DagSpec("mart", "/repo/dags/mart.py", owners=["analytics"]),
              DagSpec("finance", "/repo/dags/finance.py", owners=["finance"], tags=["team:finance"]), DagSpec("legacy", "/repo/dags/legacy.py")],
        tasks=tasks, assets=[AssetRef(*k.split(":", 1)) for k in keys],
        errors=[FileError("/repo/dags/broken.py", "SyntaxError: invalid syntax", line=7)],
    )


@pytest.fixture
def catalog(tmp_path: Path):  # noqa: ANN201
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'export.db'}")
    catalog.store_scan(_scan())
    yield catalog
    catalog.close()


def test_json_from_a_scan_matches_the_interface_shape() -> None:
    doc = json.loads(export(_scan(), "json"))
    jsonschema.validate(doc, INTERFACE_SCHEMA)
    daily = next(a for a in doc["assets"] if a["key"] == "pg:mart.daily_revenue")
    assert daily == {"key": "pg:mart.daily_revenue", "namespace": "pg", "name": "mart.daily_revenue", "owners": ["analytics"],
                     "owner_conflict": False, "producers": ["mart.build"], "consumers": ["finance.okr"]}
    okr = next(a for a in doc["assets"] if a["key"] == "bq:finance.okr")
    assert okr["owners"] == ["cfo"] and okr["producers"] == ["finance.okr"] and okr["consumers"] == ["finance.audit"]
    assert {"from": "pg:raw.orders", "to": "pg:mart.daily_revenue", "via": "mart.build"} in doc["edges"]
    assert doc["errors"] == [{"file": "/repo/dags/broken.py", "error": "SyntaxError: invalid syntax", "line": 7, "stage": "discover"}]
    assert {(x["asset"], x["from_dag"], x["to_dag"]) for x in doc["cross_dag"]} >= {("pg:raw.orders", "ingest", "mart")}
    assert [t["task_id"] for t in doc["tasks"] if t["dag_id"] == "finance"] == ["audit", "okr", "ping"]


def test_json_from_the_catalog_says_the_same_as_from_the_scan(catalog: Catalog) -> None:
    stored, scanned = json.loads(export(catalog, "json")), document(_scan())
    jsonschema.validate(stored, INTERFACE_SCHEMA)
    core = {"assets": ["key", "namespace", "name", "producers", "consumers"],
            "tasks": ["dag_id", "task_id", "operator", "file", "line", "status", "errors"],
            "dags": ["dag_id", "file", "owners", "tags"], "errors": ["file", "error"]}
    for part, fields in core.items():
        assert [{f: x[f] for f in fields} for x in stored[part]] == [{f: x[f] for f in fields} for x in scanned[part]], part
    assert [sorted(t["reads"]) for t in stored["tasks"]] == [sorted(t["reads"]) for t in scanned["tasks"]]
    assert stored["edges"] == scanned["edges"] and stored["cross_dag"] == scanned["cross_dag"]


def test_mermaid_ids_are_generated_and_labels_escaped() -> None:
    text = export(_scan(), "mermaid")
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    nodes = [re.fullmatch(r'    (\w+)\["([^"]*)"\]', line) for line in lines[1:] if "[" in line]
    assert all(nodes) and all(re.fullmatch(r"a\d+", m.group(1)) for m in nodes)
    labels = {m.group(2) for m in nodes}
    assert "raw.#34;Weird#124;Name#34;" in labels  # quotes and pipes become entity codes
    assert {"pg:mart.daily_revenue", "bq:mart.daily_revenue", "finance.okr"} <= labels  # same name twice: full keys
    edges = [re.fullmatch(r'    (a\d+) -->\|"([^"|]*)"\| (a\d+)', line) for line in lines if "-->" in line]
    assert len(edges) == 4 and all(edges)
    dashed = next(line for line in lines if line.strip().startswith("linkStyle"))
    assert re.fullmatch(r"    linkStyle [\d,]+ stroke-dasharray: 5 5", dashed)
    assert mermaid_text('a"b#c<d>') == "a#34;b#35;c#60;d#62;"


def test_dot_is_quoted_and_balanced() -> None:
    text = export(_scan(), "dot")
    assert text.startswith("digraph overlay {\n") and text.endswith("}\n")
    quoted = r'"(?:[^"\\]|\\.)*"'
    body = text.splitlines()[3:-1]
    node = re.compile(rf"  {quoted} \[label={quoted}, tooltip={quoted}\];")
    edge = re.compile(rf"  {quoted} -> {quoted} \[label={quoted}(, style=dashed)?\];")
    assert all(node.fullmatch(line) or edge.fullmatch(line) for line in body), body
    assert sum(bool(edge.fullmatch(line)) for line in body) == 4
    assert '"pg:raw.\\"Weird|Name\\""' in text  # inner quotes escaped
    assert '"pg:raw.orders" -> "pg:mart.daily_revenue" [label="mart.build", style=dashed];' in text  # ingest feeds mart


def test_openlineage_is_one_valid_run_event_per_task(catalog: Catalog) -> None:
    lines = export(catalog, "openlineage").splitlines()
    events = [json.loads(line) for line in lines]
    assert len(events) == len(_scan().tasks)
    checker = jsonschema.Draft202012Validator(RUN_EVENT_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    for event in events:
        checker.validate(event)
        uuid.UUID(event["run"]["runId"])
    okr = next(e for e in events if e["job"]["name"] == "finance.okr")
    assert okr["eventType"] == "COMPLETE" and okr["job"]["namespace"] == "airflow"
    assert okr["inputs"] == [{"namespace": "pg", "name": "mart.daily_revenue"}] and okr["outputs"] == [{"namespace": "bq", "name": "finance.okr"}]
    assert okr["job"]["facets"]["sourceCodeLocation"]["url"] == "file:///repo/dags/finance.py"
    ping = next(e for e in events if e["job"]["name"] == "finance.ping")
    assert ping["inputs"] == [] and ping["outputs"] == []
    again = to_openlineage(document(_scan()))
    assert {e["job"]["name"]: e["run"]["runId"] for e in again} == {e["job"]["name"]: e["run"]["runId"] for e in events}  # stable ids


def test_every_format_renders_an_empty_catalog(tmp_path: Path) -> None:
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'empty.db'}")
    assert json.loads(export(catalog, "json")) == {"assets": [], "tasks": [], "edges": [], "dags": [], "cross_dag": [], "errors": []}
    assert export(catalog, "mermaid") == "flowchart LR\n" and export(catalog, "openlineage") == ""
    assert export(catalog, "dot").endswith("}\n")
    catalog.close()
    with pytest.raises(ValueError, match="unknown format"):
        export(_scan(), "yaml")
    assert FORMATS == ("json", "mermaid", "dot", "openlineage")
