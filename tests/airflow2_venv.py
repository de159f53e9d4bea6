"""Build (once) the second virtualenv the Airflow 2 import-mode test runs in.

    python tests/airflow2_venv.py [FOLDER]      # default .venv-af2 at the repository root

Installs apache-airflow 2.10.x with the common SQL provider and overlay's own dependencies except
SQLAlchemy (Airflow 2 pins SQLAlchemy 1.4; discovery, extraction and scanning need only what it
brings). overlay itself is not installed there: the test puts the checkout on PYTHONPATH. A folder
whose marker file says it was built for the same requirements is reused as it is.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AIRFLOW = "apache-airflow==2.10.5"
EXTRA = ("apache-airflow-providers-common-sql>=1.20,<1.30",)
SKIP = {"sqlalchemy", "fastapi", "uvicorn"}  # Airflow 2 pins SQLAlchemy 1.4; the API server is not exercised there


def requirements() -> list[str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    own = [d for d in deps if _name(d) not in SKIP]
    return [AIRFLOW, *EXTRA, *own]


def _name(requirement: str) -> str:
    for stop in "[<>=!~ ;":
        requirement = requirement.split(stop, 1)[0]
    return requirement.strip().lower()


def python_of(folder: Path) -> Path:
    return folder / "bin" / "python"


def ensure(folder: Path) -> tuple[Path, float]:
    """The venv's python, and the seconds spent building it (0 when reused)."""
    wanted = hashlib.sha256("\n".join(requirements()).encode()).hexdigest()
    marker = folder / ".overlay-requirements"
    if python_of(folder).exists() and marker.is_file() and marker.read_text() == wanted:
        return python_of(folder), 0.0
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(folder)], check=True)
    subprocess.run([str(python_of(folder)), "-m", "pip", "install", "-q", *requirements()], check=True, timeout=1800)
    marker.write_text(wanted)
    return python_of(folder), time.perf_counter() - started


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".venv-af2"
    python, seconds = ensure(target.resolve())
    print(f"Airflow 2 virtualenv {target}: {'built in %.0f s' % seconds if seconds else 'reused'} ({python})")
