"""Where a deployment's folders are in the repository, as the repository's own docker-compose file mounts them.

Airflow's docker-compose quick start, and most repositories built from it, mount the checkout into the containers:
``./dags:/opt/airflow/dags``, ``./sql:/opt/airflow/sql``, ``${AIRFLOW_PROJ_DIR:-.}/include:/opt/airflow/include``.
A DAG that names ``/opt/airflow/sql/load.sql`` then reads the repository's ``sql/load.sql``: each bind mount of a
folder inside the repository is a remap of its container path (``ReadPolicy``), found before the longest-suffix
guess and named in the task's report. Only compose files in the repository's top folder and in the folders between
it and a scanned folder are read (``docker-compose*.yml``/``.yaml``, ``compose*.yml``/``.yaml``), with YAML's safe
loader, bounded in size; named volumes, absolute host paths and variables without a default are not remaps.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

import yaml

MAX_COMPOSE_BYTES = 1024 * 1024
_NAMES = re.compile(r"(docker-)?compose([.-][\w.-]+)?\.ya?ml")
_DEFAULTED = re.compile(r"\$\{\w+:?-([^}]*)\}")  # ${AIRFLOW_PROJ_DIR:-.} -> .


def compose_folders(scanned: tuple[str, ...], repository: str | None) -> list[str]:
    """The folders whose compose files count: each scanned folder's parents up to the repository's top, nearest first."""
    found: list[str] = []
    for folder in scanned:
        current = folder
        while True:
            found.append(current)
            parent = os.path.dirname(current)
            if not repository or current == repository or parent == current or \
                    not current.startswith(repository.rstrip(os.sep) + os.sep):
                break
            current = parent
    if repository:
        found.append(repository)
    return list(dict.fromkeys(found))


@lru_cache(maxsize=64)
def compose_remaps(scanned: tuple[str, ...], repository: str | None) -> tuple[tuple[str, str, str], ...]:
    """(container prefix ending in '/', repository folder, where it was read) for each bind mount found, longest
    container path first; the first compose file naming a container path wins."""
    mounts: dict[str, tuple[str, str]] = {}
    for folder in compose_folders(scanned, repository):
        try:
            names = sorted(n for n in os.listdir(folder) if _NAMES.fullmatch(n))
        except OSError:
            continue
        for name in names:
            path = os.path.join(folder, name)
            for container, host in _binds(path):
                target = os.path.realpath(os.path.join(folder, host))
                inside = repository is None or target == repository or target.startswith(repository.rstrip(os.sep) + os.sep)
                if inside and os.path.isdir(target):
                    mounts.setdefault(container.rstrip("/") + "/", (target, f"{name} mounts {host} at {container}"))
    ordered = sorted(mounts.items(), key=lambda item: -len(item[0]))
    return tuple((prefix, target, where) for prefix, (target, where) in ordered)


def _binds(path: str) -> list[tuple[str, str]]:
    """(container path, host path relative to the compose file) of a compose file's bind mounts; [] when unreadable."""
    try:
        if os.path.getsize(path) > MAX_COMPOSE_BYTES:
            return []
        with open(path, encoding="utf-8", errors="replace") as f:
            spec = yaml.safe_load(f)
    except (OSError, yaml.YAMLError):
        return []
    services = spec.get("services") if isinstance(spec, dict) else None
    found: list[tuple[str, str]] = []
    for service in (services or {}).values() if isinstance(services, dict) else []:
        volumes = service.get("volumes") if isinstance(service, dict) else None
        for volume in volumes if isinstance(volumes, list) else []:
            bind = _bind(volume)
            if bind is not None:
                found.append(bind)
    return found


def _bind(volume: object) -> tuple[str, str] | None:
    if isinstance(volume, dict):  # long syntax: {type: bind, source: ./sql, target: /opt/airflow/sql}
        source, target = volume.get("source"), volume.get("target")
        if volume.get("type", "bind") != "bind" or not isinstance(source, str):
            return None
        source = _DEFAULTED.sub(lambda m: m.group(1), source)
    elif isinstance(volume, str) and ":" in volume:
        source, target = _DEFAULTED.sub(lambda m: m.group(1), volume).split(":")[:2]
    else:
        return None
    if not isinstance(source, str) or not isinstance(target, str) or not target.startswith("/"):
        return None
    if "$" in source or source.startswith(("/", "~")) or not source.startswith((".", "..")) and "/" not in source:
        return None  # a variable with no default, an absolute or home path, a named volume
    return target, source
