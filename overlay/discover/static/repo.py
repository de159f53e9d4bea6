"""The repository a DAG folder lives in, as static discovery sees it.

* its root: the nearest folder with ``.git`` above the scanned folder, else the scanned folder;
* where imports are looked up, as Airflow's ``sys.path`` would have them: the DAG folder, the
  folders between it and the file, its parents up to the root, and ``plugins/``/``include/``
  beside or above the DAG folder;
* confined file access: listings and reads only of real paths (symlinks resolved) inside the root.

Each module is evaluated once per scan (per process): ``RepoView.module`` caches it, and guards cycles.
"""

from __future__ import annotations

import glob as globlib
import hashlib
import itertools
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from overlay.discover.evaluate import UNKNOWN
from overlay.repository import repository_root

MAX_PLUGIN_FILES, MAX_PLUGIN_BYTES = 2_000, 1_000_000  # plugins/ files searched for an Airflow 1 plugin's class
_CLASS_LINE = re.compile(r"^class\s+([A-Za-z_]\w*)", re.M)

MAX_READ_BYTES = 1024 * 1024
MAX_LISTING = 10_000
MAX_CONFIG_NODES = 200_000


class RefusedPath(Exception):
    """A listing or read outside the repository (or too large): the value stays unknown and it is reported."""


@dataclass
class LoadedModule:
    path: str
    scope: dict[str, Any]
    inputs: list[str]  # this module's file and every repository module it imports, transitively
    errors: list[str] = field(default_factory=list)
    imports: dict[str, str] = field(default_factory=dict)  # bound name -> qualified name, as its import table has it


class RepoView:
    def __init__(self, dag_folder: str | Path, root: str | Path | None = None, variables: dict[str, Any] | None = None,
                 environment: dict[str, str] | None = None, path_remaps: dict[str, str] | None = None) -> None:
        self.dag_folder = Path(os.path.realpath(dag_folder))
        self.path_remaps = dict(path_remaps or {})  # overlay.yaml `paths:`, for deployment paths (a dbt project's folder)
        self.variables = dict(variables or {})  # overlay.yaml `variables:`, for Variable.get in DAG code
        self.environment = dict(environment or {})  # overlay.yaml `environment:`, for os.environ / os.getenv
        self.root = Path(os.path.realpath(root)) if root else Path(repository_root(self.dag_folder))
        self._read_policy: Any = None
        self.modules: dict[str, LoadedModule | None] = {}  # real path -> evaluated module (None while loading: a cycle)
        self.listings: dict[tuple[int, ...], Any] = {}  # repository code listed for tasks (static/helpers.py), per scan
        self.evaluate: Callable[[str, str, RepoView], LoadedModule] | None = None
        self.effects: Any = None  # the scan's EffectAnalysis (static/effects.py): each operator class read once
        self._search = self._search_roots()
        # folders the file being scanned put on sys.path (`sys.path.append("/opt/airflow/scripts")`): (first?, folder)
        self.extra_search: list[tuple[bool, Path]] = []
        self._found: dict[tuple[Any, ...], str | None] = {}
        self._plugin_classes: dict[str, list[str]] | None = None  # plugins/ classes, for Airflow 1 imports

    # --- paths ------------------------------------------------------------------------------
    def _search_roots(self) -> list[Path]:
        chain = [self.dag_folder, *[p for p in self.dag_folder.parents if self.inside(p)]]
        roots = list(chain)
        for folder in chain:
            for extra in ("plugins", "include"):
                if (folder / extra).is_dir():
                    roots.append(folder / extra)
        return list(dict.fromkeys(roots))

    def inside(self, path: str | Path) -> bool:
        real = Path(os.path.realpath(path))
        return real == self.root or self.root in real.parents

    def display(self, path: str) -> str:
        return os.path.relpath(path, self.root) if self.inside(path) else path

    def confined(self, path: Any, want_dir: bool = False) -> str:
        """The real path of ``path`` when it is absolute and inside the repository; a deployment path
        (``/home/airflow/dags/x/config``) mapped into the repository as extraction maps template paths (overlay.yaml's
        ``paths:``, else the longest part of it found there: ``ReadPolicy.locate``); else ``RefusedPath``."""
        text = str(path)
        if not os.path.isabs(text):
            raise RefusedPath(f"relative path {text!r}: the working folder at run time is not known")
        if not self.inside(text):
            located = self._policy().locate(text, want_dir=want_dir)
            if located is None or not self.inside(located.path):
                raise RefusedPath(f"{text!r} is outside the repository {self.root} (map a deployment path to the "
                                  "checkout with `paths:` in overlay.yaml)")
            text = located.path
        return os.path.realpath(text)

    def _policy(self) -> Any:
        if self._read_policy is None:
            from overlay.extract.files import ReadPolicy  # extraction's rule for deployment paths

            self._read_policy = ReadPolicy.for_folders([str(self.dag_folder)], remaps=self.path_remaps)
        return self._read_policy

    # --- modules ----------------------------------------------------------------------------
    def find_module(self, name: str, level: int = 0, from_file: str | None = None) -> str | None:
        """The file of module ``name`` inside the repository (``pkg/mod.py`` or ``pkg/mod/__init__.py``)."""
        if not level and name.split(".")[0] in sys.stdlib_module_names:
            return None
        key = (name, level, os.path.dirname(from_file) if from_file else None, tuple(self.extra_search))
        if key not in self._found:
            self._found[key] = self._find_module(name, level, from_file)
        return self._found[key]

    def _bases(self, level: int, from_file: str | None) -> list[Path]:
        """Where an import is looked up: the importing file's package for a relative one, else the search path
        (the DAG folder, plugins/, the repository root...) and the importing file's folders up to the root."""
        if level:
            if from_file is None:
                return []
            base = Path(from_file).parent
            for _ in range(level - 1):
                base = base.parent
            return [base]
        bases = [*(p for first, p in self.extra_search if first), *self._search,
                 *(p for first, p in self.extra_search if not first and p not in self._search)]
        if from_file is not None:
            here = Path(os.path.realpath(from_file)).parent
            bases += [p for p in [here, *here.parents] if self.inside(p) and p not in bases]
        return bases

    def add_search(self, path: Any, first: bool) -> str | None:
        """``sys.path.append(path)`` / ``sys.path.insert(0, path)`` in the file being scanned: a folder of the
        repository (a deployment path mapped into it, as ``confined`` maps it) where its later imports are looked up;
        why not, when it is not one."""
        try:
            folder = Path(self.confined(path, want_dir=True))
        except RefusedPath as e:
            return str(e)
        if not folder.is_dir():
            return f"{path!r} is not a folder of the repository"
        if (first, folder) not in self.extra_search:
            self.extra_search.append((first, folder))
        return None

    def is_namespace(self, name: str, from_file: str | None = None) -> bool:
        """``name`` is a folder of the repository without ``__init__.py`` (a namespace package: ``import lib.x``
        binds ``lib``), where imports are looked up."""
        if not name or "." in name or name in sys.stdlib_module_names:
            return False
        return any((base / name).is_dir() and self.inside(base / name) for base in self._bases(0, from_file))

    def _find_module(self, name: str, level: int, from_file: str | None) -> str | None:
        parts = [p for p in name.split(".") if p]
        bases = self._bases(level, from_file)
        for base in bases:
            target = base.joinpath(*parts) if parts else base
            for candidate in (target.with_suffix(".py") if parts else None, target / "__init__.py"):
                if candidate is not None and candidate.is_file() and self.inside(candidate):
                    return os.path.realpath(candidate)
        return None

    def plugin_definition(self, name: str) -> str | None:
        """The one file of the repository's ``plugins/`` folders that defines class ``name`` (None: none, or several)."""
        if self._plugin_classes is None:  # class name -> the files defining it, indexed once per scan
            self._plugin_classes = {}
            for folder in (r for r in self._search if r.name == "plugins"):
                for path in sorted(itertools.islice(folder.rglob("*.py"), MAX_PLUGIN_FILES)):
                    try:
                        if not (path.is_file() and self.inside(path) and path.stat().st_size <= MAX_PLUGIN_BYTES):
                            continue
                        text = path.read_text(errors="replace")
                    except OSError:
                        continue
                    for defined in dict.fromkeys(_CLASS_LINE.findall(text)):
                        self._plugin_classes.setdefault(defined, []).append(os.path.realpath(path))
        found = self._plugin_classes.get(name, [])
        return found[0] if len(found) == 1 else None

    def module(self, path: str) -> LoadedModule | None:
        if path in self.modules:
            return self.modules[path]  # None: being evaluated (an import cycle)
        self.modules[path] = None
        try:
            source = Path(path).read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return None
        assert self.evaluate is not None
        loaded = self.evaluate(path, source, self)
        self.modules[path] = loaded
        return loaded

    # --- listings and config files ------------------------------------------------------------
    def path_test(self, path: Any, kind: str) -> Any:
        """``os.path.isfile/isdir/exists(path)``: inside the repository, the answer; a deployment path
        (``/home/airflow/dags/ds/x/after.sql``) whose folder's last two or more parts are a folder of the repository
        (``ds/x``), the answer there; anything else (``/tmp/x``, a relative path) is not known."""
        text = str(path)
        test = {"isfile": os.path.isfile, "isdir": os.path.isdir, "exists": os.path.exists}[kind]
        if not os.path.isabs(text):
            return UNKNOWN
        if self.inside(text):
            return test(text)
        parts = [p for p in text.split("/") if p]
        for start in range(1, len(parts) - 2):  # longest suffix first; the folder matched has >= 2 parts
            folder = self.root.joinpath(*parts[start:-1])
            if folder.is_dir():
                return test(str(folder / parts[-1]))
        return UNKNOWN

    def listdir(self, path: Any) -> list[str]:
        real = self.confined(path, want_dir=True)
        names = sorted(os.listdir(real))
        return _bounded(names)

    def glob(self, pattern: Any, recursive: bool = False) -> list[str]:
        text = str(pattern)
        magic = min((i for i, ch in enumerate(text) if ch in "*?["), default=len(text))
        self.confined(os.path.dirname(text[:magic]) or text[:magic])
        found = []
        for hit in globlib.iglob(text, recursive=recursive):
            if self.inside(hit):
                found.append(hit)
                if len(found) > MAX_LISTING:
                    raise RefusedPath(f"more than {MAX_LISTING:,} files match {text!r}")
        return sorted(found)

    def read_text(self, path: Any) -> str:
        real = self.confined(path)
        if not os.path.lexists(real):  # a file the deployment writes (config.json made at build time)
            raise RefusedPath(f"{path} is not in the repository (a file made where the DAGs run? its values are unknown)")
        if not os.path.isfile(real):  # a folder, a FIFO or a device would block or mislead
            raise RefusedPath(f"{path} is not a regular file")
        size = os.path.getsize(real)
        if size > MAX_READ_BYTES:
            raise RefusedPath(f"{path} is {size:,} bytes (limit {MAX_READ_BYTES:,})")
        with open(real, "rb") as f:
            return f.read(MAX_READ_BYTES).decode("utf-8", errors="replace")

    def is_file(self, path: Any) -> bool:
        return os.path.isfile(self.confined(path))

    def is_dir(self, path: Any) -> bool:
        return os.path.isdir(self.confined(path, want_dir=True))


def _bounded(names: list[str]) -> list[str]:
    if len(names) > MAX_LISTING:
        raise RefusedPath(f"a listing of {len(names):,} entries (limit {MAX_LISTING:,})")
    return names


def load_config(text: str, kind: str) -> Any:
    """YAML (safe loader) or JSON text as plain data, refused when it expands past the node limit (alias bombs)."""
    if kind == "json":
        import json

        data = json.loads(text)
    else:
        import yaml

        data = yaml.safe_load(text)
    count, stack = 0, [data]
    while stack:
        value = stack.pop()
        count += 1
        if count > MAX_CONFIG_NODES:
            raise RefusedPath(f"config expands to more than {MAX_CONFIG_NODES:,} values")
        if isinstance(value, dict):
            stack.extend(value.values())
            stack.extend(value.keys())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
    return data


def file_digest(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
