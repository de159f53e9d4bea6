"""Hostile SQL (issue 10 §5): each must come back as "too complex to analyse" or a normal result,
never a crash, a hang or a blow-up, and the statement after it must still be analysed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

BEFORE = "INSERT INTO kept SELECT * FROM src"
AFTER = "INSERT INTO kept_after SELECT * FROM src"


def _nested(n: int) -> str:
    return "SELECT * FROM " + "(SELECT * FROM " * n + "t" + ") x" * n


def _ctes(n: int) -> str:
    return ("WITH c0 AS (SELECT 1 AS a), " + ", ".join(f"c{i} AS (SELECT * FROM c{i - 1})" for i in range(1, n))
            + f" INSERT INTO out SELECT * FROM c{n - 1}")


HOSTILE: list[tuple[str, str | None, object]] = [
    # (name, dialect, builder of the hostile statement)
    ("8,000 nested subqueries (144 KB; segfaulted the compiled parser)", "postgres", lambda: _nested(8000)),
    ("20,000 nested subqueries", None, lambda: _nested(20_000)),
    ("unclosed '(SELECT * FROM ' x 600 (9 KB), bigquery", "bigquery", lambda: "(SELECT * FROM " * 600),
    ("unclosed '(SELECT * FROM ' x 3,000 (46 KB), redshift", "redshift", lambda: "(SELECT * FROM " * 3000),
    ("99 nested subqueries, bigquery (quadratic parser)", "bigquery", lambda: _nested(99)),
    ("10,000 chained CTEs", "postgres", lambda: _ctes(10_000)),
    ("4.9 MB select list", "postgres",
     lambda: "INSERT INTO big SELECT " + ", ".join(f"c{i}" for i in range(540_000)) + " FROM src"),
    ("50,000 parentheses", "postgres", lambda: "SELECT " + "(" * 50_000 + "1" + ")" * 50_000),
    ("200,000 NOTs", "postgres", lambda: "SELECT " + "NOT " * 200_000 + "1"),
    ("20,000 nested CASE", "snowflake", lambda: "SELECT " + "CASE WHEN x THEN " * 20_000 + "1" + " END" * 20_000),
    ("20,000 nested brackets", "duckdb", lambda: "SELECT " + "[" * 20_000 + "1" + "]" * 20_000),
    ("5,000 UNION ALL", "postgres", lambda: " UNION ALL ".join(["SELECT * FROM t"] * 5000)),
    ("5,000 JOINs", "tsql", lambda: "SELECT * FROM t0 " + " ".join(f"JOIN t{i} ON a = b" for i in range(1, 5000))),
    ("100,000 ANDs", "mysql", lambda: "SELECT * FROM t WHERE " + " AND ".join(["a = 1"] * 100_000)),
    ("unterminated string after 5,000 parens", "postgres", lambda: "SELECT " + "(" * 5000 + "'oops"),
    ("an unterminated comment holding 10,000 parens", "postgres", lambda: "SELECT 1 /* " + "(" * 10_000),
    # T-SQL control flow, cut into statements (overlay/lineage/procedural.py)
    ("20,000 nested IF ... BEGIN ... END", "tsql", lambda: "IF 1 = 1 BEGIN " * 20_000 + "SELECT 1" + " END" * 20_000),
    ("50,000 unclosed BEGINs", "tsql", lambda: "BEGIN " * 50_000),
    ("20,000 PRINT lines without semicolons", "tsql", lambda: "\n".join(f"PRINT 'step {i}'" for i in range(20_000))),
    ("an IF condition of 50,000 parentheses", "tsql", lambda: "IF " + "(" * 50_000 + "1" + ")" * 50_000 + " SELECT 1"),
    # BigQuery and Snowflake scripting blocks, cut into statements (overlay/lineage/procedural.py)
    ("10,000 nested BEGIN ... END, bigquery", "bigquery", lambda: "BEGIN\n" * 10_000 + "SELECT 1;\n" + "END;\n" * 10_000),
    ("5,000 IF ... THEN ... END IF, snowflake", "snowflake",
     lambda: "".join(f"IF (x > {i}) THEN SELECT {i}; END IF;\n" for i in range(5_000))),
    ("an unclosed FOR r IN ( x 30,000, bigquery", "bigquery", lambda: "FOR r IN " + "(" * 30_000),
]


def _analyse(name: str, builder, dialect: str | None) -> str | None:  # noqa: ANN001
    from overlay.lineage import analyze_sql

    hostile = builder()
    result = analyze_sql(f"{BEFORE};\n{hostile};\n{AFTER}", dialect)
    # an unterminated string or comment legitimately swallows what follows it
    expected = ["kept"] if "unterminated" in name else ["kept", "kept_after"]
    if [w for w in result.writes if w.startswith("kept")] != expected:
        return f"the statements around the hostile one were lost: writes={result.writes[:5]} errors={result.errors[:2]}"
    for error in result.errors:
        if "too complex to analyse" not in error.message and "does not parse" not in error.message \
                and "Expected" not in error.message and "tokenize" not in error.message:
            return f"unexpected error: {error}"
    return None


def _overlay_sql_cli() -> str | None:
    text = f"{_nested(8000)};\n{AFTER}"
    proc = subprocess.run([sys.executable, "-m", "overlay.cli.main", "sql", "-", "--dialect", "postgres", "--json"],
                          input=text, capture_output=True, text=True, timeout=50)
    if proc.returncode not in (0, 1):
        return f"overlay sql exited {proc.returncode}: {proc.stderr[-300:]}"
    data = json.loads(proc.stdout)
    if data["writes"] != ["kept_after"] or "too complex to analyse" not in data["errors"][0]["message"]:
        return f"unexpected output: writes={data['writes']} errors={data['errors'][:1]}"
    return None


def _overlay_scan_cli() -> str | None:
    with tempfile.TemporaryDirectory(prefix="overlay-robust-sql-") as tmp:
        dags = Path(tmp) / "dags"
        dags.mkdir()
        (dags / "monster.sql").write_text(f"{_nested(8000)};\n{AFTER};\n")
        (dags / "monster_dag.py").write_text(textwrap.dedent("""
            import pendulum
            from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
            from airflow.sdk import DAG
            with DAG(dag_id="monster", start_date=pendulum.datetime(2024, 1, 1), schedule=None):
                SQLExecuteQueryOperator(task_id="huge", conn_id="warehouse", sql="monster.sql")
        """))
        db = Path(tmp) / "c.db"
        proc = subprocess.run([sys.executable, "-m", "overlay.cli.main", "scan", str(dags), "--mode", "static",
                               "--db", f"sqlite:///{db}", "--json"], capture_output=True, text=True, timeout=50,
                              env={**os.environ, "COLUMNS": "200"})
        if proc.returncode not in (0, 1):
            return f"overlay scan exited {proc.returncode}: {proc.stderr[-300:]}"
        import sqlite3

        with sqlite3.connect(db) as conn:
            stored = " ".join(str(row) for row in conn.execute("SELECT * FROM tasks"))
        if "kept_after" not in stored:
            return "the scan did not store the task's other statement"
    return None


def cases():
    for name, dialect, builder in HOSTILE:
        yield ("sql", name, lambda n=name, b=builder, d=dialect: _analyse(n, b, d))
    yield ("sql", "overlay sql on 8,000 nested subqueries", _overlay_sql_cli)
    yield ("sql", "overlay scan of a DAG whose SQL file nests 8,000 subqueries", _overlay_scan_cli)
