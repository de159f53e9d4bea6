"""Airflow settings overlay needs (DAG folder, metadata DB), read as Airflow resolves them, without importing
Airflow (its import is slow and reconfigures logging): ``AIRFLOW__SECTION__KEY``, then ``$AIRFLOW_HOME/airflow.cfg``,
then Airflow's default."""

from __future__ import annotations

import configparser
import os
from pathlib import Path

DEFAULTS = {("core", "dags_folder"): "{AIRFLOW_HOME}/dags", ("database", "sql_alchemy_conn"): "sqlite:///{AIRFLOW_HOME}/airflow.db"}


def airflow_home() -> Path | None:
    home = os.environ.get("AIRFLOW_HOME")
    if home:
        return Path(home)
    default = Path.home() / "airflow"
    return default if (default / "airflow.cfg").is_file() else None


def airflow_setting(section: str, key: str) -> str | None:
    """A setting of the local Airflow installation, or None when there is no Airflow here."""
    value = os.environ.get(f"AIRFLOW__{section.upper()}__{key.upper()}")
    if value:
        return value
    home = airflow_home()
    if home is None:
        return None
    config = configparser.ConfigParser(interpolation=None)
    config.read(home / "airflow.cfg")
    value = config.get(section, key, fallback=None) or DEFAULTS.get((section, key))
    return value.replace("{AIRFLOW_HOME}", str(home)) if value else None
