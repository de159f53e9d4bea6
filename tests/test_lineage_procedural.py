"""T-SQL control flow read as the statements it runs, and statements whose tables the text does not hold
(stored procedures, SQL built in a variable) reported as not known rather than as touching no table."""

from __future__ import annotations

import textwrap

import pytest

from overlay.lineage import analyze_sql

GUARDED_SCRIPT = textwrap.dedent("""
    SET NOCOUNT ON
    DECLARE @source VARCHAR(255)
    DECLARE @n INT
    SELECT @source = :source

    IF OBJECT_ID(N'dbo.load_log', N'U') IS NULL
        BEGIN
            CREATE TABLE dbo.load_log (name VARCHAR(255), loaded DATETIME)
        END;

    IF EXISTS (SELECT 1 FROM dbo.settings WHERE name = 'full')
      BEGIN
        PRINT 'full load ' + @source
        INSERT INTO dbo.sales_copy SELECT * FROM dbo.sales
      END
    ELSE
      BEGIN TRY
        INSERT INTO dbo.sales_copy
        SELECT * FROM dbo.sales WHERE changed > (SELECT MAX(loaded) FROM dbo.load_log)
      END TRY
      BEGIN CATCH
        PRINT 'failed'
      END CATCH

    WHILE @n < 3
    BEGIN
        SET @n = @n + 1
        UPDATE dbo.counters SET value = CASE WHEN value > 0 THEN value + 1 ELSE 1 END WHERE name = 'runs'
    END

    DECLARE c CURSOR FOR
    SELECT name FROM dbo.tables_to_copy
    OPEN c
    FETCH NEXT FROM c INTO @source
    CLOSE c
    DEALLOCATE c
    BEGIN TRAN
    INSERT INTO dbo.load_log (name, loaded) VALUES ('sales', GETDATE())
    COMMIT
""")


def test_statements_inside_if_while_begin_end_and_try_catch_are_read() -> None:
    result = analyze_sql(GUARDED_SCRIPT, dialect="tsql")
    assert result.errors == []
    assert sorted(result.reads) == ["dbo.load_log", "dbo.sales", "dbo.settings", "dbo.tables_to_copy"]
    assert sorted(result.writes) == ["dbo.counters", "dbo.load_log", "dbo.sales_copy"]


def test_case_end_and_offset_fetch_are_not_block_ends() -> None:
    sql = ("SELECT CASE WHEN a > 0 THEN 'p' END AS sign\nFROM dbo.facts\nORDER BY a\nOFFSET 0 ROWS\n"
           "FETCH NEXT 10 ROWS ONLY")
    result = analyze_sql(sql, dialect="tsql")
    assert (result.reads, result.errors) == (["dbo.facts"], [])


@pytest.mark.parametrize(("dialect", "sql", "why"), [
    ("tsql", "EXEC dbo.load_sales @day = '2024-01-01'", "stored procedure dbo.load_sales"),
    ("tsql", "DECLARE @sql NVARCHAR(MAX) = 'SELECT 1'\nEXEC sp_executesql @sql", "built at run time"),
    ("tsql", "EXEC (@sql)", "built at run time"),
    ("snowflake", "CALL refresh_marts(1)", "stored procedure refresh_marts"),
    ("bigquery", "EXECUTE IMMEDIATE query_text", "built at run time"),
])
def test_code_the_text_does_not_hold_is_not_known_not_no_table(dialect: str, sql: str, why: str) -> None:
    result = analyze_sql(sql, dialect=dialect)
    assert (result.reads, result.writes) == ([], [])
    assert len(result.errors) == 1 and result.errors[0].opaque and why in result.errors[0].message, result.errors


@pytest.mark.parametrize(("dialect", "sql"), [
    ("tsql", "EXEC sp_executesql N'INSERT INTO dbo.t SELECT * FROM dbo.s'"),
    ("bigquery", "EXECUTE IMMEDIATE 'INSERT INTO dbo.t SELECT * FROM dbo.s'"),
])
def test_literal_sql_given_to_exec_is_read_as_the_statement_it_is(dialect: str, sql: str) -> None:
    result = analyze_sql(sql, dialect=dialect)
    assert (result.reads, result.writes, result.errors) == (["dbo.s"], ["dbo.t"], [])


def test_a_task_running_a_procedure_is_unresolved_with_the_reason(tmp_path) -> None:  # noqa: ANN001
    """It was `no_data`: a task that runs a stored procedure touches tables nobody can name from the DAG."""
    from overlay.scan import scan_folders

    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "mssql.py").write_text(textwrap.dedent('''
        from datetime import datetime
        from airflow import DAG
        from airflow.providers.microsoft.mssql.operators.mssql import MsSqlOperator

        with DAG("dwh", start_date=datetime(2024, 1, 1), schedule=None):
            MsSqlOperator(task_id="load", mssql_conn_id="dwh", sql="EXEC dbo.load_sales")
            MsSqlOperator(task_id="guarded", mssql_conn_id="dwh",
                          sql="IF OBJECT_ID('dbo.t') IS NOT NULL BEGIN INSERT INTO dbo.t SELECT * FROM dbo.s END")
    '''))
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks}
    assert tasks["load"].status == "unresolved"
    assert any("stored procedure dbo.load_sales" in e and "does not parse" not in e for e in tasks["load"].errors)
    assert (tasks["guarded"].status, tasks["guarded"].reads, tasks["guarded"].writes) == (
        "resolved", ["dwh:dbo.s"], ["dwh:dbo.t"])


BIGQUERY_SCRIPT = textwrap.dedent("""
    DECLARE d DATE DEFAULT CURRENT_DATE();
    BEGIN
      CREATE TEMP TABLE picked AS SELECT * FROM ds.src WHERE day = d;
      INSERT INTO ds.dst SELECT * FROM picked;
    EXCEPTION WHEN ERROR THEN
      SELECT 1;
    END;
    IF (SELECT COUNT(*) FROM ds.flags) > 0 THEN
      DELETE FROM ds.old WHERE TRUE;
    ELSEIF d > '2024-01-01' THEN
      INSERT INTO ds.other SELECT CASE WHEN 1 > 0 THEN 1 END;
    ELSE
      SELECT 2;
    END IF;
    FOR r IN (SELECT name FROM ds.names) DO
      SELECT r.name;
    END FOR;
    LOOP
      INSERT INTO ds.looped SELECT 1;
      BREAK;
    END LOOP;
    BEGIN TRANSACTION;
    COMMIT TRANSACTION;
""")


@pytest.mark.parametrize("dialect", ["bigquery", "snowflake"])
def test_bigquery_and_snowflake_scripting_blocks_are_read_as_their_statements(dialect: str) -> None:
    """BEGIN ... EXCEPTION ... END, IF/ELSEIF/ELSE/END IF, FOR r IN (query) DO, LOOP: the statements inside. BigQuery's
    tokenizer kept `BEGIN` and the block after it as one command, so the temporary table was read as a table."""
    sql = BIGQUERY_SCRIPT if dialect == "bigquery" else BIGQUERY_SCRIPT.replace("DECLARE d DATE DEFAULT CURRENT_DATE();\n", "")
    result = analyze_sql(sql, dialect=dialect)
    assert sorted(result.reads) == ["ds.flags", "ds.names", "ds.src"], result.errors
    assert sorted(result.writes) == ["ds.dst", "ds.looped", "ds.old", "ds.other"]


@pytest.mark.parametrize(("dialect", "sql"), [
    ("bigquery", "CREATE OR REPLACE PROCEDURE ds.refresh() BEGIN INSERT INTO ds.t SELECT * FROM ds.s; END;"),
    ("tsql", "CREATE PROCEDURE dbo.refresh AS BEGIN INSERT INTO dbo.t SELECT * FROM dbo.s END"),
    ("tsql", "CREATE PROCEDURE dbo.refresh AS INSERT INTO dbo.t SELECT * FROM dbo.s"),
])
def test_defining_a_procedure_runs_none_of_its_body(dialect: str, sql: str) -> None:
    result = analyze_sql(sql, dialect=dialect)
    assert (result.reads, result.writes) == ([], [])
