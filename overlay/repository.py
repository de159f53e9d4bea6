"""The repository a DAG folder lives in: the folder holding ``.git`` at or above it.

One definition for every stage that confines itself to the repository (discovery's module lookups and
YAML readers, extraction's read policy, import mode's ``sys.path``); it loads nothing else.
"""

from __future__ import annotations

import os
from pathlib import Path


def repository_root(folder: str | Path) -> str:
    """The folder holding ``.git`` at or above ``folder`` (symlinks resolved); the folder itself when it is in no repository."""
    start = current = os.path.realpath(folder)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return start
        current = parent
