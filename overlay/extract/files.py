"""Which files extraction may read, and where a deployment's absolute paths are in the repository.

Static mode reads DAG repositories nobody vetted, so every file extraction reads (template and
``.sql`` files, ``{% include %}``, bash scripts, BigQuery job JSON, ``templates_dict`` files, dbt
manifests) goes through one ``ReadPolicy``: a path is read only when its resolved location
(symlinks followed) lies inside a scanned folder, the repository root above it, or a folder named
in ``allow_paths:`` of overlay.yaml. Anything else raises ``ReadRefused`` naming the path and the
setting, and is never opened.

Absolute paths name the deployment (``/usr/local/airflow/include``, ``/opt/airflow/dags/sql/x.sql``),
not the checkout: ``locate`` maps them into the repository, by the ``paths:`` remaps of overlay.yaml
(longest prefix first), then by the repository's docker-compose bind mounts (``compose_volumes.py``), else by the
longest suffix of the path that exists under the repository.
The remap used is returned so the task's report can say it. Pure apart from ``os.path`` lookups.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field

from overlay.extract.compose_volumes import compose_remaps
from overlay.repository import repository_root

ALLOW_SETTING = "allow_paths"
REMAP_SETTING = "paths"
MAX_READ_BYTES = 20 * 1024 * 1024  # a template or script larger than this is not read


class ReadRefused(PermissionError):
    """A read outside the allowed folders (or of a file too large): never opened."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(errno.EACCES, reason, path)
        self.path = path


@dataclass(frozen=True)
class Located:
    path: str
    remap: str | None = None  # "'/opt/airflow/dags/sql/x.sql' read as 'dags/sql/x.sql' (...)" when remapped


@dataclass(frozen=True)
class ReadPolicy:
    """The folders extraction may read (resolved), the repository root, and explicit remaps."""

    roots: tuple[str, ...]
    repository: str | None = None
    remaps: tuple[tuple[str, str], ...] = ()  # (absolute prefix as the DAGs write it, folder it maps to)
    # the repository's docker-compose bind mounts: (container prefix, repository folder, which file says so)
    mounts: tuple[tuple[str, str, str], ...] = ()
    _cache: dict[str, Located | None] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def for_folders(cls, folders: list[str], allow: list[str] | None = None,
                    remaps: dict[str, str] | None = None) -> ReadPolicy:
        """Scanned ``folders`` and their repository roots, plus ``allow`` folders; ``remaps`` as in overlay.yaml."""
        scanned = [os.path.realpath(f) for f in folders if f]
        repos = [repository_root(f) for f in scanned]
        roots = [*scanned, *repos, *(os.path.realpath(a) for a in allow or [])]
        ordered = sorted(((p if p.endswith("/") else p + "/", t) for p, t in (remaps or {}).items()), key=lambda r: -len(r[0]))
        repository = repos[0] if repos else None
        return cls(tuple(dict.fromkeys(roots)), repository, tuple(ordered), compose_remaps(tuple(scanned), repository))

    def allows(self, path: str) -> bool:
        real = os.path.realpath(path)
        return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in self.roots)

    def check(self, path: str) -> str:
        """``path`` if it may be read, else ``ReadRefused`` with a message naming the setting."""
        if not self.allows(path):
            real = os.path.realpath(path)
            shown = path if real == os.path.abspath(path) else f"{path} (-> {real})"
            raise ReadRefused(path, f"{shown} is outside the repository and the scanned folders: not read "
                                    f"(list its folder under `{ALLOW_SETTING}:` in overlay.yaml to allow it)")
        return path

    def read_text(self, path: str) -> str:
        self.check(path)
        size = os.path.getsize(path)
        if size > MAX_READ_BYTES:
            raise ReadRefused(path, f"{path} is {size} bytes, over the {MAX_READ_BYTES} bytes overlay reads from one file")
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(MAX_READ_BYTES + 1)

    def locate(self, path: str, want_dir: bool = False) -> Located | None:
        """An absolute path as a path overlay may read: itself when allowed, else remapped into the
        repository (explicit ``paths:`` first, then the longest existing suffix); None when neither exists."""
        key = f"{int(want_dir)}:{path}"
        if key not in self._cache:
            self._cache[key] = self._locate(os.path.normpath(path), want_dir)
        return self._cache[key]

    def _locate(self, path: str, want_dir: bool) -> Located | None:
        exists = os.path.isdir if want_dir else os.path.isfile
        if self.allows(path) and exists(path):
            return Located(path)
        for prefix, target in self.remaps:
            if path == prefix.rstrip("/") or path.startswith(prefix):
                candidate = os.path.normpath(os.path.join(target, path[len(prefix):]))
                if exists(candidate) and self.allows(candidate):
                    return Located(candidate, f"{path} read as {candidate} (`{REMAP_SETTING}:` {prefix} -> {target})")
        for prefix, target, where in self.mounts:
            if path == prefix.rstrip("/") or path.startswith(prefix):
                candidate = os.path.normpath(os.path.join(target, path[len(prefix):]))
                if exists(candidate) and self.allows(candidate):
                    return Located(candidate, f"{path} read as {candidate} ({where}; set `{REMAP_SETTING}:` in "
                                              f"overlay.yaml to map it otherwise)")
        parts = [p for p in path.split(os.sep) if p]
        for start in range(1, len(parts)):
            suffix = os.path.join(*parts[start:])
            for root in dict.fromkeys([self.repository, *self.roots]):
                candidate = os.path.join(root, suffix) if root else None
                if candidate and exists(candidate) and self.allows(candidate):
                    return Located(candidate, f"{path} read as {candidate} (the longest part of the path found in the "
                                              f"repository; set `{REMAP_SETTING}:` in overlay.yaml to map it explicitly)")
        return None
