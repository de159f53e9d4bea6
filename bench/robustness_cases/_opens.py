"""What the cases share: files opened under forbidden folders, seen by an audit hook (each case runs in its own process)."""

from __future__ import annotations

import os
import sys


def record_opens(*forbidden: str) -> list[str]:
    """From now on, the real path of every file opened under one of ``forbidden`` is appended to the returned list."""
    opened: list[str] = []

    def audit(event: str, args: tuple) -> None:
        if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            path = os.path.realpath(os.fsdecode(args[0]))
            if path.startswith(forbidden):
                opened.append(path)

    sys.addaudithook(audit)  # an audit hook cannot be removed: the runner gives each case a fresh process
    return opened
