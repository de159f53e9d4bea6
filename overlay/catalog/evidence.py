"""Evidence that an asset is in use, and the verdict among assets of the same table name.

"Which ``orders`` table should I use?": among assets whose table name (last dotted part of the name, any
case) is the same, the one with strictly the most kinds of evidence, a producer and an owner among them,
is ``preferred``; one with no producer, no owner and no recent successful run, while a same-named one has a
producer or an owner, is ``likely_legacy`` (it may still have readers: those are the tasks to move). Any
other, and an asset whose table name no other asset has, gets no verdict (None): precision before recall.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import bindparam, func, select

from overlay.catalog.schema import Asset

RECENT = timedelta(days=7)  # a successful run newer than this is "fresh"
PREFERRED, LIKELY_LEGACY = "preferred", "likely_legacy"
# the kinds of evidence, as (name, what it says when present); rules as data for the verdicts and their reasons
SIGNALS = (("producer", "a producer"), ("owner", "an owner"), ("fresh", "fresh runs"), ("consumers", "consumers"),
           ("queries", "query traffic"))
PREFERRED_NEEDS = frozenset({"producer", "owner"})
LEGACY_LACKS = frozenset({"producer", "owner", "fresh"})


@dataclass(frozen=True)
class Evidence:
    producers: int
    consumers: int
    owners: int
    last_materialized: datetime | None
    queries: int

    def signals(self, now: datetime) -> frozenset[str]:
        last = self.last_materialized
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=timezone.utc)  # the catalog stores UTC; SQLite gives it back without the offset
        present = {"producer": self.producers > 0, "owner": self.owners > 0, "fresh": last is not None and last >= now - RECENT,
                   "consumers": self.consumers > 0, "queries": self.queries > 0}
        return frozenset(name for name, yes in present.items() if yes)

    def to_dict(self) -> dict[str, Any]:
        last = self.last_materialized
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=timezone.utc)
        return {"producers": self.producers, "consumers": self.consumers, "owners": self.owners,
                "last_materialized": last.isoformat() if last else None, "queries": self.queries}


def table_name(name: str) -> str:
    """The table name assets are compared by: the last dotted part of the name, lower case."""
    return name.rsplit(".", 1)[-1].lower()


def verdicts(group: Mapping[str, Evidence], now: datetime) -> dict[str, str | None]:
    """key -> verdict for the assets of one table name (each key's evidence)."""
    if len(group) < 2:
        return dict.fromkeys(group)
    signals = {key: e.signals(now) for key, e in group.items()}
    best = max(len(s) for s in signals.values())
    leaders = [k for k, s in signals.items() if len(s) == best]
    preferred = leaders[0] if len(leaders) == 1 and PREFERRED_NEEDS <= signals[leaders[0]] else None
    someone_used = any(s & {"producer", "owner"} for s in signals.values())
    result: dict[str, str | None] = {}
    for key, s in signals.items():
        if key == preferred:
            result[key] = PREFERRED
        elif someone_used and not s & LEGACY_LACKS:
            result[key] = LIKELY_LEGACY
        else:
            result[key] = None
    return result


def reason(verdict: str | None, evidence: Evidence, now: datetime) -> str:
    """What a verdict rests on, for a person: "preferred: a producer, an owner, consumers"."""
    present = evidence.signals(now)
    if verdict == LIKELY_LEGACY:
        return "no producer, no owner: likely legacy"
    said = ", ".join(text for name, text in SIGNALS if name in present) or "no evidence"
    return f"preferred: {said}" if verdict == PREFERRED else said


def stored(row: Any) -> Evidence:
    """Evidence from an asset row's stored columns (``overlay.catalog.search_docs`` keeps them)."""
    from overlay.catalog.queries import _owner_names

    return Evidence(row.producer_count or 0, row.consumer_count or 0, len(_owner_names(row.owners)), row.last_materialized,
                    row.query_count or 0)


EVIDENCE_COLUMNS = (Asset.id, Asset.key, Asset.name, Asset.owners, Asset.producer_count, Asset.consumer_count,
                    Asset.last_materialized, Asset.query_count)


# built once: a statement built per request costs more than running it
_NAME_COUNTS = select(Asset.short_name, func.count()).where(Asset.short_name.in_(bindparam("names", expanding=True))) \
    .group_by(Asset.short_name)
_SAME_NAME = select(*EVIDENCE_COLUMNS, Asset.short_name).where(Asset.short_name.in_(bindparam("names", expanding=True))).order_by(Asset.key)


def same_name_rows(conn: Any, short_names: Iterable[str]) -> dict[str, list[Any]]:
    """table name -> the asset rows (``EVIDENCE_COLUMNS``) with that table name, for the given ``short_name`` values that
    more than one asset has (a name only one asset has gets no verdict)."""
    given = set(short_names)
    wanted = {table_name(n) for n in given}
    if not wanted:
        return {}
    spellings = sorted(given | wanted | {w.upper() for w in wanted})  # the short_name index is case-sensitive: usual spellings
    sizes: dict[str, int] = {}
    for short_name, count in conn.execute(_NAME_COUNTS, {"names": spellings}):  # from the index alone
        sizes[table_name(short_name)] = sizes.get(table_name(short_name), 0) + count
    shared = [n for n in spellings if sizes.get(table_name(n), 0) > 1]
    groups: dict[str, list[Any]] = {}
    for row in conn.execute(_SAME_NAME, {"names": shared}) if shared else []:
        if table_name(row.name) in wanted:
            groups.setdefault(table_name(row.name), []).append(row)
    return groups


def judged(groups: Mapping[str, list[Any]], evidence_of: Any, now: datetime) -> dict[str, tuple[Evidence, str | None]]:
    """key -> (evidence, verdict) for every asset of the groups; ``evidence_of(row)`` gives a row's evidence."""
    result: dict[str, tuple[Evidence, str | None]] = {}
    for rows in groups.values():
        evidence = {row.key: evidence_of(row) for row in rows}
        for key, verdict in verdicts(evidence, now).items():
            result[key] = (evidence[key], verdict)
    return result
