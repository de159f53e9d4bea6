"""A real Airflow auth manager for the live tests: Airflow's SimpleAuthManager, where a user may also be limited to
some DAGs, as FAB's per-DAG permissions or a multi-team setup would. Configured with
``[core] auth_manager = dag_grants_auth.DagGrantsAuthManager`` (the live Airflow home's config/ folder is on
sys.path) and ``OVERLAY_TEST_DAG_GRANTS="analyst=demo_mart|other;intern="`` (a user listed reads only those DAGs;
one not listed keeps what its SimpleAuthManager role gives)."""

from __future__ import annotations

import os
from typing import Any

from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager


def grants() -> dict[str, set[str]]:
    result: dict[str, set[str]] = {}
    for entry in filter(None, os.environ.get("OVERLAY_TEST_DAG_GRANTS", "").split(";")):
        user, _, dags = entry.partition("=")
        result[user.strip()] = {d for d in dags.split("|") if d}
    return result


class DagGrantsAuthManager(SimpleAuthManager):
    def is_authorized_dag(self, *, method: Any, user: Any, access_entity: Any = None, details: Any = None) -> bool:
        limited = grants().get(user.username)
        if limited is not None and (not limited if details is None or details.id is None else details.id not in limited):
            return False  # a question about no DAG in particular: yes when some DAG is granted, as FAB answers
        return super().is_authorized_dag(method=method, user=user, access_entity=access_entity, details=details)
