"""The Airflow plugin: overlay's API under /overlay (with the background scanner), a link in the UI, and the listener."""

from __future__ import annotations

import logging

from airflow.plugins_manager import AirflowPlugin

from airflow_plugin import listener

log = logging.getLogger(__name__)


def _open_catalog():  # noqa: ANN202 - overlay.catalog.Catalog, imported lazily
    from airflow_plugin.settings import catalog_url
    from overlay.catalog import Catalog

    return Catalog.open(catalog_url())


def _fastapi_apps() -> list[dict]:
    try:
        from airflow_plugin.auth import airflow_user_or_token
        from overlay.api import create_app

        app = create_app(_open_catalog, authenticate=airflow_user_or_token)  # the catalog opens on first request
        try:
            from airflow_plugin.scanner import lifespan_with_scanner

            app.router.lifespan_context = lifespan_with_scanner(app)  # the API server keeps the catalog current
        except Exception:
            log.exception("overlay background scanner not installed")
        return [{"app": app, "url_prefix": "/overlay", "name": "overlay"}]
    except Exception:  # a broken optional dependency must not take Airflow's API server down
        log.exception("overlay API not mounted")
        return []


class OverlayPlugin(AirflowPlugin):
    name = "overlay"
    fastapi_apps = _fastapi_apps()
    external_views = [{"name": "Assets (overlay)", "href": "/overlay/docs", "destination": "nav", "category": "browse"}]
    listeners = [listener]
