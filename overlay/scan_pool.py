"""Files of a scan read in parallel: a process pool over files, results in the files' order.

Each worker process keeps its own state (the repository module cache of static discovery, a DagBag
in import mode), so a module is evaluated once per process. The pool is used on Linux (``fork``:
the worker is inherited, nothing is pickled but the files and their results) when there are enough
files to pay for it; otherwise, or when a worker dies, files are read in this process, with the
same results.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from overlay import collector

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")
ENV_WORKERS = "OVERLAY_SCAN_WORKERS"
MIN_FILES_PER_WORKER = 8

_worker: Callable[[Any], Any] | None = None  # set before forking; each child has its own copy


def worker_count(requested: int | None = None) -> int:
    if requested is not None:
        return max(1, requested)
    env = os.environ.get(ENV_WORKERS, "").strip()
    if env.isdigit():
        return max(1, int(env))
    return max(1, os.cpu_count() or 1)


def map_files(work: Callable[[T], R], items: Sequence[T], workers: int, on_done: Callable[[int], None] | None = None) -> list[R]:
    """``[work(i) for i in items]``, spread over ``workers`` processes when that pays; ``on_done(n)`` as results come."""
    if workers <= 1 or len(items) < MIN_FILES_PER_WORKER * 2 or "fork" not in multiprocessing.get_all_start_methods():
        return _serial(work, items, on_done)
    global _worker
    _worker = work
    workers = min(workers, len(items) // MIN_FILES_PER_WORKER)
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=collector.tune) as pool:
            results = []
            # small chunks (15 files of 1,000 on 2 cores, ~0.1 s of work each): no worker idles long waiting for the last one
            for result in pool.map(_run, items, chunksize=max(1, len(items) // (workers * 32))):
                results.append(result)
                if on_done is not None:
                    on_done(len(results))
            return results
    except (BrokenProcessPool, OSError) as e:  # a worker killed (memory) or no processes to fork: read here
        log.warning("scan workers failed (%s): reading the files in one process", e)
        return _serial(work, items, on_done)
    finally:
        _worker = None


def _serial(work: Callable[[T], R], items: Sequence[T], on_done: Callable[[int], None] | None) -> list[R]:
    results = []
    for item in items:
        results.append(work(item))
        if on_done is not None:
            on_done(len(results))
    return results


def _run(item: Any) -> Any:
    assert _worker is not None
    return _worker(item)
