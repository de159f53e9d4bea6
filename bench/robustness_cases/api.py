"""Hostile requests to the HTTP API: NUL bytes (PostgreSQL refused them with a 500), foreign Host headers without a
token (DNS rebinding), out-of-range and oversized parameters. Each case serves a real migrated catalog (SQLite, or a
throwaway PostgreSQL database) and expects a 4xx with the JSON error shape, never a 5xx."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PG = os.environ.get("OVERLAY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def _catalog_url(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/catalog.db"
        return
    import psycopg

    name = f"overlay_robust_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{PG.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _client(url: str, **app_args):  # noqa: ANN202 - a starlette TestClient over a migrated catalog
    from fastapi.testclient import TestClient

    from overlay.api import create_app
    from overlay.catalog import Catalog

    catalog = Catalog.open(url)  # empty is enough: PostgreSQL refuses a NUL in any parameter, whatever the rows
    return TestClient(create_app(catalog, token="", **app_args), base_url="http://127.0.0.1:8765"), catalog


def _expect(backend: str, path: str, status: int, headers: dict[str, str] | None = None, **app_args) -> Callable[[], str | None]:
    def run() -> str | None:
        with _catalog_url(backend) as url:
            client, catalog = _client(url, **app_args)
            try:
                response = client.get(path, headers=headers or {})
            finally:
                catalog.close()
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else None
        if response.status_code != status or not isinstance(body, dict) or body.get("status") != status or not body.get("error"):
            return f"GET {path!r}: {response.status_code} {response.text[:200]} (expected {status} with a JSON error)"
        return None

    return run


def cases() -> Iterator[tuple[str, str, Callable[[], str | None]]]:
    for backend in ("sqlite", "postgresql"):
        yield ("api", f"{backend}: NUL in search", _expect(backend, "/api/v1/assets?search=ord%00ers", 400))
        yield ("api", f"{backend}: NUL in owner", _expect(backend, "/api/v1/assets?owner=%00", 400))
        yield ("api", f"{backend}: NUL in an asset key", _expect(backend, "/api/v1/assets/raw%00plays", 400))
        yield ("api", f"{backend}: NUL in a lineage key", _expect(backend, "/api/v1/assets/raw.plays%00/lineage", 400))
        yield ("api", f"{backend}: NUL in a dag id", _expect(backend, "/api/v1/dags/growth%00", 400))
        yield ("api", f"{backend}: NUL in a task id", _expect(backend, "/api/v1/tasks/growth_lead_scoring/x%00", 400))
        yield ("api", f"{backend}: NUL in owners key", _expect(backend, "/api/v1/owners?key=%00", 400))
    yield ("api", "Host: evil.example (DNS rebinding)", _expect("sqlite", "/api/v1/dags", 403, {"host": "evil.example"}))
    yield ("api", "Host: localhost.evil.example", _expect("sqlite", "/api/v1/assets", 403, {"host": "localhost.evil.example:8765"}))
    yield ("api", "Host: 127.0.0.1.nip.io", _expect("sqlite", "/health", 403, {"host": "127.0.0.1.nip.io"}))
    yield ("api", "search of 10,000 characters", _expect("sqlite", "/api/v1/assets?search=" + "a" * 10_000, 400))
    yield ("api", "lineage depth=1000000000", _expect("sqlite", "/api/v1/assets/raw.users/lineage?depth=1000000000", 400))
    yield ("api", "graph limit=100000000", _expect("sqlite", "/api/v1/graph?limit=100000000", 400))
    yield ("api", "dags offset=-1", _expect("sqlite", "/api/v1/dags?offset=-1", 400))
    yield ("api", "since=notadate", _expect("sqlite", "/api/v1/cost?since=notadate", 400))
    yield ("api", "since=9999999-99-99T99", _expect("sqlite", "/api/v1/cost?since=9999999-99-99T99", 400))
