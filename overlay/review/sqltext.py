"""SQL text compared as a reviewer reads it: whitespace and comments are not changes."""

from __future__ import annotations

import difflib
import re

_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
MAX_DIFF_LINES = 80


def normalized(sql: str) -> str:
    """One token per space, comments dropped (sqlglot's tokenizer; a regex where it cannot tokenize)."""
    from sqlglot.tokens import Tokenizer  # only SQL that differs is tokenized: most diffs never load sqlglot

    try:
        return " ".join(t.text for t in Tokenizer().tokenize(sql))
    except Exception:  # noqa: BLE001 - any text still compares, only less precisely
        return " ".join(_COMMENT.sub(" ", sql).split())


def same_sql(before: list[str], after: list[str]) -> bool:
    if before == after:
        return True
    return [normalized(s) for s in before] == [normalized(s) for s in after]


def sql_diff(before: list[str], after: list[str], name: str = "sql") -> list[str]:
    """A unified diff of the two texts, trailing whitespace ignored, cut at ``MAX_DIFF_LINES``."""
    if same_sql(before, after):
        return []
    a = [line.rstrip() for text in before for line in text.strip().splitlines()]
    b = [line.rstrip() for text in after for line in text.strip().splitlines()]
    lines = list(difflib.unified_diff(a, b, f"{name} (base)", f"{name} (head)", n=2, lineterm=""))
    return lines[:MAX_DIFF_LINES] + ([f"... {len(lines) - MAX_DIFF_LINES} more lines"] if len(lines) > MAX_DIFF_LINES else [])
