"""The repository a DAG folder lives in: the folder holding ``.git`` at or above it, else the project folder
a checkout without its ``.git`` (a source archive, a copied deployment) still shows by its files.

One definition for every stage that confines itself to the repository (discovery's module lookups and
YAML readers, extraction's read policy, import mode's ``sys.path``); it loads nothing else.
"""

from __future__ import annotations

import os
from pathlib import Path

# files and folders a project's top folder holds: a checkout without .git is taken to start at the highest of
# the folder's ancestors (at most MARKER_LEVELS up) that holds one of them
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "Pipfile", "poetry.lock", "uv.lock",
                   "tox.ini", "Dockerfile", "docker-compose.yml", "docker-compose.yaml", "airflow.cfg", ".astro",
                   "Makefile")
MARKER_LEVELS = 3


def repository_root(folder: str | Path) -> str:
    """The folder holding ``.git`` at or above ``folder`` (symlinks resolved); in no git repository, the highest
    ancestor at most ``MARKER_LEVELS`` up holding a project file (``pyproject.toml``, ``Dockerfile``, ...); else the
    folder itself. Never the filesystem's root or the user's home folder."""
    start = current = os.path.realpath(folder)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return project_folder(start)
        current = parent


def project_folder(start: str) -> str:
    """``start``'s highest ancestor (``start`` included, ``MARKER_LEVELS`` up at most) holding a project marker."""
    found, current = start, start
    home = os.path.realpath(os.path.expanduser("~"))
    for _ in range(MARKER_LEVELS + 1):
        if current in (home, os.path.dirname(current)):
            break
        if any(os.path.exists(os.path.join(current, m)) for m in PROJECT_MARKERS):
            found = current
        current = os.path.dirname(current)
    return found
