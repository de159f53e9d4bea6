"""One bounded background writer per process for the listener's catalog writes.

A task hands its record over and waits at most a timeout for it to be written; the writing happens in a
single daemon thread fed by a bounded queue. When the catalog hangs, that one thread hangs: the queue
fills, and what does not fit is dropped, counted and logged, never waited for. A task is never slowed
by more than the timeout, and a process never holds more than one writer thread.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class Counts:
    written: int = 0
    failed: int = 0  # the write raised
    dropped: int = 0  # the queue was full


@dataclass
class _Item:
    payload: Any
    done: threading.Event = field(default_factory=threading.Event)


class BoundedWriter:
    """Calls ``write(payload)`` in one daemon thread; ``submit`` never blocks beyond its timeout."""

    def __init__(self, write: Callable[[Any], None], capacity: int, name: str = "overlay-writer") -> None:
        self._write, self._capacity, self._name = write, max(1, capacity), name
        self._lock = threading.Lock()
        self._queue: queue.Queue[_Item] = queue.Queue(self._capacity)
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self.counts = Counts()

    def submit(self, payload: Any, timeout: float) -> str:
        """Queue ``payload`` and wait at most ``timeout`` seconds for it: "done" (written or failed), "dropped" (the
        queue was full) or "waiting" (still queued or being written when the wait ended)."""
        item = _Item(payload)
        self._ensure_thread()
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            with self._lock:
                self.counts.dropped += 1
                dropped = self.counts.dropped
            log.warning("overlay dropped a record: %s are already waiting for the catalog (%s dropped in this process)",
                        self._capacity, dropped)
            return "dropped"
        return "done" if item.done.wait(max(0.0, timeout)) else "waiting"

    def pending(self) -> int:
        return self._queue.qsize()

    def drain(self, timeout: float) -> bool:
        """Wait until everything queued so far is handled (for tests and process exit)."""
        marker = _Item(None)
        try:
            self._queue.put(marker, timeout=timeout)
        except queue.Full:
            return False
        return marker.done.wait(timeout)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's thread is not here, nor is its queue's state
                self._pid, self._queue, self._thread, self.counts = os.getpid(), queue.Queue(self._capacity), None, Counts()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, args=(self._queue,), name=self._name, daemon=True)
                self._thread.start()

    def _run(self, items: queue.Queue[_Item]) -> None:
        while True:
            item = items.get()
            try:
                if item.payload is not None:
                    self._write(item.payload)
                    with self._lock:
                        self.counts.written += 1
            except Exception:
                with self._lock:
                    self.counts.failed += 1  # ``write`` logs its own failures
                log.debug("overlay writer: a write failed", exc_info=True)
            finally:
                item.done.set()


def warn_unwritten_at_exit(writer: BoundedWriter) -> None:
    def report() -> None:
        left = writer.pending()
        if left or writer.counts.dropped:
            log.warning("overlay: %s records still waiting for the catalog at exit, %s dropped", left, writer.counts.dropped)

    atexit.register(report)
