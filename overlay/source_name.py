"""The default name of a scan's source (one Airflow deployment or one DAG repository).

``[overlay] source`` in airflow.cfg (or ``AIRFLOW__OVERLAY__SOURCE``), else Airflow's instance name when
one is configured (``[api] instance_name``, Airflow 2's ``[webserver] instance_name``), else the name
of the repository holding the folder (its ``origin`` remote, else its top-level folder), else the
folder's own name. The listener uses the same rule on Airflow's DAG folder, so runs and scans agree.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from overlay.airflow_config import airflow_setting

MAX_LENGTH = 250


def default_source(folder: str | Path | None) -> str:
    configured = airflow_setting("overlay", "source") or airflow_setting("api", "instance_name") \
        or airflow_setting("webserver", "instance_name")
    if configured and configured.strip():
        return clean(configured)
    if folder is None:
        return "default"
    return clean(repository_name(Path(folder)) or Path(folder).resolve().name or "default")


def repository_name(folder: Path) -> str | None:
    remote = _git(folder, "config", "--get", "remote.origin.url")
    if remote:
        name = re.sub(r"\.git$", "", remote.rstrip("/")).replace(":", "/").rsplit("/", 1)[-1]
        if name:
            return name
    top = _git(folder, "rev-parse", "--show-toplevel")
    return Path(top).name if top else None


def clean(name: str) -> str:
    return " ".join(name.split())[:MAX_LENGTH]


def _git(folder: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
