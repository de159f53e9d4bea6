"""Where the plugin keeps its catalog: ``$OVERLAY_DB``, else ``[overlay] db`` in airflow.cfg, else SQLite in AIRFLOW_HOME."""

from __future__ import annotations

import os


def catalog_url() -> str:
    if os.environ.get("OVERLAY_DB"):
        return os.environ["OVERLAY_DB"]
    try:
        from airflow.configuration import conf

        configured = conf.get("overlay", "db", fallback=None)
        if configured:
            return configured
        home = conf.get("core", "airflow_home", fallback=None) or os.environ.get("AIRFLOW_HOME", ".")
    except Exception:  # outside a configured Airflow
        home = os.environ.get("AIRFLOW_HOME", ".")
    return f"sqlite:///{os.path.join(home, 'overlay.db')}"
