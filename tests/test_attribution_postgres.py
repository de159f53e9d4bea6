"""Attribution end to end on a real PostgreSQL: a throwaway server with pg_stat_statements, the sample
warehouse, tagged and untagged statements, then `overlay attribute --conn` and `overlay cost`."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from overlay.attribution.tags import sqlcommenter

SAMPLE = Path(__file__).resolve().parent.parent / "sample_dags"


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


@pytest.fixture(scope="module")
def stats_server() -> Iterator[str]:
    """A throwaway PostgreSQL with pg_stat_statements preloaded, on a free loopback port."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root = tempfile.mkdtemp(prefix="overlay_pg_")
    if run_as:
        shutil.chown(root, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = os.path.join(root, "data")
    subprocess.run([*run_as, initdb, "-D", data, "-A", "trust", "-U", "postgres"], check=True, capture_output=True, timeout=120)
    with open(os.path.join(data, "postgresql.conf"), "a") as conf:
        conf.write("shared_preload_libraries = 'pg_stat_statements'\nfsync = off\n")
    subprocess.run([*run_as, pg_ctl, "-D", data, "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1", "-l",
                    os.path.join(root, "log"), "-w", "start"], check=True, capture_output=True, timeout=120)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*run_as, pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def test_pg_stat_statements_attributed_end_to_end(stats_server: str, tmp_path: Path) -> None:
    import psycopg

    with psycopg.connect(f"{stats_server}/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE tempo")
    warehouse = f"{stats_server}/tempo"
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pg_stat_statements")
        conn.execute((SAMPLE / "sql" / "setup" / "warehouse_schema.sql").read_text())
        conn.execute("SELECT pg_stat_statements_reset()")
        task = {"dag_id": "platform_raw_commerce", "task_id": "copy_orders", "run_id": "scheduled__2024-01-15", "try_number": "1"}
        # what the plugin sends for a task: its SQL with the task's sqlcommenter tags
        conn.execute(sqlcommenter("INSERT INTO raw.orders SELECT * FROM staging.orders_import WHERE loaded_on = '2024-01-15'", task))
        # the same statement from outside Airflow, another day: found by fingerprint
        conn.execute("INSERT INTO raw.payments SELECT * FROM staging.payments_import WHERE loaded_on = '2024-01-14'")
        conn.execute("SELECT count(*) FROM raw.orders WHERE amount > 5")  # ad hoc
    db = f"sqlite:///{tmp_path / 'catalog.db'}"
    env = {**os.environ, "AIRFLOW_CONN_WAREHOUSE": warehouse}

    def overlay(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "overlay.cli.main", *args], capture_output=True, text=True, env=env, cwd=tmp_path,
                              timeout=300)

    assert overlay("scan", str(SAMPLE), "--mode", "static", "--db", db).returncode == 0
    result = overlay("attribute", "--conn", "warehouse", "--source", "postgres", "--db", db, "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["by_method"]["tag"] >= 1 and summary["by_method"]["fingerprint"] >= 1 and summary["malformed"] == 0
    costs = {g["group"] for g in json.loads(overlay("cost", "--by", "task", "--db", db, "--json").stdout)["groups"]}
    assert {"platform_raw_commerce.copy_orders", "platform_raw_commerce.copy_payments"} <= costs
    again = json.loads(overlay("attribute", "--conn", "warehouse", "--source", "postgres", "--db", db, "--json").stdout)
    # the workload's statements are not counted twice (the reads' own cursor statements may come back with new call counts)
    from sqlalchemy import text

    from overlay.catalog import Catalog

    catalog = Catalog.open(db)
    with catalog.engine.connect() as conn:
        per_task = dict(conn.execute(text("SELECT task_id, count(*) FROM queries WHERE task_id IS NOT NULL GROUP BY task_id")).all())
    catalog.close()
    assert per_task == {"copy_orders": 1, "copy_payments": 1} and again["duplicates"] >= 3
    missing = overlay("attribute", "--conn", "nowhere", "--source", "postgres", "--db", db)
    assert missing.returncode == 2 and "AIRFLOW_CONN_NOWHERE" in missing.stderr


def test_live_snapshots_bill_only_what_ran_since_the_last_one_and_survive_a_reset(stats_server: str, tmp_path: Path) -> None:
    """pg_stat_statements totals are cumulative: three live ingests around a reset bill the work once."""
    import psycopg
    from sqlalchemy import text

    from overlay.attribution.attribute import CostModel
    from overlay.attribution.live import read_pg_stat_statements
    from overlay.catalog import Catalog

    with psycopg.connect(f"{stats_server}/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE snapshots")
    warehouse = f"{stats_server}/snapshots"
    workload = "SELECT count(*) FROM generate_series(1, 200000)"

    def run(times: int) -> None:
        with psycopg.connect(warehouse, autocommit=True) as conn:
            for _ in range(times):
                conn.execute(workload)

    def stats() -> tuple[int, float]:
        with psycopg.connect(warehouse, autocommit=True) as conn:
            return conn.execute("SELECT calls, total_exec_time FROM pg_stat_statements "
                                "WHERE query LIKE 'SELECT count(*) FROM generate_series%'").fetchone()

    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.execute("SELECT pg_stat_statements_reset()")
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'catalog.db'}")

    def billed_ms() -> float:
        with catalog.engine.connect() as conn:
            return conn.execute(text("SELECT coalesce(sum(duration_ms), 0) FROM queries WHERE query_id LIKE :p"),
                                {"p": f"{statement}%"}).scalar()
    os.environ["AIRFLOW_CONN_SNAPSHOTS"] = warehouse
    try:
        run(3)
        catalog.ingest_queries(read_pg_stat_statements("snapshots"), CostModel())
        calls, first_total = stats()
        with psycopg.connect(warehouse, autocommit=True) as conn:
            statement = "{}:{}:{}".format(*conn.execute(
                "SELECT queryid, dbid, userid FROM pg_stat_statements WHERE query LIKE 'SELECT count(*) FROM generate%'").fetchone())
        run(4)
        second = catalog.ingest_queries(read_pg_stat_statements("snapshots"), CostModel())
        _, second_total = stats()
        assert second["cumulative"]["delta"] >= 1
        assert billed_ms() == pytest.approx(second_total, rel=1e-6)  # not first_total + second_total
        with psycopg.connect(warehouse, autocommit=True) as conn:
            conn.execute("SELECT pg_stat_statements_reset()")
        run(1)
        third = catalog.ingest_queries(read_pg_stat_statements("snapshots"), CostModel())
        _, after_reset = stats()
        assert third["cumulative"]["reset"] >= 1
        assert billed_ms() == pytest.approx(second_total + after_reset, rel=1e-6)
    finally:
        os.environ.pop("AIRFLOW_CONN_SNAPSHOTS", None)
        catalog.close()
