"""A dbt project as Cosmos renders it: its node graph, from a manifest or, without one, from the project's files.

With a manifest (``ProjectConfig(manifest_path=...)`` or the project's ``target/manifest.json``) the graph is
the manifest's ``nodes`` and ``sources`` (overlay's dbt reader, ``overlay.extract.dbt.manifest``), as Cosmos loads it:
nodes without a file (dbt-loom's external references) are left out. Without one, the nodes are the files
under the paths ``dbt_project.yml`` names (``model-paths``, ``seed-paths``, ``snapshot-paths``, ``test-paths``):
models (``.sql``/``.py``), seeds (``.csv``), snapshots (``{% snapshot name %}`` blocks), with parents from
``ref()`` and tests from the properties files, which is what Cosmos's own file parser reads
(``overlay.extract.dbt.files``). Such a graph names tasks (``FileGraph.from_files`` is True); extraction names
their relations from the same files and the dbt target.

Bounded: a manifest over ``MAX_MANIFEST_BYTES`` is not read, a walk stops at ``MAX_FILES`` files, and parsed
manifests are kept for the few most recent paths only.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from overlay.extract.dbt.manifest import dialect_of
from overlay.extract.dbt.files import ProjectError, read_project
from overlay.extract.dbt.select import Graph
from overlay.extract.files import MAX_READ_BYTES

MAX_MANIFEST_BYTES = MAX_READ_BYTES  # what extraction reads of one file: a manifest it could not read lists nothing
_CACHED = 4  # parsed manifests kept per process


@dataclass
class FileGraph:
    graph: Graph
    source: str  # the manifest read, or the project folder walked
    from_files: bool = False
    dialect: str | None = None
    truncated: bool = False  # the walk stopped at MAX_FILES
    notes: list[str] = field(default_factory=list)


_manifests: OrderedDict[tuple[str, int, int], FileGraph] = OrderedDict()


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


def from_files(project: str, inside: Any) -> FileGraph:
    """The project's nodes from its files (``inside(path)``: whether a real path may be read); read once per process
    while its files are unchanged (``read_project``'s cache: five DbtTaskGroups over one project, and extraction)."""
    files = read_project(project, inside)
    return FileGraph(Graph.build(files.nodes), project, from_files=True, truncated=files.truncated)
