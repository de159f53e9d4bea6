"""Airflow does not authenticate plugin apps: overlay checks Airflow's own JWT (or the overlay token) itself,
and asks Airflow's auth manager which DAGs the user may read: the API then shows only those DAGs, their tasks
and the assets they produce or consume (``airflow_plugin.scope``). The overlay token reads everything."""

from __future__ import annotations

import hmac
import logging
import os
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from overlay.api.app import bearer

COOKIE = "_token"  # Airflow's UI keeps its JWT in this cookie
log = logging.getLogger(__name__)


async def airflow_user_or_token(request: Request) -> str | None:
    """None when the request carries a JWT Airflow's auth manager accepts, or the overlay token."""
    given = bearer(request) or request.cookies.get(COOKIE)
    if not given:
        return "not authenticated: send Airflow's JWT (POST /auth/token) as Authorization: Bearer <token>"
    overlay_token = os.environ.get("OVERLAY_API_TOKEN")
    if overlay_token and hmac.compare_digest(given.encode(), overlay_token.encode()):
        return None  # the operator's token: every DAG
    try:
        from airflow.api_fastapi.app import get_auth_manager

        auth_manager = get_auth_manager()
        user = await auth_manager.get_user_from_token(given)
    except Exception as e:  # expired, forged or malformed tokens alike
        return f"Airflow did not accept the token: {type(e).__name__}"
    try:
        catalog_dags = await run_in_threadpool(lambda: {d["dag_id"] for d in request.app.state.get_catalog().dags()})
        readable = await run_in_threadpool(readable_dag_ids, auth_manager, user, catalog_dags)
    except Exception as e:  # fail closed: no answer from the auth manager reads nothing
        log.warning("overlay could not ask Airflow which DAGs the user may read", exc_info=True)
        return f"could not check which DAGs this user may read: {type(e).__name__}"
    if not catalog_dags <= readable:
        from airflow_plugin.scope import ScopedCatalog

        request.state.catalog_scope = lambda catalog: ScopedCatalog(catalog, readable & catalog_dags)
    return None


def readable_dag_ids(auth_manager: Any, user: Any, catalog_dags: set[str]) -> set[str]:
    """The catalog's DAGs the auth manager lets ``user`` read (GET). DAGs Airflow knows are asked as Airflow asks
    them (with their team, in multi-team setups); DAGs only the catalog knows (other deployments, code that no
    longer imports) are asked by id."""
    from sqlalchemy import select

    from airflow.models.dag import DagModel
    from airflow.models.dagbundle import DagBundleModel
    from airflow.utils.session import create_session

    with create_session() as session:  # the DAGs get_authorized_dag_ids answers for: those of a known bundle
        known = set(session.scalars(select(DagModel.dag_id).join(DagBundleModel, DagModel.bundle_name == DagBundleModel.name)))
        readable = set(auth_manager.get_authorized_dag_ids(user=user, method="GET", session=session))
    others = catalog_dags - known
    if others:
        readable |= set(auth_manager.filter_authorized_dag_ids(dag_ids=others, user=user, method="GET"))
    return readable
