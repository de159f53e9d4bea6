"""The API application: one factory, JSON errors with the right status, optional bearer-token auth.

``create_app(catalog)`` returns a FastAPI app that ``overlay serve`` runs with uvicorn and that the
Airflow plugin mounts under ``/overlay``. With ``OVERLAY_API_TOKEN`` set (or ``token=``), every
route but ``/health`` needs ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from overlay import __version__
from overlay.api.routes import router
from overlay.api.who import router as who_router
from overlay.catalog import Catalog
from overlay.catalog.queries import AmbiguousKey, NotFound, UnknownKey

OPEN_PATHS = frozenset({"/health"})
# checks a request; returns None when it may proceed, else the reason it may not. It may also set
# ``request.state.catalog_scope``: a function of the catalog giving the view of it that this user may read.
Authenticator = Callable[[Request], Awaitable[str | None]]


def create_app(catalog: Catalog | Callable[[], Catalog], token: str | None = None,
               authenticate: Authenticator | None = None) -> FastAPI:
    """The API over one catalog (or a function that opens it on first use, as the Airflow plugin does)."""
    token = token if token is not None else os.environ.get("OVERLAY_API_TOKEN") or None
    app = FastAPI(
        title="overlay",
        version=__version__,
        description="The asset graph of your Airflow DAGs: assets, lineage, owners, DAGs, tasks and freshness.",
    )
    app.state.get_catalog = _provider(catalog)
    app.include_router(router)
    app.include_router(who_router)
    _errors(app)
    if authenticate is None and token:
        authenticate = token_authenticator(token)
    if authenticate is not None:
        _require(app, authenticate)
    return app


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
        if request.url.path.removeprefix(request.scope.get("root_path", "")) in OPEN_PATHS:
            return await call_next(request)
        problem = await authenticate(request)
        if problem is not None:
            return error(401, problem)
        return await call_next(request)
