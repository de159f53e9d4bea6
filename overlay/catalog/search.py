"""Ranked search over the catalog's assets: which assets match a text, and in what order.

The text is split into words at white space (``okr dashboard``: two words; ``raw.orders``, ``t_00``: one
each). An asset matches when every word occurs (any case) in its key, in its ``search_text`` (owner and team
names; the producing tasks' DAG ids, ``dag.task`` ids and tags) or in its ``search_related`` (the same of
the consuming tasks); see ``overlay.catalog.search_docs``. Matches are ordered by how they match (``TIERS``,
best first), then by evidence (``overlay.catalog.evidence``), then by key.

SQLite: the FTS5 trigram table of migration 0008 narrows the rows by the words of three or more characters
(a superset: Unicode case folding), then the same LIKE tests decide. PostgreSQL: its trigram indexes serve
the LIKE tests themselves.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, column, func, or_, select, table

from overlay.catalog.evidence import RECENT
from overlay.catalog.schema import Asset

MAX_WORDS = 16
# how an asset matches, best first: the tier is the first whose test holds (see ``tier``)
TIERS = (
    "its table name is the text (words joined by `_`) or its name ends with it",
    "its key contains the text (words joined by `_`)",
    "its key contains every word",
    "every word is in its key, its owners or its producing tasks' DAG, task and tags",
    "every word is somewhere, its consuming tasks included",
)

_TERMS = table("assets_search_terms", column("rowid"), column("assets_search_terms"))


class SearchError(ValueError):
    """A search text overlay does not run (too many words)."""


def words(text: str) -> list[str]:
    """The distinct lower-case words of a search text, in order."""
    found: list[str] = []
    for word in text.lower().split():
        if word not in found:
            found.append(word)
    if len(found) > MAX_WORDS:
        raise SearchError(f"search has {len(found)} words; at most {MAX_WORDS}")
    return found


def matches(dialect: str, text: str, terms: bool = True) -> ColumnElement[bool]:
    """Assets in which every word of ``text`` occurs (key, search_text or search_related); with ``terms=False`` only
    in the key or the owner names (for a user who may not see every DAG: no match through a DAG's ids or tags)."""
    found = words(text)
    if not found:
        return Asset.id.isnot(None)
    if not terms:
        return and_(*(or_(Asset.key.ilike(_like(w), escape="\\"), Asset.owner_names.ilike(_like(w), escape="\\")) for w in found))
    exact = and_(*(or_(Asset.key.ilike(_like(w), escape="\\"), Asset.search_text.like(_like(w), escape="\\"),
                       Asset.search_related.like(_like(w), escape="\\")) for w in found))
    indexed = [w for w in found if len(w) >= 3]
    if dialect == "sqlite" and indexed:
        query = " AND ".join(f'"{w.replace(chr(34), chr(34) * 2)}"' for w in indexed)
        return and_(Asset.id.in_(select(_TERMS.c.rowid).where(_TERMS.c.assets_search_terms.match(query))), exact)
    return exact


def tier(text: str) -> ColumnElement[int]:
    """The index in ``TIERS`` of how an asset matches ``text`` (for matching assets)."""
    found = words(text)
    phrase, joined = " ".join(found), "_".join(found)
    named = or_(func.lower(Asset.short_name).in_(sorted({phrase, joined})), func.lower(Asset.name) == joined,
                Asset.name.ilike(f"%.{_escape(joined)}", escape="\\"))
    in_key = [Asset.key.ilike(_like(w), escape="\\") for w in found]
    primary = [or_(k, Asset.search_text.like(_like(w), escape="\\")) for k, w in zip(in_key, found)]
    return case((named, 0), (Asset.key.ilike(_like(joined), escape="\\"), 1), (and_(*in_key), 2), (and_(*primary), 3), else_=4)


def evidence_score(now: datetime) -> ColumnElement[int]:
    """How many kinds of evidence an asset has (producer, owner, recent run, consumers, queries): 0 to 5."""
    signals = (Asset.producer_count > 0, func.length(Asset.owner_names) > 1, Asset.last_materialized >= now - RECENT,
               Asset.consumer_count > 0, Asset.query_count > 0)
    score = case((signals[0], 1), else_=0)
    for signal in signals[1:]:
        score = score + case((signal, 1), else_=0)
    return score


def order(text: str, now: datetime) -> list[ColumnElement]:
    """ORDER BY for a search: tier, then evidence, then consumers, then key."""
    return [tier(text), evidence_score(now).desc(), Asset.consumer_count.desc(), Asset.key]


def _like(word: str) -> str:
    return f"%{_escape(word)}%"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
