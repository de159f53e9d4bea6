"""Cumulative statistics (pg_stat_statements) turned into what happened between two snapshots.

A pg_stat_statements row holds totals since the statistics were last reset, per statement
``(queryid, dbid, userid)``. Billing each snapshot's totals counts the same work again at every
snapshot (1 h, then 2 h, billed 3 h). So each statement's last snapshot is kept as a ``Baseline``
and only the difference is billed. Counts going down, or a newer ``stats_since``, mean the
statistics were reset: the new totals are then what ran since the reset (never a negative bill).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

OUTCOMES = ("first", "delta", "reset", "unchanged", "older")


@dataclass(frozen=True)
class Baseline:
    """One statement's totals as of one snapshot."""

    calls: int
    total_ms: float
    captured_at: datetime | None = None
    stats_since: datetime | None = None


@dataclass(frozen=True)
class Delta:
    calls: int
    total_ms: float


def statement_key(queryid: object, dbid: object = None, userid: object = None) -> str:
    """``queryid`` alone when the row does not say its database and user (older exports)."""
    if dbid in (None, "") and userid in (None, ""):
        return str(queryid)
    return f"{queryid}:{'' if dbid is None else dbid}:{'' if userid is None else userid}"


def difference(previous: Baseline | None, current: Baseline) -> tuple[Delta | None, str]:
    """What to bill for ``current`` given the statement's last snapshot, and which case it was (``OUTCOMES``)."""
    if previous is None:
        return Delta(current.calls, current.total_ms), "first"
    if previous.captured_at and current.captured_at and current.captured_at <= previous.captured_at:
        return None, "older"  # an older (or the same) snapshot: already accounted for
    if previous.stats_since and current.stats_since and current.stats_since > previous.stats_since:
        return Delta(current.calls, current.total_ms), "reset"
    calls = current.calls - previous.calls
    total = current.total_ms - previous.total_ms
    if calls < 0 or total < 0:
        return Delta(current.calls, current.total_ms), "reset"
    if calls == 0 and total == 0:
        return None, "unchanged"
    return Delta(calls, total), "delta"
