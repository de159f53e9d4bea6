"""DAGs that are not Python files: YAML DAG sources read into ``DagSpec``/``TaskSpec``, never executed.

Each reader is one entry of ``READERS`` (data, like the operator rules of ``overlay/extract/operators/registry.py``):
``find`` picks its DAG sources among a folder's files, ``read`` turns one source into DAGs and errors.
A source is the set of files one DAG (or one spec file) is made of; its content hash covers all of them,
so an unchanged source is reused on rescans like an unchanged ``.py`` file.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from overlay.discover.yaml_dags import dag_factory, gusty
from overlay.discover.yaml_dags.common import Classes, DagSource, Lister
from overlay.repository import repository_root
from overlay.model import DagSpec, FileError


@dataclass(frozen=True)
class DagSourceReader:
    name: str
    # (DAG folder, its .yml/.yaml files, a lister of a subfolder's files by suffix) -> sources
    find: Callable[[Path, list[Path], Lister], list[DagSource]]
    read: Callable[[DagSource, Classes | None], tuple[list[DagSpec], list[FileError]]]
    suffixes: tuple[str, ...] = field(default=())  # the files it looks at


READERS: tuple[DagSourceReader, ...] = (
    DagSourceReader("gusty", gusty.find, gusty.read, gusty.SUFFIXES),
    DagSourceReader("dag-factory", dag_factory.find, dag_factory.read, dag_factory.SUFFIXES),
)
SUFFIXES = (".yml", ".yaml")  # what discovery lists for every folder; readers list more where they need it


@dataclass(frozen=True)
class FoundSource:
    reader: DagSourceReader
    source: DagSource
    content_hash: str


def find_sources(folder: Path, files: list[Path], lister: Lister | None = None) -> list[FoundSource]:
    """Every reader's sources in the folder, in a stable order; a file belongs to the first reader that claims it.

    A file whose real location (symlinks followed) is outside the folder and its repository is never read.
    """
    inside = _inside(folder)
    files = [f for f in files if inside(f)]
    base = lister or (lambda sub, suffixes: [f for f in files if f.suffix in suffixes and (f.parent == sub or sub in f.parents)])

    def listed(sub: Path, suffixes: tuple[str, ...]) -> list[Path]:
        return [f for f in base(sub, suffixes) if inside(f)]

    claimed: set[Path] = set()
    found = []
    for reader in READERS:
        try:
            sources = reader.find(folder, [f for f in files if f not in claimed], listed)
        except Exception:  # a reader that cannot even list its sources finds none; the scan goes on
            sources = []
        for source in sources:
            claimed.update(source.files)
            found.append(FoundSource(reader, source, _hash(source.files)))
    return found


def read_source(found: FoundSource, classes: Classes | None = None) -> tuple[list[DagSpec], list[FileError]]:
    try:
        return found.reader.read(found.source, classes)
    except Exception as e:  # a reader bug must not stop the scan: the source is reported
        return [], [FileError(str(found.source.path), f"{found.reader.name}: cannot read this DAG source: {type(e).__name__}: {e}")]


def _inside(folder: Path) -> Callable[[Path], bool]:
    """Whether a listed file really lies in the folder or its repository. The walk never enters a linked
    folder, so only a file that is itself a link can point elsewhere (checked with one lstat each)."""
    tops = {os.path.realpath(folder), repository_root(folder)}

    def check(path: Path) -> bool:
        if not os.path.islink(path):
            return True
        real = os.path.realpath(path)
        return any(real == top or real.startswith(top.rstrip(os.sep) + os.sep) for top in tops)

    return check


def _hash(files: tuple[Path, ...]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path).encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
        digest.update(b"\0")
    return digest.hexdigest()


__all__ = ["READERS", "SUFFIXES", "DagSource", "DagSourceReader", "FoundSource", "find_sources", "read_source"]
