"""Coverage of a scan: how many tasks that touch data overlay resolved, and why the others are not.

Pure: ``ResolvedTask`` records in, a ``Coverage`` record out. Reasons are grouped by their text with
the specifics of one occurrence (line numbers, ``file:line:`` prefixes) taken out, so that 100 tasks of
one unknown operator are one reason with a count and one example location. Where a setting of
``overlay.yaml`` would resolve a reason, ``HINTS`` (data, first match wins) says which.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

from overlay.config import Settings
from overlay.model import ResolvedTask

# (pattern over the reason text, the setting that would resolve it, the Settings fields one of which must
# exist for that setting to be offered: a hint never names a setting this version does not read)
HINTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (r"^unknown operator (\w+)", "declare what {0} reads and writes with an `operators:` rule in overlay.yaml",
     ("operator_rules", "operators", "user_rules")),
    (r"Airflow Variable [`']([^`']+)[`']", "give the Variable's value under `variables:` in overlay.yaml ({0}: ...)", ("variables",)),
    (r"\bVariable\b", "give the Variable's value under `variables:` in overlay.yaml", ("variables",)),
    (r"\bconnection\b.*\bnot known\b|\bconn_id\b", "describe the connection under `connections:` in overlay.yaml", ("connections",)),
    (r"not found in template_searchpath|SQL file .* not found",
     "if the DAGs name a deployment path, map it to the checkout with `paths:` in overlay.yaml", ("path_remaps",)),
)
_LINE_PATTERNS = (
    re.compile(r"^\S+?:\d+:\s*"),  # "file.sql:12: " prefix
    re.compile(r"\s*\((?:at )?line \d+\)"),  # " (line 12)"
    re.compile(r"\b(?:at )?line \d+\b"),  # "at line 12"
    re.compile(r"\bstatement \d+\b"),
    re.compile(r"\s*\(searched [^)]*\)"),
)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
TOP = 10
_SETTINGS_FIELDS = {f.name for f in fields(Settings)}


@dataclass
class Reason:
    reason: str  # the reason with the specifics of one occurrence taken out
    count: int  # tasks that have it
    example: str  # "file:line" of one of them
    task: str  # "dag_id.task_id" of that one
    hint: str | None = None  # the setting that would resolve it, where there is one
    detail: str = ""  # the example's reason as it was reported

    def to_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "count": self.count, "example": self.example, "task": self.task, "hint": self.hint,
                "detail": self.detail}


@dataclass
class Coverage:
    tasks: int = 0
    touching_data: int = 0  # tasks that are not no_data
    resolved: int = 0
    partial: int = 0
    unresolved: int = 0
    no_data: int = 0
    reasons: list[Reason] = field(default_factory=list)

    @property
    def resolved_share(self) -> float:
        return self.resolved / self.touching_data if self.touching_data else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {"tasks": self.tasks, "touching_data": self.touching_data, "resolved": self.resolved, "partial": self.partial,
                "unresolved": self.unresolved, "no_data": self.no_data, "resolved_share": round(self.resolved_share, 4),
                "reasons": [r.to_dict() for r in self.reasons]}


def normalize_reason(text: str) -> str:
    """The reason of one task, with what is particular to it (lines, quoted names, searched paths) taken out."""
    for pattern in _LINE_PATTERNS:
        text = pattern.sub("", text)
    text = _QUOTED.sub("'…'", text)
    return " ".join(text.split()).strip(" ;:")


def hint_for(reason: str) -> str | None:
    for pattern, hint, names in HINTS:
        match = re.search(pattern, reason)
        if match and any(f in _SETTINGS_FIELDS for f in names):
            return hint.format(*match.groups())
    return None


def coverage(tasks: list[ResolvedTask], top: int = TOP) -> Coverage:
    result = Coverage(tasks=len(tasks))
    counts: Counter[str] = Counter()
    first: dict[str, tuple[ResolvedTask, str]] = {}
    for task in tasks:
        status = task.status if task.status in ("resolved", "partial", "unresolved", "no_data") else "unresolved"
        setattr(result, status, getattr(result, status) + 1)
        if status in ("partial", "unresolved"):
            seen = set()
            for error in task.errors or ["no reason recorded"]:
                reason = normalize_reason(error)
                if reason not in seen:
                    seen.add(reason)
                    counts[reason] += 1
                    first.setdefault(reason, (task, error))
    result.touching_data = result.tasks - result.no_data
    for reason, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]:
        task, original = first[reason]
        result.reasons.append(Reason(reason, count, f"{task.file}:{task.line or ''}", f"{task.dag_id}.{task.task_id}",
                                     hint_for(original), original))
    return result


STATUSES = ("resolved", "partial", "unresolved", "no_data")


def reasons_by_task(rows: list[dict[str, Any]], tasks_per_reason: int = 200) -> dict[str, Any]:
    """Totals by status, and each reason with the setting that would resolve it and every task that has it.

    ``rows``: ``{"dag_id", "task_id", "file", "line", "status", "errors"}`` each (``Catalog.coverage_rows``).
    Reasons are grouped as in ``coverage``; most tasks first; ``tasks`` lists at most ``tasks_per_reason``."""
    totals = dict.fromkeys(STATUSES, 0)
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        status = row["status"] if row["status"] in STATUSES else "unresolved"
        totals[status] += 1
        if status not in ("partial", "unresolved"):
            continue
        seen: set[str] = set()
        for error in row["errors"] or ["no reason recorded"]:
            reason = normalize_reason(str(error))
            if reason in seen:
                continue
            seen.add(reason)
            group = groups.setdefault(reason, {"reason": reason, "setting": hint_for(str(error)), "count": 0, "tasks": []})
            group["count"] += 1
            if len(group["tasks"]) < tasks_per_reason:
                group["tasks"].append({k: row[k] for k in ("dag_id", "task_id", "file", "line")})
    return {"totals": totals, "reasons": sorted(groups.values(), key=lambda g: (-g["count"], g["reason"]))}
