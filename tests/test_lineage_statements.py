"""Every statement kind and dialect the lineage engine supports, one case each.

Each case: (dialect, sql, expected reads, expected writes). Names are compared exactly, so a
change in qualification, case rules or temp-table handling fails here.
"""

from __future__ import annotations

import pytest

from overlay.lineage import analyze_sql

CASES = [
    # plain reads
    ("postgres", "SELECT * FROM raw.users u JOIN raw.plays p ON p.user_id = u.id", ["raw.users", "raw.plays"], []),
    ("postgres", "SELECT * FROM a WHERE id IN (SELECT id FROM b) AND EXISTS (SELECT 1 FROM c)", ["a", "b", "c"], []),
    ("postgres", "SELECT (SELECT max(x) FROM s) AS m FROM t", ["s", "t"], []),
    # INSERT family
    ("postgres", "INSERT INTO mart.x (a, b) SELECT a, b FROM raw.y", ["raw.y"], ["mart.x"]),
    ("postgres", "INSERT INTO t VALUES (1, 2)", [], ["t"]),
    ("hive", "INSERT OVERWRITE TABLE t PARTITION (dt='2024-01-01') SELECT * FROM s", ["s"], ["t"]),
    ("spark", "INSERT INTO TABLE t SELECT * FROM s", ["s"], ["t"]),
    ("snowflake", "INSERT ALL INTO t1 VALUES (a) INTO t2 VALUES (b) SELECT a, b FROM src", ["src"], ["t1", "t2"]),
    ("snowflake", "INSERT OVERWRITE INTO t SELECT * FROM s", ["s"], ["t"]),
    ("mysql", "REPLACE INTO t SELECT * FROM s", ["s"], ["t"]),
    ("postgres", "INSERT INTO t SELECT * FROM s ON CONFLICT (id) DO NOTHING", ["s"], ["t"]),
    # UPDATE / DELETE / MERGE / TRUNCATE: targets are written, not read
    ("postgres", "UPDATE t SET a = 1 WHERE b = 2", [], ["t"]),
    ("postgres", "UPDATE t SET a = s.a FROM s WHERE t.id = s.id", ["s"], ["t"]),
    ("mysql", "UPDATE t1 a INNER JOIN t2 b ON a.id = b.id SET a.x = b.x", ["t2"], ["t1"]),
    ("tsql", "UPDATE sr SET sr.name = 'x' FROM prod.scrap AS sr JOIN prod.work AS wo ON sr.id = wo.id", ["prod.work"], ["prod.scrap"]),
    ("postgres", "DELETE FROM t WHERE id < 10", [], ["t"]),
    ("postgres", "DELETE FROM t USING s WHERE t.id = s.id", ["s"], ["t"]),
    ("tsql", "DELETE a FROM t1 a JOIN t2 b ON a.id = b.id", ["t2"], ["t1"]),
    ("postgres", "MERGE INTO tgt t USING src s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v", ["src"], ["tgt"]),
    ("bigquery", "MERGE ds.tgt t USING (SELECT * FROM ds.src) s ON t.id = s.id WHEN NOT MATCHED THEN INSERT ROW", ["ds.src"], ["ds.tgt"]),
    ("postgres", "TRUNCATE TABLE a, b", [], ["a", "b"]),
    # CREATE family
    ("postgres", "CREATE TABLE t AS SELECT * FROM s", ["s"], ["t"]),
    ("spark", "CREATE TABLE t USING parquet AS SELECT * FROM s", ["s"], ["t"]),
    ("postgres", "CREATE TABLE t (id INT, name TEXT)", [], ["t"]),
    ("postgres", "CREATE VIEW v AS SELECT * FROM s", ["s"], ["v"]),
    ("postgres", "CREATE MATERIALIZED VIEW mv AS SELECT * FROM s", ["s"], ["mv"]),
    ("postgres", "REFRESH MATERIALIZED VIEW CONCURRENTLY mart.mv", [], ["mart.mv"]),
    ("snowflake", "ALTER DYNAMIC TABLE mart.dt REFRESH", [], ["mart.dt"]),
    ("snowflake", "CREATE OR REPLACE TABLE t2 CLONE t1", ["t1"], ["t2"]),
    ("postgres", "CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql", [], []),
    ("postgres", "CREATE INDEX idx ON t (a)", [], []),
    # SELECT INTO
    ("postgres", "SELECT * INTO new_t FROM s", ["s"], ["new_t"]),
    ("tsql", "SELECT * INTO dbo.new_t FROM dbo.s", ["dbo.s"], ["dbo.new_t"]),
    # COPY / UNLOAD: stages and URIs are locations, never tables
    ("snowflake", "COPY INTO raw.events FROM @raw_stage/events/ FILE_FORMAT = (TYPE = JSON)", [], ["raw.events"]),
    ("snowflake", "COPY INTO @export_stage/x FROM (SELECT * FROM mart.x)", ["mart.x"], []),
    ("snowflake", "COPY INTO @export_stage/x FROM mart.x", ["mart.x"], []),
    ("postgres", "COPY t FROM 's3://bucket/path'", [], ["t"]),
    ("postgres", "COPY (SELECT * FROM s) TO '/tmp/out.csv'", ["s"], []),
    ("postgres", "COPY t TO STDOUT", ["t"], []),
    ("redshift", "UNLOAD ('select * from venue where city = ''x''') TO 's3://b/unload/' IAM_ROLE 'arn:aws:iam::1:role/r'", ["venue"], []),
    ("spark", "INSERT OVERWRITE DIRECTORY 'hdfs://x/y' SELECT * FROM tab1", ["tab1"], []),
    ("spark", "SELECT * FROM parquet.`s3://bucket/data`", [], []),
    # things that are not assets
    ("postgres", "SELECT * FROM generate_series(1, 10) g", [], []),
    ("postgres", "SELECT * FROM information_schema.tables", [], []),
    ("postgres", "SELECT * FROM pg_catalog.pg_class", [], []),
    ("duckdb", "SELECT * FROM read_csv('x.csv')", [], []),
    ("bigquery", "SELECT x FROM ds.t, UNNEST(t.arr) AS x", ["ds.t"], []),
    ("postgres", "INSERT INTO t SELECT * FROM (VALUES (1), (2)) AS v(x)", [], ["t"]),
    # statements without lineage
    ("postgres", "DROP TABLE IF EXISTS t", [], []),
    ("postgres", "USE db1", [], []),
    ("postgres", "ANALYZE t", [], []),
    ("spark", "REFRESH TABLE t", [], []),
    ("postgres", "GRANT SELECT ON t TO role_x", [], []),
    # names: quoting, BigQuery backticks and partitions
    ("postgres", 'SELECT * FROM "Raw"."Users"', ['Raw.Users'], []),
    ("snowflake", 'SELECT * FROM "Analytics".PUBLIC.Orders', ['Analytics.public.orders'], []),
    ("mysql", "SELECT * FROM `Shop`.`Orders`", ["shop.orders"], []),
    ("bigquery", "SELECT * FROM `tempo-analytics.marts.plays`", ["tempo-analytics.marts.plays"], []),
    ("bigquery", "SELECT * FROM `proj.ds.events$20240101`", ["proj.ds.events"], []),
    ("tsql", "SELECT * FROM [dbo].[Orders]", ["dbo.orders"], []),
    # procedures moving partitions
    ("vertica", "SELECT swap_partitions_between_tables('staging', 'a', 'b', 'target')", ["staging"], ["target"]),
    ("hive", "ALTER TABLE tab1 EXCHANGE PARTITION (pt='p1') WITH TABLE tab2", ["tab2"], ["tab1"]),
]


@pytest.mark.parametrize(("dialect", "sql", "reads", "writes"), CASES, ids=[f"{c[0]}:{c[1][:40]}" for c in CASES])
def test_statement_kinds(dialect: str, sql: str, reads: list[str], writes: list[str]) -> None:
    result = analyze_sql(sql, dialect=dialect)
    assert result.errors == []
    assert sorted(result.reads) == sorted(reads)
    assert sorted(result.writes) == sorted(writes)


def test_default_database_and_schema_qualify_names() -> None:
    result = analyze_sql("INSERT INTO mart.x SELECT * FROM y JOIN c.d.z USING (id)", "snowflake", default_db="ANALYTICS", default_schema="PUBLIC")
    assert result.writes == ["analytics.mart.x"]
    assert sorted(result.reads) == ["analytics.public.y", "c.d.z"]


def test_bigquery_default_project_and_dataset() -> None:
    result = analyze_sql("SELECT * FROM events JOIN ds2.users USING (id)", "bigquery", default_db="proj", default_schema="ds")
    assert sorted(result.reads) == ["proj.ds.events", "proj.ds2.users"]


def test_cte_names_are_not_tables_but_a_cte_shadowing_its_own_source_is() -> None:
    result = analyze_sql("WITH orders AS (SELECT * FROM orders WHERE ok) SELECT * FROM orders", "postgres")
    assert result.reads == ["orders"]
    result = analyze_sql("WITH a AS (SELECT * FROM src), b AS (SELECT * FROM a) INSERT INTO t SELECT * FROM b", "postgres")
    assert result.reads == ["src"] and result.writes == ["t"]


def test_recursive_cte_is_not_a_table() -> None:
    sql = "WITH RECURSIVE tree AS (SELECT id FROM nodes UNION ALL SELECT n.id FROM nodes n JOIN tree t ON n.parent = t.id) SELECT * FROM tree"
    assert analyze_sql(sql, "postgres").reads == ["nodes"]


def test_dml_inside_a_cte_writes_its_target() -> None:
    sql = "WITH moved AS (DELETE FROM queue WHERE done RETURNING *) INSERT INTO archive SELECT * FROM moved"
    result = analyze_sql(sql, "postgres")
    assert sorted(result.writes) == ["archive", "queue"]


def test_columns_defined_by_the_sql() -> None:
    result = analyze_sql("CREATE TABLE mart.x AS SELECT user_id, SUM(amount) AS revenue, 1 FROM raw.p GROUP BY 1", "postgres")
    assert result.columns == {"mart.x": ["user_id", "revenue"]}
    result = analyze_sql("CREATE TABLE t (id INT, name TEXT)", "postgres")
    assert result.columns == {"t": ["id", "name"]}


@pytest.mark.parametrize("sql", [
    "SELECT min_value, max_value INTO @min_age, @max_age FROM limits WHERE category = 'age' LIMIT 1",
    "SELECT count(*) FROM limits INTO @n",
    "SELECT a INTO @x FROM limits",
])
def test_mysql_session_variable_targets_are_not_tables(sql: str) -> None:
    """`SELECT ... INTO @a, @b`: MySQL stores values in session variables; the statement reads its tables only."""
    script = f"SET @uuid = 'x';\n{sql};\nUPDATE staging.calving SET status = 0 WHERE age < @min_age"
    result = analyze_sql(script, dialect="mysql")
    assert (result.reads, result.writes, result.errors) == (["limits"], ["staging.calving"], [])


@pytest.mark.parametrize("dialect", [None, "oracle", "mysql"])
def test_dual_is_one_row_not_a_table(dialect: str | None) -> None:
    result = analyze_sql("SELECT 1 FROM DUAL; INSERT INTO audit.checks SELECT sysdate FROM dual", dialect=dialect)
    assert (result.reads, result.writes) == ([], ["audit.checks"])


def test_redshift_column_attributes_do_not_hide_the_table() -> None:
    """`ts bigint sortkey`, `id varchar distkey encode zstd` (Redshift's layout attributes, which sqlglot does not
    parse in a column list) left the CREATE TABLE unparsed; a column named like one still is a column."""
    sql = ("CREATE TABLE public.songplays (songplay_id int identity(0, 1) PRIMARY KEY, start_time timestamp sortkey,"
           " song_id varchar(32) distkey encode zstd, sortkey_day int) diststyle even;")
    result = analyze_sql(sql, dialect="redshift")
    assert (result.writes, result.errors) == (["public.songplays"], [])
    assert result.columns["public.songplays"] == ["songplay_id", "start_time", "song_id", "sortkey_day"]
