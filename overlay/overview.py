"""Pure pieces of the UI's overview answers: a cost series in day or week buckets, the path between two assets,
and stale assets as the home page lists them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import networkx as nx

from overlay.freshness import StaleAsset, parse_lag

BUCKETS = ("day", "week")
MAX_FILLED_PERIODS = 2_000  # a longer range lists only the periods that had queries


def period_of(when: datetime, bucket: str) -> date:
    """The day, or the Monday of the ISO week, ``when`` falls in (UTC)."""
    day = when.date()
    return day - timedelta(days=day.weekday()) if bucket == "week" else day


def cost_series(rows: Iterable[tuple[datetime, float]], bucket: str, since: datetime | None = None,
                until: datetime | None = None) -> dict[str, Any]:
    """``{"series": [{"period", "cost", "queries"}], "total"}``: one entry per period from the first to the last
    (``since``/``until`` when given), periods without queries at 0, so a chart has no gaps."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket {bucket!r}: use day or week")
    sums: dict[date, list[float]] = {}
    for started, cost in rows:
        entry = sums.setdefault(period_of(started, bucket), [0.0, 0])
        entry[0] += cost
        entry[1] += 1
    periods = sorted(sums)
    first = period_of(since, bucket) if since else (periods[0] if periods else None)
    last = period_of(until - timedelta(microseconds=1), bucket) if until else (periods[-1] if periods else None)
    step = timedelta(days=7 if bucket == "week" else 1)
    if first is not None and last is not None and first <= last and (last - first) / step < MAX_FILLED_PERIODS:
        periods = []
        current = first
        while current <= last:
            periods.append(current)
            current += step
    series = [{"period": p.isoformat(), "cost": round(sums.get(p, [0.0])[0], 6), "queries": int(sums.get(p, [0.0, 0])[1])}
              for p in periods]
    return {"series": series, "total": round(sum(v[0] for v in sums.values()), 6)}


def path_between(graph: nx.MultiDiGraph, start: str, end: str) -> dict[str, Any] | None:
    """The shortest path following edges start -> end, else end -> start; None when neither exists.

    Each edge names the task that moves the data (``via``, the first by name when several do) and all of them (``tasks``)."""
    for a, b in ((start, end), (end, start)):
        try:
            nodes = nx.shortest_path(graph, a, b)
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            continue
        edges = []
        for x, y in zip(nodes, nodes[1:]):
            tasks = sorted(graph.get_edge_data(x, y).keys())
            edges.append({"from": x, "to": y, "via": tasks[0], "tasks": tasks})
        return {"nodes": nodes, "edges": edges}
    return None


def stale_items(stale: Iterable[StaleAsset]) -> list[dict[str, Any]]:
    """``{"key", "late_by_seconds", "reason"}``: how far past its allowed lag (null when it never succeeded), and the
    most direct cause; the latest first, then those never updated (often loaded outside the scanned DAGs)."""
    items = []
    for s in stale:
        late = int((s.lag - parse_lag(s.max_lag)).total_seconds()) if s.lag is not None else None
        items.append({"key": s.key, "late_by_seconds": late, "reason": s.reasons[0] if s.reasons else "", "reasons": s.reasons})
    return sorted(items, key=lambda i: (i["late_by_seconds"] is None, -(i["late_by_seconds"] or 0), i["key"]))
