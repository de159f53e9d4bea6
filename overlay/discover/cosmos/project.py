"""A dbt project as Cosmos renders it: its node graph, from a manifest or, without one, from the project's files.

With a manifest (``ProjectConfig(manifest_path=...)`` or the project's ``target/manifest.json``) the graph is
the manifest's ``nodes`` and ``sources`` (overlay's dbt reader, ``overlay.extract.dbt``), as Cosmos loads it:
nodes without a file (dbt-loom's external references) are left out. Without one, the nodes are the files
under the paths ``dbt_project.yml`` names (``model-paths``, ``seed-paths``, ``snapshot-paths``, ``test-paths``):
models (``.sql``/``.py``), seeds (``.csv``), snapshots (``{% snapshot name %}`` blocks), with parents from
``ref()`` and tests from the properties files, which is what Cosmos's own file parser reads. Such a graph
names tasks, never relations (``FileGraph.from_files`` is True).

Bounded: a manifest over ``MAX_MANIFEST_BYTES`` is not read, a walk stops at ``MAX_FILES`` files, and parsed
manifests are kept for the few most recent paths only.
"""

from __future__ import annotations

import json
import os
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import yaml

from overlay.extract.dbt import dialect_of
from overlay.extract.dbt_select import Graph
from overlay.extract.files import MAX_READ_BYTES

MAX_MANIFEST_BYTES = MAX_READ_BYTES  # what extraction reads of one file: a manifest it could not read lists nothing
MAX_FILES = 20_000  # files of a project walked without a manifest
MAX_PROPERTY_BYTES = 1024 * 1024
_CACHED = 4  # parsed manifests kept per process
_REF = re.compile(r"""\bref\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?[,)]""")
_SNAPSHOT = re.compile(r"""{%-?\s*snapshot\s+([A-Za-z_][\w]*)\s*-?%}""")
_DEFAULT_PATHS = {"model-paths": ["models"], "seed-paths": ["seeds"], "snapshot-paths": ["snapshots"], "test-paths": ["tests"]}
_OLD_NAMES = {"model-paths": "source-paths", "seed-paths": "data-paths"}  # dbt < 1.0


class ProjectError(ValueError):
    """The project or its manifest cannot be read: the call's tasks are not listed, and this says why."""


@dataclass
class FileGraph:
    graph: Graph
    source: str  # the manifest read, or the project folder walked
    from_files: bool = False
    dialect: str | None = None
    truncated: bool = False  # the walk stopped at MAX_FILES
    notes: list[str] = field(default_factory=list)


_manifests: OrderedDict[tuple[str, int, int], FileGraph] = OrderedDict()
_projects: OrderedDict[tuple[str, int], FileGraph] = OrderedDict()  # walked projects, by folder and dbt_project.yml's mtime
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def from_manifest(path: str) -> FileGraph:
    """The manifest's graph (cached by path, size and modification time)."""
    try:
        stat = os.stat(path)
    except OSError as e:
        raise ProjectError(f"dbt manifest {path}: {e.strerror}") from e
    if stat.st_size > MAX_MANIFEST_BYTES:
        raise ProjectError(f"dbt manifest {path} is {stat.st_size:,} bytes, over the {MAX_MANIFEST_BYTES:,} bytes "
                           "overlay reads from one file: its tasks are not listed")
    key = (os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
    if key in _manifests:
        _manifests.move_to_end(key)
        return _manifests[key]
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ProjectError(f"dbt manifest {path} cannot be read: {e}") from e
    if not isinstance(data, dict):
        raise ProjectError(f"dbt manifest {path} is not a JSON object")
    resources = {**(data.get("nodes") or {}), **(data.get("sources") or {}), **(data.get("exposures") or {})}
    nodes = {uid: node for uid, node in resources.items() if isinstance(node, dict) and node.get("original_file_path")}
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    found = FileGraph(Graph.build(nodes, data.get("selectors") or {}), path, dialect=dialect_of(metadata.get("adapter_type")))
    _manifests[key] = found
    while len(_manifests) > _CACHED:
        _manifests.popitem(last=False)
    return found


def project_settings(project: str) -> dict[str, Any]:
    """``dbt_project.yml`` as data (``ProjectError`` when it is missing or not YAML)."""
    path = os.path.join(project, "dbt_project.yml")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            data = yaml.safe_load(f.read(MAX_PROPERTY_BYTES))
    except FileNotFoundError as e:
        raise ProjectError(f"{project} holds no dbt_project.yml: not a dbt project") from e
    except (OSError, yaml.YAMLError) as e:
        raise ProjectError(f"{path} cannot be read: {e}") from e
    if not isinstance(data, dict):
        raise ProjectError(f"{path} is not a YAML mapping")
    return data


def from_files(project: str, inside: Any) -> FileGraph:
    """The project's nodes from its files (``inside(path)``: whether a real path may be read); walked once per
    process while its dbt_project.yml is unchanged (a DAG file with five DbtTaskGroups over one project)."""
    try:
        key = (os.path.realpath(project), os.stat(os.path.join(project, "dbt_project.yml")).st_mtime_ns)
    except OSError:
        key = None
    if key is not None and key in _projects:
        _projects.move_to_end(key)
        return _projects[key]
    found = _walk_project(project, inside)
    if key is not None:
        _projects[key] = found
        while len(_projects) > _CACHED:
            _projects.popitem(last=False)
    return found


def _walk_project(project: str, inside: Any) -> FileGraph:
    settings = project_settings(project)
    name = str(settings.get("name") or os.path.basename(project))
    paths = {key: _paths(settings, key) for key in _DEFAULT_PATHS}
    nodes: dict[str, dict[str, Any]] = {}
    texts: dict[str, str] = {}
    budget = [MAX_FILES]
    for kind, key, suffixes in (("model", "model-paths", (".sql", ".py")), ("seed", "seed-paths", (".csv",)),
                                ("snapshot", "snapshot-paths", (".sql",))):
        for folder in paths[key]:
            for relative in _walk(project, folder, suffixes, inside, budget):
                stem = os.path.splitext(os.path.basename(relative))[0]
                parts = os.path.relpath(os.path.dirname(relative), folder).split(os.sep)
                folders = [p for p in parts if p not in ("", ".")]
                text = _read(os.path.join(project, relative)) if kind != "seed" else ""
                names = _SNAPSHOT.findall(text) if kind == "snapshot" else [stem]
                for node_name in names:
                    uid = f"{kind}.{name}.{node_name}"
                    fqn = [name, *folders, stem, node_name] if kind == "snapshot" else [name, *folders, stem]
                    nodes.setdefault(uid, {"unique_id": uid, "resource_type": kind, "name": node_name, "package_name": name,
                                           "fqn": fqn, "original_file_path": relative, "path": relative})
                    texts[uid] = text
    by_name = {n["name"]: uid for uid, n in nodes.items()}
    for uid, text in texts.items():
        parents = [by_name[r[1] or r[0]] for r in _REF.findall(text) if (r[1] or r[0]) in by_name]
        nodes[uid]["depends_on"] = {"nodes": list(dict.fromkeys(p for p in parents if p != uid))}
    _add_tests(nodes, project, paths, by_name, inside, budget, name)
    graph = FileGraph(Graph.build(nodes), project, from_files=True, truncated=budget[0] <= 0)
    return graph


def _paths(settings: dict[str, Any], key: str) -> list[str]:
    value = settings.get(key, settings.get(_OLD_NAMES.get(key, ""), _DEFAULT_PATHS[key]))
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else _DEFAULT_PATHS[key]
    return [os.path.normpath(str(v)) for v in values if isinstance(v, str) and not os.path.isabs(v) and ".." not in v.split("/")]


def _walk(project: str, folder: str, suffixes: tuple[str, ...], inside: Any, budget: list[int]) -> list[str]:
    """Files under ``project/folder`` ending in ``suffixes``, relative to the project, sorted; hidden folders skipped."""
    top = os.path.join(project, folder)
    if not os.path.isdir(top) or not inside(top):
        return []
    found = []
    for here, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not os.path.islink(os.path.join(here, d)))
        for file in sorted(files):
            budget[0] -= 1
            if budget[0] < 0:
                return found
            if file.endswith(suffixes):
                found.append(os.path.relpath(os.path.join(here, file), project))
    return found


def _read(path: str) -> str:
    try:
        if os.path.getsize(path) > MAX_PROPERTY_BYTES:
            return ""
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _add_tests(nodes: dict[str, dict[str, Any]], project: str, paths: dict[str, list[str]], by_name: dict[str, str],
               inside: Any, budget: list[int], package: str) -> None:
    """Test nodes (what Cosmos needs of them: the nodes each one tests) from properties files and singular tests."""
    count = 0

    def add(parents: list[str], label: str) -> None:
        nonlocal count
        count += 1
        uid = f"test.{package}.{label}_{count}"
        nodes[uid] = {"unique_id": uid, "resource_type": "test", "name": label, "package_name": package, "fqn": [package, label],
                      "original_file_path": "", "depends_on": {"nodes": list(dict.fromkeys(parents))}}

    for key, section in (("model-paths", "models"), ("seed-paths", "seeds"), ("snapshot-paths", "snapshots")):
        for folder in paths[key]:
            for relative in _walk(project, folder, (".yml", ".yaml"), inside, budget):
                try:
                    data = yaml.load(_read(os.path.join(project, relative)), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
                except yaml.YAMLError:
                    continue
                entries = data.get(section) if isinstance(data, dict) else None
                for entry in entries if isinstance(entries, list) else []:
                    uid = by_name.get(entry.get("name")) if isinstance(entry, dict) else None
                    if uid is None:
                        continue
                    for test in _tests_of(entry):
                        refs = [by_name[r[1] or r[0]] for r in _REF.findall(json.dumps(test)) if (r[1] or r[0]) in by_name]
                        add([uid, *refs], str(entry["name"]))
    for folder in paths["test-paths"]:
        for relative in _walk(project, folder, (".sql",), inside, budget):
            refs = [by_name[r[1] or r[0]] for r in _REF.findall(_read(os.path.join(project, relative))) if (r[1] or r[0]) in by_name]
            if refs:
                add(refs, os.path.splitext(os.path.basename(relative))[0])


def _tests_of(entry: dict[str, Any]) -> list[Any]:
    tests = list(_listed(entry.get("tests")) + _listed(entry.get("data_tests")))
    for column in entry.get("columns") or [] if isinstance(entry.get("columns"), list) else []:
        if isinstance(column, dict):
            tests += _listed(column.get("tests")) + _listed(column.get("data_tests"))
    return tests


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []
