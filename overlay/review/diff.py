"""``overlay diff``: scan BASE and HEAD of a DAG repository, compare them, and assess the blast radius.

BASE and HEAD are git revisions (HEAD defaults to the working tree, BASE to the merge base with the
default branch), or two exported documents (``overlay export --format json``) or catalog URLs.
Revisions are scanned statically (a pull request's code is never run) with a portable cache, so only
files that changed, and the files that depend on them, are read again.
"""

from __future__ import annotations

import contextlib
import gc
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from overlay.graph import graph_from_scan
from overlay.graph_delta import graph_after
from overlay.model import AssetRef, DagSpec, ResolvedTask, ScanResult
from overlay.review import revisions
from overlay.review.changes import ChangeSet, as_dict, compare
from overlay.review.impact import Impact, assess, attach_owners, involved
from overlay.review.snapshot import Lender, PortableCache, Side, scan_side


@dataclass
class SideInfo:
    label: str
    commit: str | None
    seconds: float
    dags: int
    tasks: int
    files: int
    reused: int  # files not read again: unchanged since a cached scan


@dataclass
class DiffReport:
    base: SideInfo
    head: SideInfo
    files_changed: list[str]
    changes: ChangeSet
    impact: Impact
    cost: dict[str, float] = field(default_factory=dict)  # touched/impacted asset -> attributed cost (catalog)
    seconds: float = 0.0

    def findings(self) -> dict[str, int]:
        """Counts of what ``--fail-on`` can fail on."""
        removed = [k for k in self.changes.assets_removed]
        return {
            "removed-asset": len(removed),
            "broken-consumer": sum(len(b.consumers) for b in self.impact.broken),
            "lost-coverage": sum(1 for c in self.changes.coverage if c.lost),
            "schedule-risk": sum(1 for r in self.impact.schedule_risks if r.consumer_dags),
            "blast-radius": sum(1 for i in self.impact.blast_radius if i.hops > 0),
        }

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {
            "base": asdict(self.base), "head": asdict(self.head), "files_changed": self.files_changed,
            "tasks": as_dict(self.changes.tasks), "dags": as_dict(self.changes.dags),
            "assets": {"added": self.changes.assets_added, "removed": self.changes.assets_removed},
            "cross_dag": as_dict(self.changes.links), "coverage": as_dict(self.changes.coverage),
            "touched": self.changes.touched,
            "blast_radius": [dict(vars(i)) for i in self.impact.blast_radius],  # flat rows: no deep copy of thousands
            "broken": [dict(vars(b)) for b in self.impact.broken],
            "schedule_risks": [asdict(r) for r in self.impact.schedule_risks],
            "owners_to_notify": self.impact.owners_to_notify, "affected_dags": self.impact.affected_dags,
            "cost": self.cost, "findings": self.findings(), "seconds": round(self.seconds, 3),
        }


TREES_KEPT = 4
FAIL_ON = ("removed-asset", "broken-consumer", "lost-coverage", "schedule-risk", "blast-radius")


def diff_revisions(path: Path, base: str | None, head: str | None, dag_paths: list[str] | None = None,
                   config: str | None = None, cache_dir: Path | None = None, catalog: Any = None) -> DiffReport:
    """Compare two revisions of the repository holding ``path`` (``head`` None: the working tree)."""
    with _bulk():
        return _diff_revisions(path, base, head, dag_paths, config, cache_dir, catalog)


BULK_GC_THRESHOLDS = (100_000, 50, 1000)


@contextlib.contextmanager
def _bulk():  # noqa: ANN202
    """Rare cyclic garbage collection while both sides load: the tens of thousands of records a scan builds
    are all kept, yet each collection walks them again (at the default thresholds it doubled a diff's time
    on 1,000 files). Young garbage (a file read afresh, its SQL parse trees) is still collected."""
    thresholds = gc.get_threshold()
    gc.set_threshold(*BULK_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _diff_revisions(path: Path, base: str | None, head: str | None, dag_paths: list[str] | None, config: str | None,
                    cache_dir: Path | None, catalog: Any) -> DiffReport:
    started = time.perf_counter()
    repo = revisions.repository_root(path)
    base_commit = revisions.resolve(repo, base) if base else revisions.default_base(repo)
    head_commit = revisions.resolve(repo, head) if head else None
    relative = [str(Path(p).resolve().relative_to(repo)) if Path(p).resolve().is_relative_to(repo) else p
                for p in (dag_paths or [str(path.resolve())])]
    cache = PortableCache.for_repository(repo, cache_dir)
    files_changed = sorted(revisions.changed_paths(repo, base_commit, head_commit))
    with tempfile.TemporaryDirectory(prefix="overlay-diff-") as tmp:
        base_root = _tree(repo, base_commit, cache_dir, Path(tmp) / "base")
        base_side = scan_side(f"{base or 'merge base'} ({base_commit[:8]})", base_root, base_commit, relative, cache, config)
        lender = Lender.of(base_side, cache)  # HEAD borrows what it shares with BASE instead of decoding it again
        if head_commit is None:
            head_side = scan_side("working tree", repo, None, relative, cache, config, lender=lender)
        else:
            head_root = _tree(repo, head_commit, cache_dir, Path(tmp) / "head")
            head_side = scan_side(f"{head} ({head_commit[:8]})", head_root, head_commit, relative, cache, config, lender=lender)
        cache.save()
        report = assemble(base_side, head_side, files_changed, catalog)  # while both sides' files exist (CODEOWNERS)
    report.seconds = time.perf_counter() - started
    return report


def _tree(repo: Path, commit: str, cache_dir: Path | None, scratch: Path) -> Path:
    """The files of a commit on disk: kept under the cache folder (a commit never changes), else in ``scratch``."""
    if cache_dir is None:
        return revisions.export_tree(repo, commit, scratch)
    trees = cache_dir / "trees"
    done = trees / commit
    if not done.is_dir():
        for old in sorted(trees.glob("*"), key=lambda p: p.stat().st_mtime)[:-TREES_KEPT + 1] if trees.is_dir() else []:
            shutil.rmtree(old, ignore_errors=True)  # keep the few most recent bases, not every commit ever compared
        partial = trees / f".{commit}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        revisions.export_tree(repo, commit, partial)
        partial.rename(done)
    return done


def diff_documents(base: Any, head: Any, catalog: Any = None) -> DiffReport:
    """Compare two exported documents or catalogs (``overlay export --format json`` shape)."""
    with _bulk():
        return _diff_documents(base, head, catalog)


def _diff_documents(base: Any, head: Any, catalog: Any) -> DiffReport:
    started = time.perf_counter()
    sides = []
    for label, doc in (("base", base), ("head", head)):
        t0 = time.perf_counter()
        result = result_from_document(doc)
        from overlay.config import Settings

        sides.append(Side(label, Path("."), None, result, Settings(), time.perf_counter() - t0, owners={}))
    report = assemble(sides[0], sides[1], [], catalog)
    report.seconds = time.perf_counter() - started
    return report


def assemble(base: Side, head: Side, files_changed: list[str], catalog: Any) -> DiffReport:
    head_graph = graph_from_scan(head.result)
    base_graph = graph_after(head_graph, head.result, base.result)  # only the tasks that differ are redone
    changes = compare(base.result, head.result, base_graph, head_graph)
    others: nx.MultiDiGraph | None = catalog.load_graph() if catalog is not None else None
    impact = assess(changes, base.result, head.result, others, base_graph, head_graph)
    attach_owners(impact, _owners(base, head, catalog, involved(impact)))
    report = DiffReport(_info(base), _info(head), files_changed, changes, impact)
    if catalog is not None:
        report.cost = _cost(catalog, {i.asset for i in impact.blast_radius} | set(changes.touched))
    return report


def _info(side: Side) -> SideInfo:
    files = side.result.files
    return SideInfo(side.label, side.commit, round(side.seconds, 3), len(side.result.dags), len(side.result.tasks),
                    len(files), sum(1 for f in files if f.mode == "cached"))


def _owners(base: Side, head: Side, catalog: Any, keys: set[str]) -> dict[str, list[str]]:
    """Owner names of ``keys``: the catalog's, then BASE's, then HEAD's resolution (HEAD wins)."""
    owners: dict[str, list[str]] = {}
    if catalog is not None:
        owners.update({a["key"]: a["owners"] for a in catalog.owners()["assets"] if a["owners"] and a["key"] in keys})
    newest = head.owners if head.owners is not None else head.owners_of(keys)
    missing = keys - newest.keys()  # assets HEAD no longer has, or has no owner for
    older = base.owners if base.owners is not None else base.owners_of(missing) if missing else {}
    return owners | older | newest


def _cost(catalog: Any, keys: set[str]) -> dict[str, float]:
    """Attributed cost of the given assets over the catalog's whole query history."""
    try:
        report = catalog.cost_report("asset")
    except Exception:  # noqa: BLE001 - a catalog without query history has no cost to show
        return {}
    return {row["group"]: round(float(row["cost"]), 2) for row in report.get("groups", []) if row["group"] in keys and row["cost"]}


def result_from_document(doc: Any) -> ScanResult:
    """A ScanResult from the export document of a file, a catalog URL or a Catalog."""
    from overlay.export import document

    if isinstance(doc, (str, Path)) and Path(doc).is_file():
        doc = json.loads(Path(doc).read_text(encoding="utf-8"))
    elif isinstance(doc, str):
        from overlay.catalog import Catalog

        doc = document(Catalog.open(doc))
    elif not isinstance(doc, dict):
        doc = document(doc)
    edges: dict[str, list[list[str]]] = {}
    for edge in doc.get("edges", []):
        edges.setdefault(edge["via"], []).append([edge["from"], edge["to"]])
    tasks = [ResolvedTask(dag_id=t["dag_id"], task_id=t["task_id"], operator=t.get("operator", ""), file=t.get("file", ""),
                          line=t.get("line"), owner=t.get("owner"), status=t.get("status", "resolved"),
                          reads=list(t.get("reads", [])), writes=list(t.get("writes", [])),
                          edges=edges.get(f"{t['dag_id']}.{t['task_id']}", []), errors=list(t.get("errors", [])),
                          sql=list(t.get("sql") or []))
             for t in doc.get("tasks", [])]
    dags = [DagSpec(dag_id=d["dag_id"], file=d.get("file", ""), owners=list(d.get("owners", [])), tags=list(d.get("tags", [])),
                    schedule=d.get("schedule"), mode=d.get("mode") or "static") for d in doc.get("dags", [])]
    assets = [AssetRef(a["namespace"], a["name"]) for a in doc.get("assets", [])]
    return ScanResult(folders=[], dags=dags, tasks=tasks, assets=assets)
