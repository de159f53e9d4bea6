"""Scan one side of a change (a git revision or the working tree) with a cache that survives moves.

The scan cache of ``overlay.scan`` is keyed by absolute path. A revision is scanned in a temporary
folder, so the same unchanged file has a new path every time. ``PortableCache`` stores each file's
payload with the scanned root replaced by a placeholder, and hands it back relocated under whichever
root is scanned next: a file whose content (and whose ``.sql`` inputs) did not change between BASE
and HEAD, or since the last ``overlay diff``, is never read again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from overlay.config import Settings, load_settings
from overlay.model import FileRecord, ResolvedTask, ScanResult
from overlay.scan import FileOutcome, scan_folders

PLACEHOLDER = "@@overlay-root@@"
CACHE_VERSION = 2
VERSIONS_KEPT = 2  # BASE's and HEAD's version of a file that differs between them


def default_cache_dir() -> Path:
    base = os.environ.get("OVERLAY_CACHE_DIR") or os.path.join(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "overlay")
    return Path(base) / "diff"


class PortableCache:
    """Per-file scan payloads keyed by repository-relative path, root-independent."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        # relative path -> payload JSONs with PLACEHOLDER for the root, newest first: one per side of a change
        self.entries: dict[str, list[str]] = {}
        self.used: dict[str, dict[str, str]] = {}  # scanned root -> relative path -> the entry text its scan was given
        self.dirty = False
        if path is not None and path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if data.get("version") == CACHE_VERSION:
                    self.entries = dict(data.get("files") or {})
            except (OSError, ValueError):
                self.entries = {}  # a damaged cache is a cold cache

    @classmethod
    def for_repository(cls, repo: Path, cache_dir: Path | None) -> PortableCache:
        if cache_dir is None:
            return cls(None)
        name = hashlib.sha256(str(repo).encode()).hexdigest()[:16]
        return cls(cache_dir / f"{name}.json")

    def payloads(self, root: Path, lender: Lender | None = None) -> tuple[dict[str, dict[str, Any]], dict[str, FileOutcome]]:
        """The cache as ``overlay.scan`` takes it: absolute path under ``root`` -> the payload that fits the file there;
        and the outcomes ``lender`` lends for files whose payload is the very one its side used (not decoded again)."""
        prefix = json.dumps(str(root))[1:-1]
        out, given, used = {}, {}, {}
        for rel, texts in self.entries.items():
            path = os.path.join(root, rel)
            if len(texts) == 1:
                text, payload = texts[0], None
            else:
                candidates = [json.loads(text.replace(PLACEHOLDER, prefix)) for text in texts]
                index = next((i for i, c in enumerate(candidates) if _fits(path, c)), 0)
                text, payload = texts[index], candidates[index]
            used[rel] = text
            loan = lender.lend(rel, text, str(root)) if lender is not None else None
            if loan is not None:
                out[path], given[path] = loan
            else:
                out[path] = payload if payload is not None else json.loads(text.replace(PLACEHOLDER, prefix))
        self.used[str(root)] = used
        return out, given

    def update(self, root: Path, result: ScanResult) -> None:
        prefix = json.dumps(str(root))[1:-1]
        used = self.used.setdefault(str(root), {})
        for record in result.files:
            if record.mode == "cached" or not record.path.startswith(str(root) + os.sep):
                continue  # a reused payload is in the cache already
            if not record.payload or not record.payload_digest:
                used.pop(os.path.relpath(record.path, root), None)  # read again, and not from the entry it was given
                continue
            text = json.dumps({**record.payload, "digest": record.payload_digest}, sort_keys=True, default=str)
            text = text.replace(prefix, PLACEHOLDER)
            rel = os.path.relpath(record.path, root)
            kept = [t for t in self.entries.get(rel, []) if t != text]
            self.entries[rel] = [text, *kept][:VERSIONS_KEPT]
            used[rel] = text
            self.dirty = True

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"version": CACHE_VERSION, "files": self.entries}), encoding="utf-8")
        tmp.replace(self.path)  # atomic: a concurrent reader sees the old or the new cache, never half


def _fits(path: str, payload: dict[str, Any]) -> bool:
    """The payload was made from this very file and from the same versions of the files it reads."""
    from overlay.scan import dep_unchanged, file_hash

    try:
        return payload.get("content_hash") == file_hash(path) and all(
            dep_unchanged(dep, digest) for dep, digest in payload.get("deps", {}).items())
    except OSError:
        return False


@dataclass
class Lender:
    """One scanned side's file outcomes, lent to the other side's scan for the files both read from one cache entry.

    Such a file has the same content, the same ``.sql`` and module inputs and the same settings on both
    sides (the scan checks the hashes again), so its outcome is the same but for the root in its paths:
    the lent tasks keep the lender's ``sql_files``, which ``relocated`` maps when ownership needs them.
    """

    root: str
    texts: dict[str, str]  # relative path -> the entry text of its outcome
    outcomes: dict[str, FileOutcome]  # relative path -> outcome
    records: dict[str, FileRecord]  # relative path -> the file's record (payload: content hash, settings, deps)

    @classmethod
    def of(cls, side: Side, cache: PortableCache) -> Lender:
        base = str(side.root) + os.sep
        records = {r.path[len(base):]: r for r in side.result.files if r.path.startswith(base) and r.payload and r.payload_digest}
        return cls(str(side.root), dict(cache.used.get(str(side.root), {})),
                   {p[len(base):]: o for p, o in (side.outcomes or {}).items() if p.startswith(base)}, records)

    def lend(self, rel: str, text: str, root: str) -> tuple[dict[str, Any], FileOutcome] | None:
        """For ``rel`` under ``root``: the payload the scan checks (content hash, settings, deps) and the outcome."""
        outcome, record = self.outcomes.get(rel), self.records.get(rel)
        if outcome is None or record is None or self.texts.get(rel) != text:
            return None
        deps = {dep.replace(self.root, root): digest for dep, digest in (record.payload or {}).get("deps", {}).items()}
        payload = {"content_hash": record.payload.get("content_hash"), "settings": record.payload.get("settings"),
                   "deps": deps, "digest": record.payload_digest}
        return payload, replace(outcome, deps=deps, cached=payload)

    def relocated(self, task: ResolvedTask, root: str) -> ResolvedTask:
        return replace(task, sql_files=[f.replace(self.root, root) for f in task.sql_files]) if task.sql_files else task


@dataclass
class Side:
    """One side of a change, scanned."""

    label: str  # "main (3f2a1c0)", "working tree"
    root: Path
    commit: str | None
    result: ScanResult
    settings: Settings
    seconds: float
    owners: dict[str, list[str]] | None = None  # asset key -> owner names, once asked for (``owners_of``)
    outcomes: dict[str, FileOutcome] | None = None  # absolute path -> the file's outcome, to lend (``Lender``)
    lender: Lender | None = None  # the side whose outcomes this scan borrowed
    borrowed: set[int] = field(default_factory=set)  # ids of the borrowed tasks

    def owners_of(self, keys: set[str]) -> dict[str, list[str]]:
        """Owners of ``keys``: CODEOWNERS is matched against this side's own files, so ask while they exist."""
        result = self.result
        if self.lender is not None and self.borrowed:  # borrowed tasks name the lender's .sql files: map them here
            lender, root, borrowed = self.lender, str(self.root), self.borrowed
            result = replace(result, tasks=[lender.relocated(t, root) if id(t) in borrowed and keys.intersection(t.writes) else t
                                            for t in result.tasks])
        with contextlib.chdir(self.root):
            return side_owners(result, self.settings, keys)


def side_owners(result: ScanResult, settings: Settings, keys: set[str] | None = None) -> dict[str, list[str]]:
    """Asset key -> owner names (of ``keys`` only, when given: ownership is worked out per asset)."""
    from overlay.ownership import compute_ownership

    if keys is not None:
        result = replace(result, assets=[a for a in result.assets if a.key in keys])
    owners = {}
    for key, value in compute_ownership(result, settings).items():
        names = sorted({c["owner"] for c in value["owners"]})
        if names:
            owners[key] = names
    return owners


def scan_side(label: str, root: Path, commit: str | None, dag_paths: list[str], cache: PortableCache,
              config: str | None = None, mode: str = "static", lender: Lender | None = None) -> Side:
    """Scan ``dag_paths`` (relative to ``root``) with the paths of the result relative to ``root``;
    files the ``lender``'s side read from the same cache entries are borrowed from it, not decoded again."""
    started = time.perf_counter()
    folders = [str(root / p) for p in dag_paths]
    outcomes: dict[str, FileOutcome] = {}
    with contextlib.chdir(root):  # display paths (files, lines) come out relative to the repository
        settings = load_settings(config, folders)
        payloads, given = cache.payloads(root, lender)
        result = scan_folders(folders, mode=mode, settings=settings, cache=payloads, given=given, outcomes=outcomes)
    cache.update(root, result)
    result.git_commit = commit
    side = Side(label, root, commit, result, settings, time.perf_counter() - started, outcomes=outcomes, lender=lender)
    side.borrowed = {id(t) for o in given.values() for t in o.tasks}  # alive as long as the lender: ids stay unique
    return side
