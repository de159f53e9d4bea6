"""The API's servers open the catalog with a small SQLite page cache per pooled connection, inside Airflow too.

Each request thread holds a pooled connection, and each connection fills its own page cache: at the catalog's
default (64 MiB) a server grew by hundreds of MB under 8 clients (bench/api_bench.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from overlay.api.serving import SERVER_PAGE_CACHE_MIB, open_catalog
from overlay.catalog import Catalog


def _cache_kib(catalog: Catalog) -> int:
    with catalog.engine.connect() as conn:
        return -int(conn.execute(text("PRAGMA cache_size")).scalar_one())


def test_overlay_serve_opens_the_catalog_with_the_server_page_cache(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    Catalog.open(url).close()
    default = Catalog.open(url)
    served = open_catalog(url)
    try:
        assert _cache_kib(served) == SERVER_PAGE_CACHE_MIB * 1024
        assert _cache_kib(default) > _cache_kib(served)
    finally:
        served.close()
        default.close()


def test_the_airflow_plugin_opens_the_catalog_as_overlay_serve_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("airflow")
    from airflow_plugin.plugin import _open_catalog

    monkeypatch.setenv("OVERLAY_DB", f"sqlite:///{tmp_path / 'catalog.db'}")
    catalog = _open_catalog()
    try:
        assert _cache_kib(catalog) == SERVER_PAGE_CACHE_MIB * 1024
    finally:
        catalog.close()
