"""Freshness: which assets are later than their rule, and why, walked up the asset graph.

Rules come from ``overlay.yaml`` (``freshness: [{match: GLOB, max_lag: 26h}]``, first match wins).
An asset is late when its last successful materialization is older than its max lag, or when it
has none. The reason is found by walking up: the producing task's last run failed; or an upstream
asset is itself late (and why); or the producer has not run since.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from overlay.config import FreshnessRule

_LAG = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)", re.I)
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
MAX_REASON_DEPTH = 10


def parse_lag(text: str) -> timedelta:
    """``26h``, ``1d 2h``, ``90m``, ``1h30m`` -> timedelta; anything else is a ValueError naming the value."""
    parts = _LAG.findall(text.strip())
    if not parts or _LAG.sub("", text).strip():
        raise ValueError(f"max_lag {text!r} is not a duration like 26h, 90m, 1d or 1h30m")
    return sum((timedelta(**{_UNITS[unit.lower()]: float(n)}) for n, unit in parts), timedelta())


def rule_for(key: str, name: str, rules: list[FreshnessRule]) -> FreshnessRule | None:
    return next((r for r in rules if fnmatch.fnmatchcase(key, r.match) or fnmatch.fnmatchcase(name, r.match)), None)


@dataclass
class AssetState:
    """What the catalog knows of one asset for freshness: its runs, producers and upstream assets."""

    key: str
    name: str
    last_success: datetime | None = None
    producers: list[str] = field(default_factory=list)  # dag_id.task_id
    last_runs: dict[str, dict[str, Any]] = field(default_factory=dict)  # producer -> its latest run (any state)
    upstream: list[str] = field(default_factory=list)


@dataclass
class StaleAsset:
    key: str
    rule: str
    max_lag: str
    last_success: datetime | None
    lag: timedelta | None
    reasons: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "rule": self.rule, "max_lag": self.max_lag,
                "last_success": self.last_success.isoformat() if self.last_success else None,
                "lag_seconds": int(self.lag.total_seconds()) if self.lag is not None else None, "reasons": self.reasons}


def stale_assets(states: dict[str, AssetState], rules: list[FreshnessRule], now: datetime | None = None) -> list[StaleAsset]:
    now = now or datetime.now(timezone.utc)
    late = {}
    for key, state in states.items():
        rule = rule_for(key, state.name, rules)
        if rule is None:
            continue
        max_lag = parse_lag(rule.max_lag)
        lag = now - state.last_success if state.last_success else None
        if lag is None or lag > max_lag:
            late[key] = (rule, lag, max_lag)
    result = []
    for key, (rule, lag, max_lag) in sorted(late.items()):
        reasons = explain(key, states, now, max_lag)
        result.append(StaleAsset(key, rule.match, rule.max_lag, states[key].last_success, lag, reasons))
    return result


def explain(key: str, states: dict[str, AssetState], now: datetime, max_lag: timedelta, depth: int = 0,
            seen: set[str] | None = None) -> list[str]:
    """Why an asset is late, most direct cause first."""
    seen = seen if seen is not None else set()
    seen.add(key)
    state = states[key]
    reasons: list[str] = []
    if not state.producers:
        return [f"no task in the scanned DAGs writes {key}"]
    for producer in state.producers:
        run = state.last_runs.get(producer)
        if run is None:
            reasons.append(f"producer {producer} has no recorded run")
        elif run["state"] not in ("success",):
            reasons.append(f"producer {producer} {run['state']} (run {run['run_id']}, try {run['try_number']}, ended {_when(run['end_date'])})")
        elif state.last_success and run["end_date"] and run["end_date"] <= state.last_success and now - run["end_date"] > max_lag:
            reasons.append(f"producer {producer} has not run since {_when(run['end_date'])}")
    if depth < MAX_REASON_DEPTH:
        for upstream in state.upstream:
            if upstream in seen or upstream not in states:
                continue
            up = states[upstream]
            if up.last_success is None and not up.last_runs:
                continue  # no history at all (an external source): nothing to blame it for
            if up.last_success is None or now - up.last_success > max_lag:
                cause = explain(upstream, states, now, max_lag, depth + 1, seen)
                reasons.append(f"upstream {upstream} is late: " + "; ".join(cause))
    failures_first = sorted(reasons, key=lambda r: " failed " not in r and " upstream_failed " not in r)
    return failures_first or [f"last success {_when(state.last_success)} is older than the allowed lag"]


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="minutes") if value else "never"
