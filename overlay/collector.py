"""Python's cyclic garbage collector tuned for a scan, which builds a large heap that lives until the scan is stored.

With the default thresholds a collection runs every 700 net allocations, and every tenth of those walks the
middle generation, so parsing (sqlglot builds trees with parent links: cycles) and storing spent 10-15% of their
CPU in the collector, mostly walking objects that were never garbage: the imported modules and the scan's own
results. ``frozen`` moves what exists into the permanent generation (``gc.freeze``), where collections do not look,
and makes the young generation larger; on leaving, both are undone, so a long-lived process that scans (the
Airflow plugin, tests) collects as before afterwards. Cyclic garbage is still collected, just in larger batches.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 10_000  # net allocations between young collections (CPython's default: 700)


def tune() -> None:
    """Freeze what exists and collect the young generation less often, for the rest of this process (a scan worker)."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


@contextmanager
def frozen() -> Iterator[None]:
    """``tune()`` inside the block; ``freeze()`` again there once a large result is built (it is not garbage either)."""
    threshold, earlier = gc.get_threshold(), gc.get_freeze_count()
    tune()
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if not earlier:  # someone else's frozen objects (a server's, frozen at start) stay where they were put
            gc.unfreeze()


def freeze() -> None:
    gc.freeze()
