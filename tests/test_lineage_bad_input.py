"""Bad input: a clear error per statement, a partial result for the rest, never an exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overlay.lineage import analyze_sql
from overlay.lineage.split import MAX_SQL_CHARS

SQL_WORDS = st.sampled_from(
    ["SELECT", "FROM", "INSERT", "INTO", "WITH", "AS", "(", ")", ";", "t", "s.x", "'a'", "JOIN", "ON", "=",
     "MERGE", "USING", "WHEN", "MATCHED", "THEN", "UPDATE", "SET", "DELETE", "CREATE", "TABLE", "VIEW",
     "DROP", "ALTER", "RENAME", "TO", "SWAP", "COPY", "@stage", "`p.d.t`", '"Q"', "#tmp", "{{ ds }}", "--", "/*"]
)


def test_unparseable_statement_is_reported_and_the_rest_analysed() -> None:
    result = analyze_sql("INSERT INTO a SELECT * FROM b;\nSELECT FROM WHERE;\nINSERT INTO c SELECT * FROM d", "postgres")
    assert sorted(result.writes) == ["a", "c"]
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.statement == 1 and error.line == 2
    assert "statement 2 (line 2)" in str(error)
    assert result.statements[1].kind == "unparsed"


def test_unterminated_string_is_an_error_not_an_exception() -> None:
    result = analyze_sql("SELECT 'oops FROM t", "postgres")
    assert result.errors and "tokenize" in result.errors[0].message


def test_unknown_dialect_parses_generically() -> None:
    result = analyze_sql("INSERT INTO a SELECT * FROM b", "no-such-dialect")
    assert result.reads == ["b"] and result.writes == ["a"]


def test_oversized_input_is_refused_quickly() -> None:
    result = analyze_sql("SELECT 1 FROM t;" * (MAX_SQL_CHARS // 10), "postgres")
    assert result.errors and "too long" in result.errors[0].message


def test_deep_nesting_is_bounded() -> None:
    sql = "SELECT " + "(" * 3000 + "1" + ")" * 3000 + " FROM t"
    result = analyze_sql(sql, "postgres")
    assert isinstance(result.errors, list)  # either analysed or reported, never raised


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200), st.sampled_from([None, "postgres", "snowflake", "bigquery", "tsql", "mysql", "spark"]))
def test_never_raises_on_any_text(sql: str, dialect: str | None) -> None:
    result = analyze_sql(sql, dialect)
    assert isinstance(result.reads, list) and isinstance(result.writes, list)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SQL_WORDS, max_size=40), st.sampled_from([None, "postgres", "snowflake", "bigquery", "tsql", "hive"]))
def test_never_raises_on_sql_like_token_soup(words: list[str], dialect: str | None) -> None:
    result = analyze_sql(" ".join(words), dialect)
    for stmt in result.statements:
        assert stmt.error is None or stmt.kind == "unparsed"
