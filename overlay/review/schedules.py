"""When a DAG's runs start within their period, from its cron schedule (croniter), for schedule races."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from croniter import croniter

PRESETS = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
           "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *"}
REFERENCE = datetime(2026, 1, 5, tzinfo=timezone.utc)  # a Monday at midnight: a boundary of hours, days and weeks


def period_start(schedule: str | None) -> tuple[timedelta, timedelta] | None:
    """(period, offset of the run within it) for a cron schedule that fires once per fixed period, else None."""
    if not schedule:
        return None
    expression = PRESETS.get(schedule.strip(), schedule.strip())
    if not croniter.is_valid(expression):
        return None
    fires = croniter(expression, REFERENCE - timedelta(seconds=1)).all_next(datetime)
    times = [next(fires) for _ in range(4)]
    gaps = {b - a for a, b in zip(times, times[1:])}
    if len(gaps) != 1:
        return None  # several runs per period (e.g. "0 6,18 * * *") or irregular: no single start to compare
    period = gaps.pop()
    if period not in (timedelta(hours=1), timedelta(days=1), timedelta(weeks=1)):
        return None
    return period, (times[0] - REFERENCE) % period


def race(producer: str | None, consumer: str | None, duration: timedelta = timedelta(0)) -> timedelta | None:
    """How long before the producer's run is expected to finish the consumer starts, in the same period (None: no race)."""
    p, c = period_start(producer), period_start(consumer)
    if p is None or c is None or p[0] != c[0]:
        return None
    finish = p[1] + duration
    return finish - c[1] if c[1] < finish else None
