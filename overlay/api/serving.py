"""Running the API: one process, or several uvicorn workers sharing the bound socket (``overlay serve --workers``).

Requests are served by synchronous catalog reads, so one process answers one request at a time per core it
gets; workers answer in parallel (each its own catalog connection pool; SQLite in WAL mode and PostgreSQL
both take concurrent readers). A worker process builds its app with ``worker_app``, from the catalog URL and
bound host the parent put in its environment.

Memory stays flat under load (``bench/api_bench.py``): every pooled SQLite connection keeps its own page cache,
and a worker holds one connection per request it answers at once, so the server asks for ``SERVER_PAGE_CACHE_MIB``
each instead of the catalog's default 64 MiB (which grew a worker by hundreds of MB as its connections filled
theirs; the pages stay in the OS page cache, shared by every process). And glibc gives each thread of the
request threadpool its own malloc arena, whose freed memory fragments: ``bound_malloc_arenas`` caps them.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from fastapi import FastAPI

CATALOG_ENV, HOST_ENV, AIRFLOW_ENV = "OVERLAY_SERVE_CATALOG", "OVERLAY_SERVE_HOST", "OVERLAY_SERVE_AIRFLOW"
SERVER_PAGE_CACHE_MIB = 4  # per pooled connection: the hot index pages of a 50,000-asset catalog, not the whole file
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt parameter


def bound_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process (threads created later share them); False where there is no glibc."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False


def open_catalog(url: str | None) -> Any:
    """The catalog as a server opens it (an existing one; ``SERVER_PAGE_CACHE_MIB`` per connection)."""
    from overlay.catalog import Catalog

    return Catalog.open(url, create=False, page_cache_mib=SERVER_PAGE_CACHE_MIB)


def default_workers() -> int:
    """The machine's cores: the work per request is CPU in the worker, and workers share nothing."""
    return os.cpu_count() or 1


def standalone_app(catalog: Any, host: str, airflow: str | None) -> FastAPI:
    """``overlay serve``'s app: the API over the catalog, the web UI at ``/``."""
    from overlay.api import create_app
    from overlay.ui import mount_ui

    app = create_app(catalog, bound_host=host)
    mount_ui(app, airflow=airflow)
    return app


def worker_app() -> FastAPI:
    """The app of one worker process (uvicorn's factory): the parent's catalog, bound host and Airflow URL."""
    bound_malloc_arenas()
    return standalone_app(open_catalog(os.environ[CATALOG_ENV]), os.environ.get(HOST_ENV, "127.0.0.1"),
                          os.environ.get(AIRFLOW_ENV) or None)


def serve(app_or_url: FastAPI | str, sock: socket.socket, host: str, workers: int, airflow: str | None = None) -> None:
    """Serve on ``sock``: the app in this process (``workers`` 1), or ``workers`` processes of ``worker_app`` over the
    catalog URL ``app_or_url``."""
    import uvicorn

    if workers <= 1:
        assert not isinstance(app_or_url, str)
        bound_malloc_arenas()
        uvicorn.Server(uvicorn.Config(app_or_url, log_level="warning")).run(sockets=[sock])
        return
    from uvicorn.supervisors import Multiprocess

    assert isinstance(app_or_url, str)
    os.environ[CATALOG_ENV], os.environ[HOST_ENV], os.environ[AIRFLOW_ENV] = app_or_url, host, airflow or ""  # workers inherit it
    config = uvicorn.Config("overlay.api.serving:worker_app", factory=True, workers=workers, log_level="warning")
    Multiprocess(config, sockets=[sock]).run()
