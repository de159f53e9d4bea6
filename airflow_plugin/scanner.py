"""Keeps the catalog current from inside Airflow: a background scanner in the API server process.

Why here: the API server is the one Airflow component that runs the plugin's code for as long as
Airflow runs and never runs user tasks, so a scan can never slow a task; Airflow 3 starts mounted
plugin apps' lifespans only in the API server, which is where this thread starts. Every
``OVERLAY_SCAN_INTERVAL`` seconds (default 20) it looks at the DAG folder's files (name, size,
mtime: no reading); when they changed, it runs ``overlay scan`` on the folder in a subprocess (DAG
code is never imported into the API server; the unchanged-file cache makes the rescan cheap).
Only one process scans at a time when several API servers (or workers) run: the holder of a
PostgreSQL advisory session lock (keyed by the source) or, on SQLite, of an exclusive ``flock`` on
``<catalog>.scan.lock`` scans; the others skip that round. Each scan records the DAG bundle's
version when Airflow knows one, and the git commit of the folder. ``OVERLAY_SCANNER=off`` turns it off.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)
SKIP_DIRS = {"__pycache__", ".git", "node_modules", ".venv"}


def interval() -> float:
    try:
        return max(1.0, float(os.environ.get("OVERLAY_SCAN_INTERVAL", "20")))
    except ValueError:
        return 20.0


def enabled() -> bool:
    return os.environ.get("OVERLAY_SCANNER", "on").strip().lower() not in ("off", "0", "false", "no")


def folder_signature(folder: str) -> tuple[tuple[str, int, int], ...]:
    """(path, size, mtime) of every file under the folder: cheap, and changes when any file does."""
    entries = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in files:
            path = os.path.join(root, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue
            entries.append((path, stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(entries))


@contextmanager
def scan_lock(url: str, source: str) -> Iterator[bool]:
    """Yields True in the one process that may scan now (False: another process is scanning)."""
    if url.startswith("sqlite"):
        import fcntl

        from sqlalchemy.engine import make_url

        database = make_url(url).database or "overlay.db"
        with open(f"{database}.scan.lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    from overlay.catalog.engine import make_engine
    from overlay.catalog.locks import release_session_lock, try_session_lock

    engine = make_engine(url)
    name = f"overlay:scanner:{source}"
    try:
        with engine.connect() as conn:
            got = try_session_lock(conn, name)
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    release_session_lock(conn, name)
                    conn.commit()
    finally:
        engine.dispose()


def bundle_version() -> str | None:
    """``name@version`` of the DAG bundles Airflow has versions for (a git bundle's commit), else None."""
    try:
        from airflow.models.dagbundle import DagBundleModel
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            rows = session.execute(select(DagBundleModel.name, DagBundleModel.version)).all()
        versions = [f"{name}@{version}" for name, version in rows if version]
        return ",".join(sorted(versions))[:250] or None
    except Exception:  # no metadata database here, or an Airflow without bundles
        log.debug("overlay could not read DAG bundle versions", exc_info=True)
        return None


def settings_file(folder: str) -> str | None:
    """The overlay.yaml the scan uses: ``[overlay] config`` in airflow.cfg, else the DAG folder's own (found by
    the scan itself), else ``$AIRFLOW_HOME/overlay.yaml``."""
    from overlay.airflow_config import airflow_home, airflow_setting

    configured = airflow_setting("overlay", "config")
    if configured:
        return configured
    if (Path(folder) / "overlay.yaml").is_file():
        return None
    home = airflow_home()
    return str(home / "overlay.yaml") if home is not None and (home / "overlay.yaml").is_file() else None


def scan_command(folder: str, url: str, source: str, version: str | None) -> list[str]:
    command = [sys.executable, "-m", "overlay.cli.main", "scan", folder, "--db", url, "--source", source,
               "--mode", os.environ.get("OVERLAY_SCAN_MODE", "auto"), "--json"]
    config = settings_file(folder)
    return command + (["--config", config] if config else []) + (["--bundle-version", version] if version else [])


class BackgroundScanner:
    """Rescans Airflow's DAG folder into the catalog when its files change."""

    def __init__(self, folder: str | None, url: str, source: str, every: float | None = None) -> None:
        self.folder, self.url, self.source = folder, url, source
        self.every = every or interval()
        self.stopped = threading.Event()
        self.last_signature: tuple | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._loop, name="overlay-scanner", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def _loop(self) -> None:
        while not self.stopped.is_set():
            try:
                self.tick()
            except Exception:  # never let the scanner take the API server down
                log.warning("overlay background scan failed; retrying in %ss", self.every, exc_info=True)
            self.stopped.wait(self.every)

    def tick(self) -> bool:
        """One round: scan if the folder changed and no other process is scanning; True when it scanned."""
        if not self.folder or not Path(self.folder).is_dir():
            return False
        signature = folder_signature(self.folder)
        if signature == self.last_signature:
            return False
        with scan_lock(self.url, self.source) as mine:
            if not mine:
                return False
            command = scan_command(self.folder, self.url, self.source, bundle_version())
            done = subprocess.run(command, capture_output=True, text=True, timeout=float(os.environ.get("OVERLAY_SCAN_TIMEOUT", "900")))
        if done.returncode == 0:
            self.last_signature = signature
            log.info("overlay rescanned %s into %s (source %s)", self.folder, self.url, self.source)
            return True
        log.warning("overlay scan of %s failed (exit %s): %s", self.folder, done.returncode, done.stderr.strip()[-2000:])
        self.last_signature = signature  # the same files would fail the same way: wait for the next change
        return False


def lifespan_with_scanner(app):  # noqa: ANN001, ANN201 - a FastAPI app; returns its new lifespan
    """The app's lifespan, plus the background scanner while the API server runs."""
    from contextlib import asynccontextmanager

    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application):  # noqa: ANN001, ANN202
        scanner = None
        try:
            if enabled():
                from airflow_plugin.settings import airflow_source, catalog_url, dags_folder

                scanner = BackgroundScanner(dags_folder(), catalog_url(), airflow_source())
                scanner.start()
        except Exception:
            log.warning("overlay background scanner not started", exc_info=True)
        try:
            async with previous(application) as state:
                yield state
        finally:
            if scanner is not None:
                scanner.stop()

    return lifespan
