"""overlay's web UI: the built bundle (``dist/``, made by ``npm run build`` in ``ui/``) and how an app serves it.

The bundle is committed and shipped as package data, so ``pip install .`` needs no Node.js. ``index.html`` holds a
runtime config placeholder (``<script id="overlay-config" type="application/json">{}</script>``) whose body
``index_html`` replaces: ``{"mode": "api", "api": "<prefix>/api/v1", "airflow": "<Airflow UI base URL or null>"}``.
``mount_ui`` serves it at ``/`` of an app (``overlay serve``; the Airflow plugin under ``/overlay/``) with the
bundle's scripts and styles under ``/assets/``: every file from the package, nothing from a CDN.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

CONFIG_TAG = re.compile(r'(<script id="overlay-config" type="application/json">)(.*?)(</script>)', re.S)
# paths of the page and its assets: they hold no catalog data, so they are served without the API's token
UI_PATHS = frozenset({"/", "/index.html"})
ASSETS_PREFIX = "/assets/"


class MissingBundle(RuntimeError):
    """The package has no built UI (a checkout where ``overlay/ui/dist`` was deleted)."""


def dist_dir() -> Path:
    """The built bundle: ``index.html`` and ``assets/``."""
    return Path(__file__).resolve().parent / "dist"


@lru_cache(maxsize=1)
def _template() -> str:
    path = dist_dir() / "index.html"
    if not path.is_file():
        raise MissingBundle(f"{path} is missing: build the UI with `npm ci && npm run build` in ui/")
    text = path.read_text(encoding="utf-8")
    if not CONFIG_TAG.search(text):
        raise MissingBundle(f"{path} has no <script id=\"overlay-config\"> placeholder: rebuild it from ui/index.html")
    return text


def config_json(config: dict[str, Any]) -> str:
    """JSON safe inside a <script> element (no ``</script>`` or ``<!--`` can close or open anything)."""
    return json.dumps(config, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def index_html(config: dict[str, Any]) -> str:
    """The bundle's index.html with ``config`` as its runtime config."""
    body = config_json(config)
    return CONFIG_TAG.sub(lambda m: m.group(1) + body + m.group(3), _template(), count=1)


def is_ui_path(path: str) -> bool:
    """Whether a request path (below the app's root) is the page or one of its assets."""
    return path in UI_PATHS or path.startswith(ASSETS_PREFIX)


def mount_ui(app: Any, api_prefix: str = "", airflow: str | None = None) -> None:
    """Serve the UI at ``/`` of ``app`` (a FastAPI app) and its assets under ``/assets``.

    ``api_prefix`` is the path the API's ``/api/v1`` sits under as the browser sees it (``/overlay`` in Airflow);
    empty: the app's root path of each request. ``airflow``: the Airflow UI's base URL, for links to DAGs and tasks.
    """
    _template()  # a missing bundle is an error when the app is made, not at the first request
    airflow_url = airflow.rstrip("/") if airflow else None

    def page(request: Request) -> HTMLResponse:
        prefix = (api_prefix or request.scope.get("root_path", "") or "").rstrip("/")
        html = index_html({"mode": "api", "api": f"{prefix}/api/v1", "airflow": airflow_url})
        return HTMLResponse(html, headers={"Cache-Control": "no-cache"})

    app.add_api_route("/", page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/index.html", page, methods=["GET"], include_in_schema=False)
    app.mount("/assets", StaticFiles(directory=dist_dir() / "assets"), name="ui-assets")
