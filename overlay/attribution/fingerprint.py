"""Query fingerprints: the same statement with other literals gives the same fingerprint.

``fingerprint`` uses sqlglot: parse, replace every literal (and Airflow's rendered placeholders) by a
wildcard, generate canonical SQL, hash it. ``quick_key`` is a cheap textual normalization used to
look fingerprints up in a cache, so a million-row history parses each distinct statement once.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import sqlglot
from sqlglot import exp

_LITERALS = re.compile(r"'(?:[^']|'')*'|(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_COMMENTS = re.compile(r"/\*.*?\*/|--[^\n]*", re.S)


def quick_key(sql: str) -> str:
    """Literals, comments and spacing removed: a cache key, not a fingerprint."""
    text = _COMMENTS.sub(" ", sql) if ("/*" in sql or "--" in sql) else sql
    return " ".join(_LITERALS.sub("?", text).split()).lower()


@lru_cache(maxsize=200_000)
def fingerprint(sql: str, dialect: str | None = None) -> str | None:
    """A stable hash of the statement's shape, or None when it does not parse."""
    try:
        trees = sqlglot.parse(sql, read=dialect)
    except Exception:
        return None
    parts = []
    for tree in trees:
        if tree is None:
            continue
        tree = tree.transform(_wildcard)
        parts.append(tree.sql(dialect=dialect, comments=False, normalize=True))
    if not parts:
        return None
    return hashlib.sha1(";".join(parts).encode()).hexdigest()[:32]


def _wildcard(node: exp.Expression) -> exp.Expression:
    if isinstance(node, (exp.Literal, exp.Placeholder, exp.Parameter)):
        return exp.Placeholder()
    if isinstance(node, exp.Var) and node.name.startswith("@"):
        return exp.Var(this="@stage")  # COPY ... FROM @stage/2026-11-20/ and @stage/2026-11-21/ alike
    if isinstance(node, exp.In) and node.expressions:
        return exp.In(this=node.this, expressions=[exp.Placeholder()])  # IN (1, 2, 3) and IN (4) alike
    return node
