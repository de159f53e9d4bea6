"""The Airflow plugin: overlay's API and web UI under /overlay (with the background scanner), the UI in Airflow's
navigation and as tabs of its DAG and task pages, and the listener.

The UI is an external view with a ``url_route``: Airflow renders it inside its own page, in a same-origin iframe
(``/plugin/overlay``), so its API calls carry Airflow's ``_token`` cookie and are authorized as the API is
(``airflow_plugin.auth``: a user sees only the DAGs Airflow lets them read). A ``react_apps`` entry would instead
load a component into Airflow's React tree, sharing Airflow's React version and styles and needing a bundle built for
that; the UI is one standalone app (hash routes, its own styles) that also runs under ``overlay serve`` and from
disk, so the iframe keeps one bundle for all three. Airflow 3.3's views go to ``nav``, ``dag``, ``dag_run``,
``task`` and ``task_instance`` (no ``asset`` destination): the DAG tab opens overlay's DAG page ({DAG_ID}) and the
task tab overlay's task page ({DAG_ID}, {TASK_ID}), with the assets it reads and writes linked to their pages.
"""

from __future__ import annotations

import logging

from airflow.plugins_manager import AirflowPlugin
from fastapi import Request  # module-level: the page's annotation is resolved here (postponed annotations)

from airflow_plugin import listener

log = logging.getLogger(__name__)

PREFIX = "/overlay"
# Airflow fills {DAG_ID} and {TASK_ID} (URI-encoded) in the href of views shown on its DAG and task pages
EXTERNAL_VIEWS = [
    {"name": "Catalog", "href": f"{PREFIX}/", "destination": "nav", "url_route": "overlay", "nav_top_level": True},
    {"name": "Assets (overlay)", "href": f"{PREFIX}/#/dag/{{DAG_ID}}", "destination": "dag", "url_route": "overlay-dag"},
    {"name": "Reads & writes (overlay)", "href": f"{PREFIX}/#/task/{{DAG_ID}}/{{TASK_ID}}", "destination": "task",
     "url_route": "overlay-task"},
]


def _open_catalog():  # noqa: ANN202 - overlay.catalog.Catalog, imported lazily
    from airflow_plugin.settings import catalog_url
    from overlay.api.serving import SERVER_PAGE_CACHE_MIB
    from overlay.catalog import Catalog

    # as `overlay serve` opens it: a small SQLite page cache per pooled connection (the API server's request threads
    # each hold one; the pages stay in the OS cache), not the catalog's default 64 MiB each
    return Catalog.open(catalog_url(), page_cache_mib=SERVER_PAGE_CACHE_MIB)


def airflow_base_url() -> str | None:
    """Airflow's UI as configured (``[api] base_url``); None: the origin the browser reached the page on."""
    from airflow.configuration import conf

    return (conf.get("api", "base_url", fallback="") or "").rstrip("/") or None


def mount_ui_in_airflow(app) -> None:  # noqa: ANN001 - the overlay FastAPI app Airflow mounts under /overlay
    """The UI at /overlay/ with its API at ``<mount>/api/v1`` and links into Airflow's own UI."""
    from fastapi.responses import HTMLResponse

    from overlay.ui import index_html, mount_ui

    configured = airflow_base_url()

    def page(request: Request) -> HTMLResponse:
        # the mount's path as the browser sees it (Airflow's root_path), and Airflow's origin for links to DAGs and tasks
        prefix = (request.scope.get("root_path") or PREFIX).rstrip("/")
        airflow = configured or f"{request.url.scheme}://{request.url.netloc}"
        return HTMLResponse(index_html({"mode": "api", "api": f"{prefix}/api/v1", "airflow": airflow}),
                            headers={"Cache-Control": "no-cache"})

    app.add_api_route("/", page, methods=["GET"], include_in_schema=False)  # before mount_ui's: this one answers
    app.add_api_route("/index.html", page, methods=["GET"], include_in_schema=False)
    mount_ui(app, api_prefix=PREFIX, airflow=configured)


def _fastapi_apps() -> list[dict]:
    try:
        from airflow_plugin.auth import airflow_user_or_token
        from overlay.api import create_app

        app = create_app(_open_catalog, authenticate=airflow_user_or_token)  # the catalog opens on first request
        try:
            mount_ui_in_airflow(app)
        except Exception:  # the API serves on without the page
            log.exception("overlay web UI not mounted")
        try:
            from airflow_plugin.scanner import lifespan_with_scanner

            app.router.lifespan_context = lifespan_with_scanner(app)  # the API server keeps the catalog current
        except Exception:
            log.exception("overlay background scanner not installed")
        return [{"app": app, "url_prefix": PREFIX, "name": "overlay"}]
    except Exception:  # a broken optional dependency must not take Airflow's API server down
        log.exception("overlay API not mounted")
        return []


class OverlayPlugin(AirflowPlugin):
    name = "overlay"
    fastapi_apps = _fastapi_apps()
    external_views = EXTERNAL_VIEWS
    listeners = [listener]
