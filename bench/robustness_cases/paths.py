"""Hostile file paths in DAGs (issue 10 §3): static mode must read nothing outside the repository.

Each case writes a small repository (a ``.git`` folder, a DAG folder) next to an ``outside`` folder
holding a secret, scans it statically, and fails when the secret (or /etc/passwd) reached the scan
result, or when any file under ``outside``/``/etc`` was opened at all (a ``sys.addaudithook`` on
``open``, which also sees hashing and stat-free reads).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from robustness_cases._opens import record_opens

SECRET = "SELECT * FROM secret_schema.secret_table"
_HEADER = ("from airflow import DAG\n"
           "from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator as Sql\n"
           "from airflow.providers.standard.operators.bash import BashOperator\n"
           "from airflow.providers.google.cloud.operators.bigquery import BigQueryInsertJobOperator\n")


def _build(tmp: Path, body: str, searchpath: list[str] | None = None) -> Path:
    outside = tmp / "outside"
    (outside / "dbt" / "target").mkdir(parents=True)
    (outside / "secret.sql").write_text(SECRET)
    (outside / "run.sh").write_text(f'psql -c "{SECRET}"\n')
    (outside / "job.json").write_text(json.dumps({"query": {"query": SECRET, "useLegacySql": False}}))
    node = {"resource_type": "model", "unique_id": "model.p.secret", "name": "secret", "schema": "secret_schema",
            "alias": "secret", "config": {}, "depends_on": {"nodes": []}}
    (outside / "dbt" / "target" / "manifest.json").write_text(json.dumps({"nodes": {node["unique_id"]: node}}))
    dags = tmp / "repo" / "dags"
    dags.mkdir(parents=True)
    (tmp / "repo" / ".git").mkdir()
    (dags / "link.sql").symlink_to(outside / "secret.sql")
    (dags / "link_dir").symlink_to(outside)
    text = body.replace("OUTSIDE", str(outside))
    folders = [p.replace("OUTSIDE", str(outside)) for p in searchpath or []]
    (dags / "d.py").write_text(f"{_HEADER}with DAG('d', template_searchpath={folders!r}):\n    {text}\n")
    return dags


def _scan_case(body: str, searchpath: list[str] | None = None) -> Callable[[], str | None]:
    def run() -> str | None:
        from overlay.scan import scan_folders

        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name).resolve()
            dags = _build(tmp, body, searchpath)
            forbidden = (str(tmp / "outside"), "/etc/passwd", "/etc/shadow")
            opened = record_opens(*forbidden)
            result = scan_folders([str(dags)], mode="static")
            dumped = json.dumps(result.to_dict(), default=str)
            if "secret_table" in dumped or "secret_schema" in dumped or "root:x:0:0" in dumped:
                return "the outside file's content reached the scan result"
            if opened:
                return f"opened outside the repository: {sorted(set(opened))[:3]}"
            task = next((t for t in result.tasks), None)
            if task is None:
                return "the task was not found"
            if not any("allow_paths" in e for e in task.errors):
                return f"the refused read is not reported naming `allow_paths`: {task.errors}"
        return None

    return run


def cases() -> Iterator[tuple[str, str, Callable[[], str | None]]]:
    yield ("paths", "sql='/abs/secret.sql'", _scan_case("Sql(task_id='t', conn_id='w', sql='OUTSIDE/secret.sql')"))
    yield ("paths", "sql='../../outside/secret.sql'", _scan_case("Sql(task_id='t', conn_id='w', sql='../../outside/secret.sql')"))
    yield ("paths", ".sql symlink to an outside file", _scan_case("Sql(task_id='t', conn_id='w', sql='link.sql')"))
    yield ("paths", "folder symlink to outside", _scan_case("Sql(task_id='t', conn_id='w', sql='link_dir/secret.sql')"))
    yield ("paths", "template_searchpath=['/'] + include etc/passwd",
           _scan_case("Sql(task_id='t', conn_id='w', sql=\"SELECT 1 {% include 'etc/passwd' %}\")", ["/"]))
    yield ("paths", "template_searchpath outside + include",
           _scan_case("Sql(task_id='t', conn_id='w', sql=\"{% include 'secret.sql' %}\")", ["OUTSIDE"]))
    yield ("paths", "bash script outside", _scan_case("BashOperator(task_id='t', bash_command='bash OUTSIDE/run.sh ')"))
    yield ("paths", "psql -f outside file", _scan_case("BashOperator(task_id='t', bash_command='psql -f OUTSIDE/secret.sql')"))
    yield ("paths", "BigQuery job JSON outside",
           _scan_case("BigQueryInsertJobOperator(task_id='t', configuration='OUTSIDE/job.json')"))
    yield ("paths", "dbt manifest outside", _scan_case("BashOperator(task_id='t', bash_command='dbt run --project-dir OUTSIDE/dbt')"))
