"""Which files in a DAG folder Airflow would parse, and their content hashes."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pathspec

IGNORE_FILE = ".airflowignore"


@dataclass(frozen=True)
class DagFile:
    path: str  # absolute
    content_hash: str
    source: str


def list_dag_files(folder: str | Path, syntax: str | None = None) -> list[DagFile]:
    """``*.py`` files under ``folder`` that Airflow's safe mode would parse, honouring ``.airflowignore``.

    ``.airflowignore`` uses glob syntax (Airflow 3's default) or regexp, per
    ``AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX``; a file in a subfolder applies below it.
    """
    found: list[DagFile] = []
    for path in walk_files(folder, (".py",), syntax):
        data = path.read_bytes()
        source = data.decode("utf-8", errors="replace")
        if might_contain_dag(source):
            found.append(DagFile(str(path), hashlib.sha256(data).hexdigest(), source))
    return found


def walk_files(folder: str | Path, suffixes: tuple[str, ...], syntax: str | None = None) -> list[Path]:
    """Files under ``folder`` ending in one of ``suffixes``, sorted, without those ``.airflowignore`` excludes."""
    root = Path(folder).resolve()
    syntax = (syntax or os.environ.get("AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX") or "glob").lower()
    found: list[Path] = []
    ignores: list[tuple[Path, object]] = []
    for directory, subdirs, files in os.walk(root):
        here = Path(directory)
        ignore_file = here / IGNORE_FILE
        if ignore_file.is_file():
            ignores.append((here, _ignore_matcher(ignore_file.read_text(encoding="utf-8", errors="replace"), syntax)))
        active = [(base, m) for base, m in ignores if here == base or base in here.parents]
        subdirs[:] = sorted(d for d in subdirs if not d.startswith((".", "__pycache__"))
                            and not _ignored(here / d, active, is_dir=True))
        for name in sorted(files):
            if not name.endswith(suffixes):
                continue  # most files of a DAG folder (.sql templates, for .py): no path object made for them
            path = here / name
            if not _ignored(path, active, is_dir=False) and path.is_file():
                found.append(path)  # regular files only: reading a FIFO or a device would block the scan
    return found


def might_contain_dag(source: str) -> bool:
    """Airflow's safe-mode heuristic: both words appear in the file."""
    lowered = source.lower()
    return "airflow" in lowered and "dag" in lowered


def _ignore_matcher(text: str, syntax: str) -> object:
    lines = [line.split("#", 1)[0].strip() if syntax == "regexp" else line for line in text.splitlines()]
    if syntax == "regexp":
        return [re.compile(line) for line in lines if line]
    return pathspec.PathSpec.from_lines("gitignore", lines)


def _ignored(path: Path, matchers: list[tuple[Path, object]], is_dir: bool) -> bool:
    for base, matcher in matchers:
        relative = path.relative_to(base).as_posix() + ("/" if is_dir else "")
        if isinstance(matcher, pathspec.PathSpec):
            if matcher.match_file(relative):
                return True
        elif any(pattern.search(relative) for pattern in matcher):  # type: ignore[union-attr]
            return True
    return False
