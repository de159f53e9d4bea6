"""Where import mode looks for a DAG folder's own modules, as Airflow sets ``sys.path`` up.

Airflow puts the DAG folder, its plugins folder and its config folder on ``sys.path`` before it
imports a DAG file, so DAG code imports helpers from ``plugins/`` (``from my_operator import X``) and,
in repository layouts like Astro's, from the project root (``from include.helpers import y``). A
checkout scanned outside its deployment has the same layout under other paths: the DAG folder, the
``plugins/`` folders beside it, in it and at the repository root, then the repository root itself (the
folder with ``.git``, else the DAG folder's parent when it holds ``plugins/`` or ``include/``).
Pure apart from ``os.path`` lookups.
"""

from __future__ import annotations

import os

from overlay.repository import repository_root

LAYOUT_MARKERS = ("plugins", "include")


def project_root(dag_folder: str) -> str | None:
    """The project the DAG folder belongs to: the nearest folder above it holding ``plugins/`` or
    ``include/`` (an Airflow home laid out in a repository), else the repository root; None when neither
    is above the DAG folder."""
    folder = os.path.realpath(dag_folder)
    repository = repository_root(folder)
    current = os.path.dirname(folder)
    while _within(current, repository) and current != os.path.dirname(current):
        if any(os.path.isdir(os.path.join(current, m)) for m in LAYOUT_MARKERS):
            return current
        if current == repository:
            break
        current = os.path.dirname(current)
    if repository != folder:
        return repository
    parent = os.path.dirname(folder)  # not in a repository: an Airflow home beside the DAG folder
    if parent != folder and any(os.path.isdir(os.path.join(parent, m)) for m in LAYOUT_MARKERS):
        return parent
    return None


def import_paths(dag_folder: str) -> list[str]:
    """The folders to put on ``sys.path`` for a DAG folder, first to last: DAG folder, plugins folders, project root."""
    folder = os.path.realpath(dag_folder)
    root = project_root(folder)
    paths = [folder]
    for base in (folder, root):
        plugins = os.path.join(base, "plugins") if base else None
        if plugins and os.path.isdir(plugins) and plugins not in paths:
            paths.append(plugins)
    if root and root not in paths:
        paths.append(root)
    return paths


def _within(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)
