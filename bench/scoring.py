"""Scoring of table-level lineage predictions, as the corpus README defines it.

A name matches when equal, or when one is a dotted suffix of the other (``mart.orders`` matches
``db.mart.orders``); stage and URI locations (``@stage``, ``s3://``, paths) are not tables and are
removed from both sides before scoring.
"""

from __future__ import annotations

from dataclasses import dataclass


def is_location(name: str) -> bool:
    return "://" in name or name.startswith(("@", "/", "~"))


def tables(names: list[str]) -> list[str]:
    return sorted({n.lower() for n in names if not is_location(n)})


def names_match(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def matched(expected: list[str], got: list[str]) -> int:
    """Size of a one-to-one matching between expected and predicted names (greedy, exact matches first)."""
    remaining = list(got)
    count = 0
    for name in sorted(expected, key=lambda n: n not in remaining):
        hit = next((g for g in remaining if g == name), None) or next((g for g in remaining if names_match(name, g)), None)
        if hit is not None:
            remaining.remove(hit)
            count += 1
    return count


def sets_equal(expected: list[str], got: list[str]) -> bool:
    expected, got = tables(expected), tables(got)
    return len(expected) == len(got) == matched(expected, got)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, expected: list[str], got: list[str]) -> None:
        expected, got = tables(expected), tables(got)
        hits = matched(expected, got)
        self.tp += hits
        self.fp += len(got) - hits
        self.fn += len(expected) - hits

    def __iadd__(self, other: Counts) -> Counts:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn
        return self

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Score:
    cases: int = 0
    exact: int = 0
    crashes: int = 0
    reads: Counts = None  # type: ignore[assignment]
    writes: Counts = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.reads = self.reads or Counts()
        self.writes = self.writes or Counts()

    @property
    def overall(self) -> Counts:
        total = Counts()
        total += self.reads
        total += self.writes
        return total

    @property
    def exact_rate(self) -> float:
        return self.exact / self.cases if self.cases else 0.0


def score(cases: list[dict], predictions: dict[str, dict], skip: set[str] | None = None) -> tuple[Score, list[str]]:
    """Score predictions; returns the score and the ids of the cases that are not an exact match."""
    result, failing = Score(), []
    for case in cases:
        if skip and case["id"] in skip:
            continue
        got = predictions.get(case["id"], {"reads": [], "writes": [], "crashed": True})
        result.cases += 1
        result.crashes += bool(got.get("crashed"))
        result.reads.add(case["reads"], got["reads"])
        result.writes.add(case["writes"], got["writes"])
        if sets_equal(case["reads"], got["reads"]) and sets_equal(case["writes"], got["writes"]):
            result.exact += 1
        else:
            failing.append(case["id"])
    return result, failing
