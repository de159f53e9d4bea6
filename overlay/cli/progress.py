"""Progress of long work on stderr: a rich progress bar in a terminal, nothing in a pipe; ``-v`` lines say what each stage does."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from overlay.cli.output import err_console
from overlay.scan_problems import file_problems

log = logging.getLogger("overlay")
T = TypeVar("T")


def _bar() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), console=err_console, transient=True)


class ScanDisplay:
    """Files read (import or static), then files extracted with tasks found and the rate; ``-v`` logs one line per file."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.reading = self.extracting = None
        self.tasks = self.files = 0
        self.started = time.perf_counter()

    def discovered(self, done: int, total: int) -> None:
        if self.progress is None:
            return
        if self.reading is None:
            self.reading = self.progress.add_task("reading DAG files", total=total, detail="")
        self.progress.update(self.reading, completed=done, detail=f"{done / max(time.perf_counter() - self.started, 1e-6):.1f} files/s")

    def extracted(self, found: Any, outcome: Any) -> None:
        self.files += 1
        self.tasks += len(outcome.tasks)
        if log.isEnabledFor(logging.INFO):
            statuses: dict[str, int] = {}
            for task in outcome.tasks:
                statuses[task.status] = statuses.get(task.status, 0) + 1
            how = "unchanged, reused from the last scan" if found.skipped else f"read by {found.mode_used}"
            from overlay.scan import display_path

            problems = file_problems(outcome.errors)
            notes = "".join(f" ({p['note']})" for p in problems if p["note"])
            log.info("file %s: %s; %d DAGs, %d tasks (%s), %d tables; %d errors%s", display_path(found.path), how, len(outcome.dags),
                     len(outcome.tasks), ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())) or "none", len(outcome.assets),
                     len(problems), notes)
        if self.progress is None:
            return
        if self.extracting is None:
            self.extracting = self.progress.add_task("finding SQL and tables", total=None, detail="")
        rate = self.files / max(time.perf_counter() - self.started, 1e-6)
        self.progress.update(self.extracting, completed=self.files, detail=f"{self.tasks} tasks · {rate:.1f} files/s")


@contextmanager
def scan_progress() -> Iterator[ScanDisplay]:
    if not err_console.is_terminal:
        yield ScanDisplay(None)
        return
    with _bar() as progress:
        yield ScanDisplay(progress)


def counted(rows: Iterable[T], label: str) -> Iterator[T]:
    """``rows`` unchanged, with a running count and rate on stderr when it is a terminal (ingesting query history)."""
    if not err_console.is_terminal:
        yield from rows
        return
    started = time.perf_counter()
    with _bar() as progress:
        task = progress.add_task(label, total=None, detail="")
        for n, row in enumerate(rows, 1):
            yield row
            if n % 500 == 0:
                progress.update(task, completed=n, detail=f"{n / max(time.perf_counter() - started, 1e-6):,.0f} rows/s")
