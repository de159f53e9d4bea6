"""dbt commands: ``dbt run|build|seed|snapshot --select ...`` resolved through ``target/manifest.json``.

Implements dbt's node selection for the common methods: names, ``path:``, ``tag:``, ``fqn``
prefixes (``marts.finance``), ``+``/``n+`` graph operators, space = union, comma = intersection,
``--exclude``. Each selected model writes its relation and reads its parents' relations.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

RUNNABLE = {"run": {"model"}, "build": {"model", "seed", "snapshot"}, "seed": {"seed"}, "snapshot": {"snapshot"}}
ADAPTER_DIALECTS = {"postgres": "postgres", "snowflake": "snowflake", "bigquery": "bigquery", "redshift": "redshift",
                    "databricks": "databricks", "spark": "spark", "duckdb": "duckdb", "trino": "trino", "sqlserver": "tsql",
                    "fabric": "tsql", "synapse": "tsql", "mysql": "mysql", "clickhouse": "clickhouse", "athena": "athena"}
_SELECTOR = re.compile(r"^(?:(\d*)\+)?([^+]+?)(?:\+(\d*))?$")


class DbtError(ValueError):
    pass


@dataclass
class DbtModelIO:
    unique_id: str
    writes: str  # relation name as dbt renders it, e.g. "analytics"."marts"."revenue"
    reads: list[str] = field(default_factory=list)


@dataclass
class DbtInvocation:
    manifest_path: str
    dialect: str | None
    models: list[DbtModelIO]


@dataclass
class Manifest:
    nodes: dict[str, dict[str, Any]]
    sources: dict[str, dict[str, Any]]
    adapter: str | None
    children: dict[str, list[str]]


@lru_cache(maxsize=16)
def _load(path: str, mtime: float) -> Manifest:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    nodes = {k: v for k, v in (data.get("nodes") or {}).items()}
    children: dict[str, list[str]] = {}
    for uid, node in nodes.items():
        for parent in (node.get("depends_on") or {}).get("nodes", []):
            children.setdefault(parent, []).append(uid)
    return Manifest(nodes, data.get("sources") or {}, (data.get("metadata") or {}).get("adapter_type"), children)


def load_manifest(project_dir: str) -> tuple[str, Manifest]:
    path = os.path.join(project_dir, "target", "manifest.json")
    if not os.path.isfile(path):
        raise DbtError(f"dbt manifest not found at {path} (run `dbt compile` or `dbt parse` to create it)")
    try:
        return path, _load(path, os.path.getmtime(path))
    except (OSError, ValueError) as e:
        raise DbtError(f"dbt manifest at {path} cannot be read: {e}") from e


def resolve_dbt(argv: list[str], cwd: str | None, default_project: str | None = None) -> DbtInvocation | None:
    """Models a dbt command runs; None for dbt commands that touch no tables (deps, docs, test...)."""
    verb = next((a for a in argv[1:] if not a.startswith("-")), None)
    if verb not in RUNNABLE:
        return None
    options = _options(argv)
    project = options.get("project-dir") or default_project or cwd
    if not project:
        raise DbtError("dbt command without --project-dir and no known working folder")
    manifest_path, manifest = load_manifest(project)
    resource_types = RUNNABLE[verb]
    candidates = {uid for uid, n in manifest.nodes.items() if n.get("resource_type") in resource_types}
    selected = _select(options.get("select", ""), manifest, candidates) if options.get("select") else set(candidates)
    if options.get("exclude"):
        selected -= _select(options["exclude"], manifest, candidates)
    models = []
    for uid in sorted(selected):
        node = manifest.nodes[uid]
        if not node.get("relation_name") or (node.get("config") or {}).get("materialized") == "ephemeral":
            continue
        reads = _parent_relations(manifest, uid)
        models.append(DbtModelIO(uid, node["relation_name"], reads))
    return DbtInvocation(manifest_path, ADAPTER_DIALECTS.get(manifest.adapter or ""), models)


def _parent_relations(manifest: Manifest, uid: str, seen: set[str] | None = None) -> list[str]:
    """Relations a model reads: its parents', looking through ephemeral models (they are CTEs)."""
    seen = seen if seen is not None else set()
    relations: list[str] = []
    for parent in (manifest.nodes.get(uid) or {}).get("depends_on", {}).get("nodes", []):
        if parent in seen:
            continue
        seen.add(parent)
        node = manifest.nodes.get(parent) or manifest.sources.get(parent)
        if not node:
            continue
        if (node.get("config") or {}).get("materialized") == "ephemeral":
            relations.extend(r for r in _parent_relations(manifest, parent, seen) if r not in relations)
        elif node.get("relation_name") and node["relation_name"] not in relations:
            relations.append(node["relation_name"])
    return relations


def _options(argv: list[str]) -> dict[str, str]:
    aliases = {"s": "select", "m": "select", "models": "select", "model": "select", "select": "select", "exclude": "exclude",
               "project-dir": "project-dir", "target": "target", "selector": "selector"}
    options: dict[str, list[str]] = {}
    current: str | None = None
    for arg in argv[1:]:
        if arg.startswith("-"):
            name, _, value = arg.lstrip("-").partition("=")
            current = aliases.get(name)
            if current and value:
                options.setdefault(current, []).append(value)
                current = None if current in ("project-dir", "target") else current
        elif current:
            options.setdefault(current, []).append(arg)
            if current in ("project-dir", "target"):
                current = None
    return {k: " ".join(v) for k, v in options.items()}


def _select(expression: str, manifest: Manifest, candidates: set[str]) -> set[str]:
    selected: set[str] = set()
    for union_part in expression.split():
        parts = [_select_one(p, manifest, candidates) for p in union_part.split(",")]
        selected |= set.intersection(*parts) if parts else set()
    return selected


def _select_one(selector: str, manifest: Manifest, candidates: set[str]) -> set[str]:
    match = _SELECTOR.match(selector.strip())
    if not match:
        return set()
    up, core, down = match.group(1), match.group(2), match.group(3)
    found = {uid for uid in candidates if _matches(core, manifest.nodes[uid])}
    result = set(found)
    if up is not None:
        result |= _walk(found, manifest, upstream=True, depth=int(up) if up else None) & candidates
    if down is not None:
        result |= _walk(found, manifest, upstream=False, depth=int(down) if down else None) & candidates
    return result


def _matches(selector: str, node: dict[str, Any]) -> bool:
    method, _, value = selector.partition(":") if ":" in selector else ("", "", selector)
    fqn = node.get("fqn") or []
    if method == "tag":
        return value in (node.get("tags") or [])
    if method == "path":
        return (node.get("original_file_path") or node.get("path") or "").startswith(value.rstrip("/"))
    if method in ("config.materialized",):
        return (node.get("config") or {}).get("materialized") == value
    if method == "fqn" or not method:
        parts = value.split(".")
        return node.get("name") == value or fqn[1 : 1 + len(parts)] == parts or fqn[: len(parts)] == parts
    return False


def _walk(start: set[str], manifest: Manifest, upstream: bool, depth: int | None) -> set[str]:
    seen: set[str] = set()
    frontier = set(start)
    level = 0
    while frontier and (depth is None or level < depth):
        nxt: set[str] = set()
        for uid in frontier:
            if upstream:
                neighbours = (manifest.nodes.get(uid, {}).get("depends_on") or {}).get("nodes", [])
            else:
                neighbours = manifest.children.get(uid, [])
            nxt.update(n for n in neighbours if n not in seen and n in manifest.nodes)
        seen |= nxt
        frontier = nxt
        level += 1
    return seen
