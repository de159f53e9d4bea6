"""The UI as package data, served by the API app: the page at /, its assets, the runtime config, the token rule."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests

from api_server import running
from overlay.api import create_app
from overlay.catalog import Catalog
from overlay.ui import dist_dir, index_html, mount_ui

CONFIG = re.compile(r'<script id="overlay-config" type="application/json">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def empty_catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return Catalog.open(f"sqlite:///{tmp_path_factory.mktemp('ui') / 'catalog.db'}")


def test_bundle_is_relative_and_local() -> None:
    html = (dist_dir() / "index.html").read_text()
    refs = [r for r in re.findall(r'(?:src|href)="([^"]+)"', html) if r != "data:,"]  # data:, the empty favicon
    assert refs and all(r.startswith("./assets/") for r in refs), refs  # relative: works under /, /overlay/ and file://
    for ref in refs:
        assert (dist_dir() / ref).is_file()
    assert "http://" not in html and "https://" not in html


def test_index_html_carries_the_config_safely() -> None:
    html = index_html({"mode": "api", "api": "/overlay/api/v1", "airflow": "</script><script>alert(1)</script>"})
    body = CONFIG.search(html).group(1)
    assert "</script" not in body
    assert json.loads(body) == {"mode": "api", "api": "/overlay/api/v1", "airflow": "</script><script>alert(1)</script>"}


def test_served_at_root_with_the_api_under_api_v1(empty_catalog: Catalog) -> None:
    app = create_app(empty_catalog, token="s3cret")
    mount_ui(app, airflow="http://airflow.test:8080/")
    with running(app) as url:
        page = requests.get(url + "/", timeout=10)  # the page and its assets need no token: they hold no data
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        config = json.loads(CONFIG.search(page.text).group(1))
        assert config == {"mode": "api", "api": "/api/v1", "airflow": "http://airflow.test:8080"}
        script = re.search(r'src="\./(assets/[^"]+\.js)"', page.text).group(1)
        asset = requests.get(f"{url}/{script}", timeout=10)
        assert asset.status_code == 200 and asset.content == (dist_dir() / script).read_bytes()
        assert requests.get(url + "/api/v1/assets", timeout=10).status_code == 401  # the data still needs the token
        assert requests.get(url + "/api/v1/assets", headers={"Authorization": "Bearer s3cret"}, timeout=10).status_code == 200
        assert requests.get(url + "/docs", headers={"Authorization": "Bearer s3cret"}, timeout=10).status_code == 200


def test_package_data_ships_the_bundle() -> None:
    text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert '"overlay.ui" = ["dist/*", "dist/**/*"]' in text
