"""Generate a synthetic, realistic DAG folder for the scan benchmarks.

``python bench/gen_dags.py OUT --files 1000 --tasks-per-file 10`` writes OUT/ with one DAG per
file: Airflow 3 and legacy Airflow 2 styles, inline SQL (CTE + INSERT), ``.sql`` templates
through template_searchpath, Jinja, and tables that feed each other across DAGs, so the scanner
builds a real graph. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

SCHEMAS = ["raw", "staging", "core", "mart", "finance", "growth", "content"]

AIRFLOW3_HEADER = '''from __future__ import annotations

import os

import pendulum
from airflow.sdk import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

CONN = "warehouse"
SQL_DIR = os.path.join(os.path.dirname(__file__), "sql")
'''

AIRFLOW2_HEADER = '''import os
from datetime import datetime

from airflow import DAG
from airflow.providers.postgres.operators.postgres import PostgresOperator

CONN = "warehouse"
SQL_DIR = os.path.join(os.path.dirname(__file__), "sql")
'''

INLINE_SQL = """INSERT INTO {target}
WITH base AS (
    SELECT id, amount, updated_at FROM {source_a} WHERE updated_at >= '{{{{ ds }}}}'
)
SELECT b.id, SUM(b.amount) AS amount, MAX(o.name) AS name
FROM base b JOIN {source_b} o ON o.id = b.id
GROUP BY b.id"""

FILE_SQL = """-- built by {dag_id}
DELETE FROM {target} WHERE day = '{{{{ ds }}}}';
INSERT INTO {target} (day, id, total)
SELECT '{{{{ ds }}}}'::date, id, COUNT(*) FROM {source_a}
WHERE kind = '{{{{ params.kind }}}}'
GROUP BY id;
"""


def table(rng: random.Random, file_index: int, task_index: int) -> str:
    return f"{SCHEMAS[(file_index + task_index) % len(SCHEMAS)]}.t_{file_index:05d}_{task_index:02d}"


def source(rng: random.Random, file_index: int, task_index: int) -> str:
    """An upstream table: an earlier task of this DAG, or a table another DAG writes."""
    if task_index > 0 and rng.random() < 0.6:
        return table(rng, file_index, rng.randrange(task_index))
    if file_index > 0:
        other = rng.randrange(file_index)
        return table(rng, other, rng.randrange(10))
    return f"raw.events_{rng.randrange(50):02d}"


def render_file(rng: random.Random, index: int, tasks: int, sql_dir: Path) -> str:
    legacy = index % 3 == 2
    dag_id = f"synthetic_{index:05d}"
    lines = [AIRFLOW2_HEADER if legacy else AIRFLOW3_HEADER]
    owner = f"team-{index % 12}"
    if legacy:
        lines.append(f'with DAG("{dag_id}", start_date=datetime(2024, 1, 1), schedule_interval="@daily", '
                     f'default_args={{"owner": "{owner}"}}, template_searchpath=[SQL_DIR], catchup=False) as dag:')
    else:
        lines.append(f'with DAG(dag_id="{dag_id}", start_date=pendulum.datetime(2024, 1, 1), schedule="@daily", '
                     f'default_args={{"owner": "{owner}"}}, template_searchpath=[SQL_DIR], tags=["team:{owner}"]):')
    operator, conn_arg = ("PostgresOperator", "postgres_conn_id") if legacy else ("SQLExecuteQueryOperator", "conn_id")
    names = []
    for t in range(tasks):
        target, a, b = table(rng, index, t), source(rng, index, t), source(rng, index, t)
        task_id = f"build_{target.replace('.', '_')}"
        names.append(task_id)
        if t % 4 == 3:
            sql_name = f"{dag_id}_{t:02d}.sql"
            (sql_dir / sql_name).write_text(FILE_SQL.format(dag_id=dag_id, target=target, source_a=a))
            sql_arg = f'"{sql_name}"'
            params = ', params={"kind": "daily"}'
        else:
            sql_arg = '"""' + INLINE_SQL.format(target=target, source_a=a, source_b=b) + '"""'
            params = ""
        lines.append(f"    {task_id} = {operator}(task_id=\"{task_id}\", {conn_arg}=CONN, sql={sql_arg}{params})")
    for up, down in zip(names, names[1:]):
        lines.append(f"    {up} >> {down}")
    return "\n".join(lines) + "\n"


def generate(out: Path, files: int, tasks_per_file: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    for index in range(files):
        team_dir = out / f"team_{index % 12:02d}"
        sql_dir = team_dir / "sql"
        sql_dir.mkdir(parents=True, exist_ok=True)
        (team_dir / f"dag_{index:05d}.py").write_text(render_file(rng, index, tasks_per_file, sql_dir))
    (out / "overlay.yaml").write_text(
        "connections:\n  warehouse: {dialect: postgres, database: dw, schema: public, namespace: warehouse}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--tasks-per-file", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.out, args.files, args.tasks_per_file, args.seed)
    print(f"wrote {args.files} DAG files with {args.files * args.tasks_per_file} SQL tasks to {args.out}")


if __name__ == "__main__":
    main()
