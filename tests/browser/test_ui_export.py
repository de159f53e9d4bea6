"""The static export (``overlay export --format html``) in a real browser: opened from disk (file://, where no JSON can
be fetched) and from a plain static HTTP server, its asset page shows the asset as the live UI does."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

OKR = "warehouse%3Atempo.finance.okr_dashboard"


@pytest.fixture(scope="module")
def site(sample_catalog, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: ANN001
    from overlay.static_site import write_site

    out = tmp_path_factory.mktemp("export") / "site"
    summary = write_site(sample_catalog, out)
    assert summary.assets > 0 and not summary.skipped, summary.skipped
    return out


@pytest.fixture(scope="module")
def static_server(site: Path) -> Iterator[str]:
    """The folder behind a static file server, as a CI artifact would be published (no overlay, no API)."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _shows_the_asset(page) -> None:  # noqa: ANN001
    page.wait_for_selector("main .page h1")
    page.wait_for_load_state("networkidle")
    assert page.locator("main .error").count() == 0, page.locator("main .error").all_inner_texts()
    assert "okr_dashboard" in page.locator("main .page h1").first.inner_text()
    text = page.locator("main").inner_text()
    assert "warehouse:tempo.finance.okr_dashboard" in text and "build_okr_dashboard" in text
    assert "not in this static export" not in text


def test_the_export_opened_from_disk_shows_an_asset_page(browser_page, site: Path, shoot) -> None:  # noqa: ANN001
    page = browser_page
    requests_made: list[str] = []
    page.on("request", lambda r: requests_made.append(r.url))
    page.goto(f"{site.as_uri()}/index.html#/asset/{OKR}")
    _shows_the_asset(page)
    shoot(page, "export-file-asset")
    assert all(u.startswith("file://") or u.startswith("data:") for u in requests_made), requests_made  # nothing from outside
    page.goto(f"{site.as_uri()}/index.html#/")  # the home page from the exported summary
    page.wait_for_selector("main .page")
    page.wait_for_load_state("networkidle")
    assert page.locator("main .error").count() == 0, page.locator("main .error").all_inner_texts()
    shoot(page, "export-file-home")


def test_the_export_over_http_shows_an_asset_page(browser_page, static_server: str, shoot) -> None:  # noqa: ANN001
    page = browser_page
    page.goto(f"{static_server}/index.html#/asset/{OKR}")
    _shows_the_asset(page)
    shoot(page, "export-http-asset")
