"""Across statements: temp tables, renames and swaps collapse; edges stay statement-level."""

from __future__ import annotations

from overlay.lineage import analyze_sql


def test_statement_level_edges_do_not_cross() -> None:
    result = analyze_sql("INSERT INTO a SELECT * FROM x; INSERT INTO b SELECT * FROM y", "postgres")
    assert sorted(result.edges) == [("x", "a"), ("y", "b")]


def test_temp_table_disappears_and_connects_its_inputs_to_outputs() -> None:
    sql = """
    CREATE TEMP TABLE stage AS SELECT * FROM raw.plays;
    INSERT INTO mart.daily SELECT * FROM stage JOIN raw.users USING (user_id);
    """
    result = analyze_sql(sql, "postgres")
    assert sorted(result.reads) == ["raw.plays", "raw.users"]
    assert result.writes == ["mart.daily"]
    assert sorted(result.edges) == [("raw.plays", "mart.daily"), ("raw.users", "mart.daily")]


def test_tsql_hash_temp_tables() -> None:
    sql = "SELECT * INTO #recent FROM dbo.orders WHERE d > '2024-01-01'; INSERT INTO dbo.summary SELECT count(*) FROM #recent"
    result = analyze_sql(sql, "tsql")
    assert result.reads == ["dbo.orders"] and result.writes == ["dbo.summary"]
    assert result.edges == [("dbo.orders", "dbo.summary")]


def test_rename_swap_pattern_writes_the_final_name_only() -> None:
    sql = """
    CREATE TABLE mart.orders_new AS SELECT * FROM raw.orders;
    DROP TABLE IF EXISTS mart.orders;
    ALTER TABLE mart.orders_new RENAME TO orders;
    """
    result = analyze_sql(sql, "postgres")
    assert result.reads == ["raw.orders"]
    assert result.writes == ["mart.orders"]
    assert result.edges == [("raw.orders", "mart.orders")]


def test_snowflake_swap_with() -> None:
    sql = """
    CREATE OR REPLACE TABLE mart.revenue_staging AS SELECT * FROM raw.payments;
    ALTER TABLE mart.revenue_staging SWAP WITH mart.revenue;
    DROP TABLE mart.revenue_staging;
    """
    result = analyze_sql(sql, "snowflake")
    assert result.reads == ["raw.payments"] and result.writes == ["mart.revenue"]
    assert result.edges == [("raw.payments", "mart.revenue")]


def test_swap_alone_reads_the_other_side() -> None:
    result = analyze_sql("ALTER TABLE tab1 SWAP WITH tab2", "snowflake")
    assert result.reads == ["tab2"] and result.writes == ["tab1"]


def test_created_then_dropped_is_intermediate() -> None:
    sql = "CREATE TABLE scratch AS SELECT * FROM a; INSERT INTO b SELECT * FROM scratch; DROP TABLE scratch"
    result = analyze_sql(sql, "postgres")
    assert result.reads == ["a"] and result.writes == ["b"] and result.edges == [("a", "b")]


def test_dropped_before_created_is_kept() -> None:
    result = analyze_sql("DROP TABLE IF EXISTS t; CREATE TABLE t AS SELECT * FROM s", "postgres")
    assert result.reads == ["s"] and result.writes == ["t"]


def test_persistent_table_built_and_reused_is_written_not_read() -> None:
    result = analyze_sql("CREATE TABLE a AS SELECT * FROM x; CREATE TABLE b AS SELECT * FROM a", "postgres")
    assert result.reads == ["x"] and sorted(result.writes) == ["a", "b"]
    assert sorted(result.edges) == [("a", "b"), ("x", "a")]


def test_delete_then_insert_reload() -> None:
    sql = "DELETE FROM mart.daily WHERE day = '2024-01-01'; INSERT INTO mart.daily SELECT * FROM raw.events"
    result = analyze_sql(sql, "postgres")
    assert result.reads == ["raw.events"] and result.writes == ["mart.daily"]


def test_cte_per_statement_does_not_leak() -> None:
    sql = "WITH x AS (SELECT 1) INSERT INTO a SELECT * FROM x; INSERT INTO b SELECT * FROM x"
    result = analyze_sql(sql, "postgres")
    assert result.reads == ["x"]  # the second statement reads a real table named x


def test_tsql_statements_without_semicolons() -> None:
    result = analyze_sql("insert into tab1 select * from foo\ninsert into tab2 select * from bar", "tsql")
    assert sorted(result.writes) == ["tab1", "tab2"] and sorted(result.edges) == [("bar", "tab2"), ("foo", "tab1")]


def test_statement_lines_are_reported() -> None:
    result = analyze_sql("SELECT 1;\n\nINSERT INTO t SELECT * FROM s;", "postgres")
    assert [s.line for s in result.statements] == [1, 3]
