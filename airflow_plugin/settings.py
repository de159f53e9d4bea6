"""What the plugin needs to know about this Airflow: its catalog and its source name.

The catalog follows the one rule of ``overlay.catalog.location`` (``$OVERLAY_DB``, else ``[overlay] db``
in airflow.cfg, else ``$AIRFLOW_HOME/overlay.db``), so the CLI, the API and the plugin agree. The
source is named by ``overlay.source_name`` from Airflow's DAG folder, as ``overlay scan`` names it.
"""

from __future__ import annotations

from functools import lru_cache


def catalog_url() -> str:
    from overlay.catalog.location import resolve_db_url

    return resolve_db_url(None)


def dags_folder() -> str | None:
    from overlay.airflow_config import airflow_setting

    return airflow_setting("core", "dags_folder")


@lru_cache(maxsize=1)
def airflow_source() -> str:
    """This deployment's source name (computed once per process: it may ask git)."""
    from overlay.source_name import default_source

    return default_source(dags_folder())
