"""One page of a ranked search without ranking or counting every match: a text of one or two letters matches
most of the catalog, and sorting 50,000 matches by tier to return 50 of them took 140-170 ms.

- Up to ``search.NARROW`` matches: their ids are read (the first ``NARROW + 1`` the database finds), the page is
  ranked among them, and the total is exact.
- More: the page is walked tier by tier (``overlay.catalog.search.TIERS``) down the evidence index
  (``ix_assets_search_order``, the ties' order), each tier's query stopping at the page's end; a broad text
  fills the page from the first rows it walks. The total is then counted exactly when the caller has a cheap
  count (SQLite's trigram table), else estimated from a fixed sample of about one asset in ``SAMPLE`` (runs
  of consecutive ids spread over the table) and flagged ``total_is_estimate``.

The order of the page is the same as ``ORDER BY tier, search_rank DESC, consumer_count DESC, key`` over
every match: each tier is read in that order, and tiers follow each other.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select
from sqlalchemy.orm import aliased

from overlay.catalog.schema import Asset
from overlay.catalog import search as ranked
from overlay.catalog.search import EVIDENCE_ORDER, _spellings, order, tier, words

BULK = 1000  # the API's largest page; a caller asking for more reads every match
# each its own subquery: together in one SELECT, min/max/count read every row instead of an index end and a count
_BOUNDS = select(select(func.min(Asset.id)).scalar_subquery(), select(func.max(Asset.id)).scalar_subquery(),
                 select(func.count()).select_from(Asset).scalar_subquery())
SAMPLE, BLOCKS, MIN_SAMPLE = 32, 32, 2000  # the estimate counts the matches among one asset in SAMPLE (at least MIN_SAMPLE), in BLOCKS runs of ids


def ranked_page(conn: Any, text: str, where: ColumnElement[bool], exact: ColumnElement[bool], columns: tuple[Any, ...],
                limit: int, offset: int, count: Callable[[], int] | None = None) -> tuple[int, bool, list[Any]]:
    """(total, total_is_estimate, rows) of one page of the assets matching ``where``, ranked for ``text``; each row has
    ``match`` (its tier). ``exact`` is the same set as ``where`` without an index-only prefilter (the tier walk tests rows
    one by one, where a prefilter would be built whole first); ``count`` gives the exact total cheaply, if it can."""
    if limit > BULK:  # more than an API page (a scoped catalog reads every match): one sorted read, as cheap as it gets
        total = conn.execute(select(func.count()).select_from(Asset).where(where)).scalar_one()
        return total, False, conn.execute(select(*columns, tier(text).label("match")).where(where).order_by(*order(text))
                                          .limit(limit).offset(offset)).all()
    ids = conn.execute(select(Asset.id).where(where).limit(ranked.NARROW + 1)).scalars().all()
    if len(ids) <= ranked.NARROW:
        return len(ids), False, _rank_among(conn, text, ids, columns, limit, offset)
    total, estimated = (count(), False) if count is not None else estimate(conn, exact)
    return total, estimated, walk(conn, text, exact, columns, limit, offset)


def _rank_among(conn: Any, text: str, ids: list[int], columns: tuple[Any, ...], limit: int, offset: int) -> list[Any]:
    if not ids:
        return []
    return conn.execute(select(*columns, tier(text).label("match")).where(Asset.id.in_(ids)).order_by(*order(text))
                        .limit(limit).offset(offset)).all()


def walk(conn: Any, text: str, exact: ColumnElement[bool], columns: tuple[Any, ...], limit: int, offset: int,
         sizes: Callable[[int], int] | None = None, narrowed: Callable[[int], ColumnElement[bool]] | None = None) -> list[Any]:
    """The page, tier after tier, each read in evidence order up to what the page still needs.

    A tier is first looked for among the first ``WINDOW`` assets in evidence order (a broad text fills the page
    there); a tier too sparse for that is read whole and sorted, through ``narrowed(tier)`` (an index-served
    superset of the tier) when given. ``sizes(tier)``, when given, is the tier's exact size: empty tiers and tiers
    the page starts past are skipped without a query."""
    rank = tier(text)
    rows: list[Any] = []
    start = 0  # matches in the tiers before this one (counted only when the page starts past them)
    for index in possible_tiers(text):
        want = limit - len(rows)
        if want <= 0:
            break
        skip = max(0, offset - start)
        known: list[int] = []

        def size(index: int = index) -> int | None:  # the tier's size when the caller can count it, counted once
            if sizes is None:
                return None
            if not known:
                known.append(sizes(index))
            return known[0]

        if skip and (counted := size()) is not None and skip >= counted:
            start += counted
            continue
        condition = and_(exact, Asset.short_name.in_(_spellings("_".join(words(text))))) if index == 0 else and_(exact, rank == index)
        got = _tier_rows(conn, condition, index, columns, want, skip, size, narrowed)
        rows.extend(got)
        if len(got) == want:
            break
        # the tier ran out: it held skip + len(got) matches, unless the page starts past its end (then count it)
        start += skip + len(got) if got or not skip else size() or conn.execute(
            select(func.count()).select_from(Asset).where(condition)).scalar_one()
    return rows


WINDOW = 500  # the first assets in evidence order where a tier is looked for first (a tier of one asset in ten fills a page of 50)


def _tier_rows(conn: Any, condition: ColumnElement[bool], index: int, columns: tuple[Any, ...], want: int, skip: int,
               size: Callable[[], int | None], narrowed: Callable[[int], ColumnElement[bool]] | None) -> list[Any]:
    def page(where: ColumnElement[bool]) -> Any:
        return select(*columns, literal(index).label("match")).where(where).order_by(*EVIDENCE_ORDER).limit(want).offset(skip)

    def sorted_read() -> list[Any]:  # the tier whole (from its index-served superset when there is one), sorted
        return conn.execute(page(and_(condition, narrowed(index)) if narrowed is not None else condition)
                            .with_hint(Asset, "NOT INDEXED", "sqlite")).all()

    if index == 0:  # the table name's index finds them
        return conn.execute(page(condition)).all()
    if skip + want <= WINDOW:
        first = aliased(Asset)
        window = select(first.id).order_by(first.search_rank.desc(), first.consumer_count.desc(), first.key).limit(WINDOW)
        got = conn.execute(page(and_(condition, Asset.id.in_(window)))).all()
        if len(got) == want:  # the tier's first rows in evidence order are its first rows over the whole catalog
            return got
        # not in the window: a tier of known size too big to sort is walked in evidence order to the page's end; else sorted
        if (counted := size()) is None or counted <= ranked.NARROW:
            return sorted_read()
    elif want > ranked.NARROW:  # most of a tier asked for at once (a scoped catalog reads every match): one sorted read
        return sorted_read()
    # deep in a tier, or a big tier outside the window: walk the evidence index to the page instead of sorting the tier
    return conn.execute(page(condition).with_hint(Asset, "INDEXED BY ix_assets_search_order", "sqlite")).all()


def possible_tiers(text: str) -> list[int]:
    """The tiers a text can have matches in: with one word, "contains the text" and "contains every word" are the same
    test, so tier 2 is always empty (walking it would read every row to find none)."""
    return [0, 1, 3, 4] if len(words(text)) == 1 else [0, 1, 2, 3, 4]


@lru_cache(maxsize=4)  # the same blocks until the catalog's ids change: built once, not per request
def _sample(low: int, span: int, width: int) -> ColumnElement[bool]:
    return or_(*(Asset.id.between(start, start + width - 1) for start in (low + span * i // BLOCKS for i in range(BLOCKS))))


def estimate(conn: Any, exact: ColumnElement[bool]) -> tuple[int, bool]:
    """(how many assets match, whether that is an estimate). Over ``MIN_SAMPLE`` ids, the share of matches among a fixed
    sample of about one asset in ``SAMPLE`` (``BLOCKS`` runs of consecutive ids spread over the table, read by id) times
    the assets (at least ``NARROW + 1``, which the caller has seen); a smaller catalog is counted."""
    low, high, assets = conn.execute(_BOUNDS).one()
    span = (high or 0) - (low or 0) + 1
    width = max(-(-MIN_SAMPLE // BLOCKS), span // (SAMPLE * BLOCKS))
    if width * BLOCKS >= span:
        return conn.execute(select(func.count()).select_from(Asset).where(exact)).scalar_one(), False
    sampled, matched = conn.execute(select(func.count(), func.count().filter(exact)).select_from(Asset)
                                    .where(_sample(low, span, width))).one()
    return max(ranked.NARROW + 1, round(assets * matched / sampled) if sampled else 0), True
