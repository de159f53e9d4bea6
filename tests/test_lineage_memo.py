"""A SQL text repeated in one scan is analysed once; every task still gets its own result."""

from __future__ import annotations

from pathlib import Path

from overlay.lineage import memo as memo_module
from overlay.lineage.memo import LineageMemo
from overlay.scan import scan_folders

HEADER = "from airflow import DAG\nfrom airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n"
SQL = "INSERT INTO mart.daily (id, total) SELECT id, SUM(n) FROM raw.events GROUP BY id"


def test_a_repeated_text_is_parsed_once(monkeypatch) -> None:  # noqa: ANN001
    calls = []
    real = memo_module.analyze_sql
    monkeypatch.setattr(memo_module, "analyze_sql", lambda sql, **kw: calls.append(sql) or real(sql, **kw))
    memo = LineageMemo()
    first = memo.analyze(SQL, "postgres")
    assert memo.analyze(SQL, "postgres") is first and memo.hits == 1
    assert memo.analyze(SQL, "snowflake") is not first and memo.analyze(SQL, "postgres", default_schema="s") is not first
    assert len(calls) == 3


def test_memo_empties_itself_past_its_bound(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(memo_module, "MAX_ENTRIES", 2)
    memo = LineageMemo()
    for i in range(5):
        memo.analyze(f"SELECT * FROM t{i}", "postgres")
    assert len(memo._seen) <= 2
    long_text = "SELECT 1 " + " " * memo_module.MAX_TEXT
    memo.analyze(long_text, "postgres")
    assert all(key[0] != long_text for key in memo._seen)


def test_tasks_sharing_a_text_get_equal_results_not_shared_lists(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    for i in range(2):
        (dags / f"d{i}.py").write_text(HEADER + f"with DAG('d{i}') as dag:\n"
                                       f"    SQLExecuteQueryOperator(task_id='t', conn_id='wh', sql={SQL!r})\n")
    result = scan_folders([str(dags)], mode="static", workers=1)
    a, b = result.tasks
    assert (a.reads, a.writes, a.columns) == (b.reads, b.writes, b.columns) == (["wh:raw.events"], ["wh:mart.daily"],
                                                                                 {"wh:mart.daily": ["id", "total"]})
    assert a.columns["wh:mart.daily"] is not b.columns["wh:mart.daily"]
