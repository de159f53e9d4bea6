"""The API application: one factory, JSON errors with the right status, optional bearer-token auth.

``create_app(catalog)`` returns a FastAPI app that ``overlay serve`` runs with uvicorn and that the
Airflow plugin mounts under ``/overlay``. With ``OVERLAY_API_TOKEN`` set (or ``token=``), every
route but ``/health`` needs ``Authorization: Bearer <token>``. Without a token or an authenticator,
only loopback Host names, the bound host and ``allowed_hosts`` are answered (see ``overlay.api.guards``).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from overlay import __version__
from overlay.api.docs import add_docs
from overlay.api.overview import router as overview_router
from overlay.api.guards import allowed_host_names, host_problem, nul_problem
from overlay.api.routes import router
from overlay.api.who import router as who_router
from overlay.catalog import Catalog
from overlay.catalog.queries import AmbiguousKey, NotFound, UnknownKey
from overlay.ui import is_ui_path

OPEN_PATHS = frozenset({"/health"})
# checks a request; returns None when it may proceed, else the reason it may not. It may also set
# ``request.state.catalog_scope``: a function of the catalog giving the view of it that this user may read.
Authenticator = Callable[[Request], Awaitable[str | None]]


def create_app(catalog: Catalog | Callable[[], Catalog], token: str | None = None,
               authenticate: Authenticator | None = None, bound_host: str | None = None,
               allowed_hosts: Iterable[str] | None = None) -> FastAPI:
    """The API over one catalog (or a function that opens it on first use, as the Airflow plugin does).

    ``bound_host`` is the address the server listens on; ``allowed_hosts`` adds Host names answered
    without a token (default ``$OVERLAY_ALLOWED_HOSTS``).
    """
    token = token if token is not None else os.environ.get("OVERLAY_API_TOKEN") or None
    app = FastAPI(
        title="overlay",
        version=__version__,
        description="The asset graph of your Airflow DAGs: assets, lineage, owners, DAGs, tasks and freshness.",
        docs_url=None,  # FastAPI's page loads Swagger UI from a CDN: overlay.api.docs serves it locally
        redoc_url=None,
    )
    add_docs(app)
    app.state.get_catalog = _provider(catalog)
    app.include_router(overview_router)  # first: /assets/{key}/cost before /assets/{key:path}
    app.include_router(router)
    app.include_router(who_router)
    _errors(app)
    if authenticate is None and token:
        authenticate = token_authenticator(token)
    if authenticate is not None:
        _require(app, authenticate)
    _guard(app, None if authenticate is not None else allowed_host_names(bound_host, allowed_hosts))
    app.openapi = lambda: _openapi(app, authenticated=authenticate is not None)
    return app


def _openapi(app: FastAPI, authenticated: bool) -> dict[str, Any]:
    """FastAPI's schema with the errors this app returns: 400 (not FastAPI's 422), and 401 or 403 from the middleware."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        error_ref = {"$ref": "#/components/schemas/Error"}
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                extra = {"401": "Missing or wrong bearer token."} if authenticated and path not in OPEN_PATHS else {}
                if not authenticated:
                    extra["403"] = "Host header not allowed (served without a token: see OVERLAY_ALLOWED_HOSTS)."
                for status, text in extra.items():
                    responses[status] = {"description": text, "content": {"application/json": {"schema": error_ref}}}
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        app.openapi_schema = schema
    return app.openapi_schema


def _provider(catalog: Catalog | Callable[[], Catalog]) -> Callable[[], Catalog]:
    if isinstance(catalog, Catalog):
        return lambda: catalog
    opened: list[Catalog] = []

    def get() -> Catalog:
        if not opened:
            opened.append(catalog())
        return opened[0]

    return get


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


def token_authenticator(token: str) -> Authenticator:
    async def check(request: Request) -> str | None:
        given = bearer(request) or ""
        if hmac.compare_digest(given.encode(), token.encode()):
            return None
        return "missing or wrong bearer token (Authorization: Bearer <OVERLAY_API_TOKEN>)"

    return check


def error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": message, "status": status, **extra})


def _errors(app: FastAPI) -> None:
    @app.exception_handler(UnknownKey)
    async def unknown_key(_: Request, exc: UnknownKey) -> JSONResponse:
        return error(404, str(exc))

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return error(404, str(exc))

    @app.exception_handler(AmbiguousKey)
    async def ambiguous(_: Request, exc: AmbiguousKey) -> JSONResponse:
        return error(409, str(exc), candidates=exc.candidates)

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"parameter": ".".join(str(p) for p in e.get("loc", [])[1:]), "problem": e.get("msg")} for e in exc.errors()]
        return error(400, "bad parameter: " + "; ".join(f"{d['parameter']}: {d['problem']}" for d in details), details=details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        return error(500, f"internal error: {type(exc).__name__}")


def _require(app: FastAPI, authenticate: Authenticator) -> None:
    @app.middleware("http")
    async def check(request: Request, call_next):  # noqa: ANN001, ANN202
        path = request.url.path.removeprefix(request.scope.get("root_path", ""))
        if path in OPEN_PATHS or is_ui_path(path):  # the UI's page and scripts hold no data: its API calls authenticate
            return await call_next(request)
        problem = await authenticate(request)
        if problem is not None:
            return error(401, problem)
        return await call_next(request)


def _guard(app: FastAPI, allowed_hosts: frozenset[str] | None) -> None:
    """Host check (when nothing else authenticates) and NUL bytes, outermost: before authentication and routes."""
    app.add_middleware(GuardMiddleware, allowed_hosts=allowed_hosts)


class GuardMiddleware:
    """Plain ASGI (no per-request task or body buffering): refuses with the app's JSON error shape."""

    def __init__(self, app: Any, allowed_hosts: frozenset[str] | None) -> None:
        self.app, self.allowed_hosts = app, allowed_hosts

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            problem, status = None, 400
            if self.allowed_hosts is not None and (problem := host_problem(scope["headers"], self.allowed_hosts)):
                status = 403
            elif problem := nul_problem(scope["path"], scope.get("query_string", b"")):
                status = 400
            if problem:
                await error(status, problem)(scope, receive, send)
                return
        await self.app(scope, receive, send)
