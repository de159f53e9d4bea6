"""The tokenizer and parser are reused per dialect and thread; a failed parse leaves nothing behind for the next."""

from __future__ import annotations

import signal
import threading

from overlay.lineage import analyze_sql
from overlay.lineage.split import _tokenizer_and_parser, get_dialect


def test_one_tokenizer_and_parser_per_dialect_and_thread() -> None:
    postgres = get_dialect("postgres")
    first = _tokenizer_and_parser(postgres)
    assert _tokenizer_and_parser(postgres) == first
    assert _tokenizer_and_parser(get_dialect("snowflake"))[1] is not first[1]
    other: list = []
    thread = threading.Thread(target=lambda: other.extend(_tokenizer_and_parser(postgres)))
    thread.start()
    thread.join()
    assert other[0] is not first[0] and other[1] is not first[1]


def test_a_statement_after_one_that_does_not_parse_is_read_alone() -> None:
    broken = analyze_sql("INSERT INTO mart.a SELECT FROM WHERE ((", dialect="postgres")
    assert broken.errors and "mart.a" not in broken.writes
    after = analyze_sql("INSERT INTO mart.b SELECT id FROM raw.c", dialect="postgres")
    assert (after.reads, after.writes, after.errors) == (["raw.c"], ["mart.b"], [])


def test_a_scanned_file_puts_the_alarm_handler_back(tmp_path) -> None:  # noqa: ANN001
    from overlay.scan import scan_folders

    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "d.py").write_text("from airflow import DAG\nfrom airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n"
                               "with DAG('d') as dag:\n"
                               "    SQLExecuteQueryOperator(task_id='t', conn_id='wh', sql='INSERT INTO mart.x SELECT * FROM raw.y')\n")
    before = signal.getsignal(signal.SIGALRM)
    result = scan_folders([str(dags)], mode="static", workers=1)
    assert [t.writes for t in result.tasks] == [["wh:mart.x"]]
    assert signal.getsignal(signal.SIGALRM) is before and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
