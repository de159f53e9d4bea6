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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from overlay.config import Settings, load_settings
from overlay.model import ScanResult
from overlay.scan import scan_folders

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

    def payloads(self, root: Path) -> dict[str, dict[str, Any]]:
        """The cache as ``overlay.scan`` takes it: absolute path under ``root`` -> the payload that fits the file there."""
        prefix = json.dumps(str(root))[1:-1]
        out = {}
        for rel, texts in self.entries.items():
            candidates = [json.loads(text.replace(PLACEHOLDER, prefix)) for text in texts]
            path = os.path.join(root, rel)
            out[path] = candidates[0] if len(candidates) == 1 else next(
                (c for c in candidates if _fits(path, c)), candidates[0])
        return out

    def update(self, root: Path, result: ScanResult) -> None:
        prefix = json.dumps(str(root))[1:-1]
        for record in result.files:
            if record.mode == "cached" or not record.payload or not record.payload_digest:
                continue  # a reused payload is in the cache already
            if not record.path.startswith(str(root) + os.sep):
                continue
            text = json.dumps({**record.payload, "digest": record.payload_digest}, sort_keys=True, default=str)
            text = text.replace(prefix, PLACEHOLDER)
            rel = os.path.relpath(record.path, root)
            kept = [t for t in self.entries.get(rel, []) if t != text]
            self.entries[rel] = [text, *kept][:VERSIONS_KEPT]
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
    from overlay.scan import file_hash

    try:
        return payload.get("content_hash") == file_hash(path) and all(
            os.path.isfile(dep) and file_hash(dep) == digest for dep, digest in payload.get("deps", {}).items())
    except OSError:
        return False


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

    def owners_of(self, keys: set[str]) -> dict[str, list[str]]:
        """Owners of ``keys``: CODEOWNERS is matched against this side's own files, so ask while they exist."""
        with contextlib.chdir(self.root):
            return side_owners(self.result, self.settings, keys)


def side_owners(result: ScanResult, settings: Settings, keys: set[str] | None = None) -> dict[str, list[str]]:
    """Asset key -> owner names (of ``keys`` only, when given: ownership is worked out per asset)."""
    from dataclasses import replace

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
              config: str | None = None, mode: str = "static") -> Side:
    """Scan ``dag_paths`` (relative to ``root``) with the paths of the result relative to ``root``."""
    started = time.perf_counter()
    folders = [str(root / p) for p in dag_paths]
    with contextlib.chdir(root):  # display paths (files, lines) come out relative to the repository
        settings = load_settings(config, folders)
        result = scan_folders(folders, mode=mode, settings=settings, cache=cache.payloads(root))
    cache.update(root, result)
    result.git_commit = commit
    return Side(label, root, commit, result, settings, time.perf_counter() - started)
