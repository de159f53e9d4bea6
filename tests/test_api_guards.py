"""Requests refused before any route: foreign Host headers without a token (DNS rebinding), NUL bytes (PostgreSQL)."""

from __future__ import annotations

import http.client
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from api_server import running
from overlay.api import create_app
from overlay.api.guards import host_name
from overlay.catalog import Catalog
from overlay.config import load_settings
from overlay.pipeline import build_catalog

SAMPLE = Path(__file__).resolve().parent.parent / "sample_dags"


def sample_catalog(url: str) -> Catalog:
    catalog = Catalog.open(url)
    build_catalog(catalog, [str(SAMPLE)], "static", load_settings(None, [str(SAMPLE)]), datetime.now(timezone.utc))
    return catalog


def raw_get(base_url: str, path: str, host: str | None) -> tuple[int, dict]:
    """A GET with exactly this Host header (or none), as a rebinding page's browser would send it."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("GET", path, skip_host=True)
    if host is not None:
        conn.putheader("Host", host)
    conn.endheaders()
    response = conn.getresponse()
    import json

    body = json.loads(response.read() or b"null")
    conn.close()
    return response.status, body


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    catalog = sample_catalog(f"sqlite:///{tmp_path_factory.mktemp('guards') / 'catalog.db'}")
    yield catalog
    catalog.close()


def test_foreign_host_refused_without_token(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OVERLAY_ALLOWED_HOSTS", raising=False)
    with running(create_app(catalog, token="", bound_host="127.0.0.1")) as url:
        port = urlsplit(url).port
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST.", f"[::1]:{port}", "127.0.0.2"):
            assert raw_get(url, "/api/v1/dags", host)[0] == 200, host
        for host in (f"evil.example:{port}", "localhost.evil.example", "127.0.0.1.evil.example", "[::2]"):
            status, body = raw_get(url, "/api/v1/dags", host)
            assert status == 403 and "not allowed" in body["error"] and "OVERLAY_ALLOWED_HOSTS" in body["error"], host
        assert raw_get(url, "/health", "rebind.example")[0] == 403
        assert raw_get(url, "/api/v1/dags", None)[0] in (400, 403)  # uvicorn/h11 or overlay refuses a missing Host


def test_allowed_hosts_and_token(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERLAY_ALLOWED_HOSTS", "overlay.internal, box.lan")
    with running(create_app(catalog, token="")) as url:
        assert raw_get(url, "/api/v1/dags", "overlay.internal:8765")[0] == 200
        assert raw_get(url, "/api/v1/dags", "box.lan")[0] == 200
        assert raw_get(url, "/api/v1/dags", "other.lan")[0] == 403
    with running(create_app(catalog, token="", allowed_hosts=["*"])) as url:
        assert raw_get(url, "/api/v1/dags", "anything.example")[0] == 200
    with running(create_app(catalog, token="s3cret")) as url:  # a token is what a rebinding page cannot send
        status, _ = raw_get(url, "/api/v1/dags", "anything.example")
        assert status == 401


def test_bound_host_is_allowed(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OVERLAY_ALLOWED_HOSTS", raising=False)
    with running(create_app(catalog, token="", bound_host="myhost.lan")) as url:
        assert raw_get(url, "/api/v1/dags", "myhost.lan:8765")[0] == 200


def test_host_name_parsing() -> None:
    assert host_name("[::1]:8765") == "::1" and host_name("Example.COM.:80") == "example.com" and host_name("::1") == "::1"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_nul_bytes_get_400(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    catalog = sample_catalog(url)
    try:
        with running(create_app(catalog, token="")) as base:
            for path, params in [("/api/v1/assets", {"search": "ord\x00ers"}), ("/api/v1/assets", {"owner": "\x00"}),
                                 ("/api/v1/owners", {"key": "raw.\x00plays"}), ("/api/v1/cost", {"since": "2026\x00"})]:
                response = requests.get(base + path, params=params, timeout=10)
                assert response.status_code == 400 and "NUL" in response.json()["error"], (path, params, response.text)
            for path in ("/api/v1/assets/raw%00plays", "/api/v1/assets/raw.plays%00/lineage", "/api/v1/dags/growth%00",
                         "/api/v1/tasks/growth_lead_scoring/score%00leads"):
                response = requests.get(base + path, timeout=10)
                assert response.status_code == 400 and "NUL" in response.json()["error"], (path, response.text)
            assert requests.get(base + "/api/v1/assets", params={"search": "orders"}, timeout=10).json()["total"] == 4
    finally:
        catalog.close()


def test_docs_page_loads_nothing_from_another_host(catalog: Catalog) -> None:
    import re

    with running(create_app(catalog, token="")) as url:
        page = requests.get(f"{url}/docs", timeout=10)
        assert page.status_code == 200 and "swagger" in page.text.lower()
        sources = re.findall(r'(?:src|href)=["\']([^"\']+)', page.text) + re.findall(r"url: *'([^']+)'", page.text)
        assert sources and all(s.startswith("/") for s in sources), sources  # no CDN: every asset from this server
        for source in sources:
            assert requests.get(url + source, timeout=10).status_code == 200, source
        assert requests.get(f"{url}/redoc", timeout=10).status_code == 404
