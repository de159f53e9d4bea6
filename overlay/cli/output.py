"""Shared output helpers: JSON for scripts, rich tables for people.

Outside a terminal (a pipe, a file, CI logs) lines are never wrapped at 80 columns, so a
``file:line`` or an asset key stays whole for grep; set ``COLUMNS`` to choose a width.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from rich.console import Console

UNWRAPPED = 10_000  # "no wrapping": tables only take the width their content needs


def _width(stream: Any) -> int | None:
    if os.environ.get("COLUMNS") or (hasattr(stream, "isatty") and stream.isatty()):
        return None  # rich reads the terminal's size, or COLUMNS
    return UNWRAPPED


console = Console(width=_width(sys.stdout))
err_console = Console(stderr=True, soft_wrap=True, width=_width(sys.stderr))  # error lines stay whole for grep and logs


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def json_requested() -> bool:
    """Whether the running command was given ``--json`` (its errors then go to stdout as JSON too)."""
    try:  # typer >= 0.26 carries its own copy of click
        from typer._click.globals import get_current_context
    except ImportError:
        from click import get_current_context
    ctx = get_current_context(silent=True)
    return bool(ctx is not None and ctx.params.get("as_json"))


def fail(message: str, code: int = 1, candidates: list[str] | None = None, hint: str | None = None) -> None:
    """Print an error and exit with ``code``: ``{"error", "candidates"}`` on stdout under ``--json``, else a line on stderr."""
    import typer

    from rich.markup import escape

    if json_requested():
        print_json({"error": message, "candidates": candidates or []} | ({"hint": hint} if hint else {}))
        raise typer.Exit(code)
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    for candidate in candidates or []:
        err_console.print(f"  {escape(candidate)}", highlight=False)
    if hint:
        err_console.print(f"  {escape(hint)}", highlight=False)
    raise typer.Exit(code)
