"""Ranked search over the catalog's assets: which assets match a text, and in what order.

The text is split into words at white space (``okr dashboard``: two words; ``raw.orders``, ``t_00``: one
each). An asset matches when every word occurs (any case) in its key, in its ``search_text`` (owner and team
names; the producing tasks' DAG ids, ``dag.task`` ids and tags) or in its ``search_related`` (the same of
the consuming tasks); see ``overlay.catalog.search_docs``. Matches are ordered by how they match (``TIERS``,
best first), then by evidence (``overlay.catalog.evidence``), then by key.

SQLite: the FTS5 trigram table of migration 0008 narrows the rows by the words of three or more characters
(a superset: Unicode case folding), then the same LIKE tests decide. PostgreSQL: its trigram indexes serve
the LIKE tests themselves. A page never ranks or counts every match of a broad text (``overlay.catalog.search_pages``).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, case, column, func, or_, select, table

from overlay.catalog.schema import Asset

MAX_WORDS = 16
# how an asset matches, best first: the tier is the first whose test holds (see ``tier``)
TIERS = (
    "its table name (last part of the name) is the text (words joined by `_`)",
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


def matches(dialect: str, text: str, terms: bool = True, prefilter: bool = True) -> ColumnElement[bool]:
    """Assets in which every word of ``text`` occurs (key, search_text or search_related); with ``terms=False`` only
    in the key or the owner names (for a user who may not see every DAG: no match through a DAG's ids or tags).
    ``prefilter=False``: the same set without SQLite's trigram prefilter (for a walk that tests rows one by one)."""
    found = words(text)
    if not found:
        return Asset.id.isnot(None)
    if not terms:
        return and_(*(or_(Asset.key.ilike(_like(w), escape="\\"), Asset.owner_names.ilike(_like(w), escape="\\")) for w in found))
    exact = and_(*(or_(Asset.key.ilike(_like(w), escape="\\"), Asset.search_text.like(_like(w), escape="\\"),
                       Asset.search_related.like(_like(w), escape="\\")) for w in found))
    indexed = [w for w in found if len(w) >= 3]
    if dialect == "sqlite" and indexed and prefilter:
        query = " AND ".join(_quoted(w) for w in indexed)
        return and_(Asset.id.in_(select(_TERMS.c.rowid).where(_TERMS.c.assets_search_terms.match(query))), exact)
    return exact


def tier(text: str) -> ColumnElement[int]:
    """The index in ``TIERS`` of how an asset matches ``text`` (for matching assets)."""
    found = words(text)
    joined = "_".join(found)
    in_key = [Asset.key.ilike(_like(w), escape="\\") for w in found]
    primary = [or_(k, Asset.search_text.like(_like(w), escape="\\")) for k, w in zip(in_key, found)]
    return case((Asset.short_name.in_(_spellings(joined)), 0), (Asset.key.ilike(_like(joined), escape="\\"), 1), (and_(*in_key), 2),
                (and_(*primary), 3), else_=4)


EVIDENCE_ORDER = (Asset.search_rank.desc(), Asset.consumer_count.desc(), Asset.key)  # the index ix_assets_search_order


def order(text: str) -> list[ColumnElement]:
    """ORDER BY for a search: tier, then evidence (``search_rank``: producer, owner, runs, consumers, queries), then key."""
    return [tier(text), *EVIDENCE_ORDER]


def _spellings(name: str) -> list[str]:
    """The usual spellings of a table name (``short_name`` is compared as stored: its index is case-sensitive)."""
    return sorted({name, name.lower(), name.upper()})


# --- SQLite: pages from the trigram table -------------------------------------------------------------------------
NARROW = 1000  # up to this many matches are ranked among themselves; more, tier by tier (overlay.catalog.search_pages)
SMALL = 100  # up to this many are read whole in one query


def fts_page(conn: Any, text: str, columns: tuple[Any, ...], limit: int, offset: int) -> tuple[int, list[Any]] | None:
    """(total, rows) of one page of a search on SQLite from the trigram table, without reading the rows of matches
    outside the page; None when the trigram table cannot decide alone (a word under three characters, or not ASCII,
    where FTS5's Unicode case folding and LIKE's ASCII one differ: the caller runs ``search_pages.ranked_page``)."""
    from overlay.catalog.search_pages import possible_tiers, walk

    found = words(text)
    if not found or not all(len(w) >= 3 and w.isascii() for w in found):
        return None
    ids = list(conn.execute(_matching_ids(), {"query": _fts_query(text, 4)}).scalars())
    if len(ids) <= NARROW:  # every match at hand: rank them here, read only the page's rows
        return len(ids), _narrow_page(conn, text, ids, columns, limit, offset)
    # many: exact counts from the trigram table (the total; each tier's size), the page walked tier by tier
    cumulative = _fts_cumulative(conn, text)
    before = dict(zip(possible_tiers(text)[1:], possible_tiers(text)))  # the tier before each (its counts are the same)

    def size(index: int) -> int:
        return cumulative(index) - (cumulative(before[index]) if index else 0)

    return cumulative(4), walk(conn, text, matches("sqlite", text, prefilter=False), columns, limit, offset, sizes=size,
                               narrowed=lambda index: _fts_tier(text, index))


def _fts_cumulative(conn: Any, text: str) -> Any:
    """tier -> how many assets are in it or a better one (tier k's test holds for tiers 0..k), counted once each."""
    counted: dict[int, int] = {}

    def cumulative(index: int) -> int:
        if index not in counted:
            counted[index] = conn.execute(select(func.count()).select_from(Asset).where(Asset.short_name.in_(
                _spellings("_".join(words(text)))))).scalar_one() if index == 0 else _fts_count(conn, text, index)
        return counted[index]

    return cumulative


def _fts_tier(text: str, index: int) -> ColumnElement[bool]:
    """The assets of the cumulative tier ``index`` (1-4), from the trigram table alone."""
    return Asset.id.in_(select(_TERMS.c.rowid).where(_TERMS.c.assets_search_terms.match(_fts_query(text, index))))


def _fts_count(conn: Any, text: str, index: int) -> int:
    return conn.execute(select(func.count()).select_from(_TERMS).where(_TERMS.c.assets_search_terms.match(_fts_query(text, index))))\
        .scalar_one()


# built once: a statement built per request costs more than running it
def _matching_ids() -> Any:
    return select(_TERMS.c.rowid).where(_TERMS.c.assets_search_terms.match(bindparam("query"))).limit(NARROW + 1)


_RANKING = select(Asset.id, Asset.key, Asset.short_name, Asset.search_text, Asset.search_rank, Asset.consumer_count) \
    .where(Asset.id.in_(bindparam("ids", expanding=True)))
_BY_IDS: dict[tuple[Any, ...], Any] = {}
_WHOLE: dict[tuple[Any, ...], Any] = {}


def _narrow_page(conn: Any, text: str, ids: list[int], columns: tuple[Any, ...], limit: int, offset: int) -> list[Any]:
    found = words(text)
    joined = "_".join(found)
    names = set(_spellings(joined))

    def tier_of(row: Any) -> int:  # as ``tier`` (ASCII words: lower() folds as LIKE does)
        key = row.key.lower()
        if row.short_name in names:
            return 0
        if joined in key:
            return 1
        if all(w in key for w in found):
            return 2
        return 3 if all(w in key or w in (row.search_text or "") for w in found) else 4

    if not ids:
        return []
    if len(ids) <= SMALL:  # few: read them whole at once (one query)
        if columns not in _WHOLE:
            _WHOLE[columns] = select(*columns, Asset.search_text, Asset.search_rank).where(Asset.id.in_(bindparam("ids", expanding=True)))
        rows = conn.execute(_WHOLE[columns], {"ids": ids}).all()
        ranked = sorted(rows, key=lambda r: (tier_of(r), -r.search_rank, -r.consumer_count, r.key))[offset:offset + limit]
        return [_with_match(r, tier_of(r)) for r in ranked]
    rows = conn.execute(_RANKING, {"ids": ids}).all()  # else rank from a few columns, then read the page's rows
    ranked = sorted(rows, key=lambda r: (tier_of(r), -r.search_rank, -r.consumer_count, r.key))[offset:offset + limit]
    if not ranked:
        return []
    tiers = {r.id: tier_of(r) for r in ranked}
    if columns not in _BY_IDS:
        _BY_IDS[columns] = select(*columns).where(Asset.id.in_(bindparam("ids", expanding=True)))
    page = {r.id: r for r in conn.execute(_BY_IDS[columns], {"ids": list(tiers)}).all()}
    return [_with_match(page[i], tiers[i]) for i in tiers]


def _with_match(row: Any, match: int) -> SimpleNamespace:
    return SimpleNamespace(**row._asdict(), match=match)


def _fts_query(text: str, index: int) -> str:
    found = words(text)
    joined = "_".join(found)
    return [None, f"key : {_quoted(joined)}", " AND ".join(f"key : {_quoted(w)}" for w in found),
            " AND ".join(f"{{key search_text}} : {_quoted(w)}" for w in found), " AND ".join(_quoted(w) for w in found)][index]


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _like(word: str) -> str:
    return f"%{_escape(word)}%"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
