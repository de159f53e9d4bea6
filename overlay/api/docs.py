"""``/docs`` without a CDN: Swagger UI from the ``swagger-ui-bundle`` package, served by the app itself.

FastAPI's own docs page loads Swagger UI from jsdelivr, so it is blank offline and behind strict egress rules.
Here the page, its script and its style all come from the app (under the app's root path, so the same page
works under ``/overlay`` inside Airflow). Without the package, ``/docs`` says where the schema is.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"


def add_docs(app: FastAPI) -> None:
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        swagger_ui_path = None
    if swagger_ui_path is not None:
        app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        if swagger_ui_path is None:
            return HTMLResponse(f'<!doctype html><title>overlay API</title><p>Swagger UI is not installed here '
                                f'(<code>pip install swagger-ui-bundle</code>); the schema is at '
                                f'<a href="{root}/openapi.json">{root}/openapi.json</a>.</p>')
        return get_swagger_ui_html(openapi_url=f"{root}/openapi.json", title=f"{app.title} API",
                                   swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png")
