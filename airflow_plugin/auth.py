"""Airflow does not authenticate plugin apps: overlay checks Airflow's own JWT (or the overlay token) itself."""

from __future__ import annotations

import hmac
import os

from fastapi import Request

from overlay.api.app import bearer

COOKIE = "_token"  # Airflow's UI keeps its JWT in this cookie


async def airflow_user_or_token(request: Request) -> str | None:
    """None when the request carries a JWT Airflow's auth manager accepts, or the overlay token."""
    given = bearer(request) or request.cookies.get(COOKIE)
    if not given:
        return "not authenticated: send Airflow's JWT (POST /auth/token) as Authorization: Bearer <token>"
    overlay_token = os.environ.get("OVERLAY_API_TOKEN")
    if overlay_token and hmac.compare_digest(given.encode(), overlay_token.encode()):
        return None
    try:
        from airflow.api_fastapi.app import get_auth_manager

        await get_auth_manager().get_user_from_token(given)
    except Exception as e:  # expired, forged or malformed tokens alike
        return f"Airflow did not accept the token: {type(e).__name__}"
    return None
