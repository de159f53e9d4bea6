"""Files read by a process pool give the same scan, in the same order, as one process."""

from __future__ import annotations

import json
from pathlib import Path

from overlay.scan import scan_folders

HEADER = ("from airflow import DAG\nfrom airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n"
          "from helpers.naming import target\n")


def _folder(tmp_path: Path, files: int) -> Path:
    dags = tmp_path / "dags"
    (dags / "helpers").mkdir(parents=True)
    (dags / "helpers" / "__init__.py").write_text("")
    (dags / "helpers" / "naming.py").write_text("def target(i):\n    return f'mart.t_{i}'\n")
    for i in range(files):
        body = (f"with DAG('d{i:03d}') as dag:\n"
                f"    a = SQLExecuteQueryOperator(task_id='a', conn_id='wh', sql=f'INSERT INTO {{target({i})}} SELECT * FROM raw.s_{i}')\n"
                f"    b = SQLExecuteQueryOperator(task_id='b', conn_id='wh', sql='SELECT * FROM mart.t_{(i + 1) % files}')\n"
                "    a >> b\n")
        (dags / f"f{i:03d}.py").write_text(HEADER + body + ("X = 'x' * 10_000_000_000\n" if i % 7 == 0 else ""))
    return dags


def _comparable(result) -> str:  # noqa: ANN001
    return json.dumps(result.to_dict(), sort_keys=True, default=str)


def test_pool_gives_the_serial_result_in_file_order(tmp_path: Path) -> None:
    dags = _folder(tmp_path, 40)
    serial = scan_folders([str(dags)], mode="static", workers=1)
    pooled = scan_folders([str(dags)], mode="static", workers=2)
    assert [f.path for f in pooled.files] == sorted(str(p) for p in dags.glob("f*.py"))
    assert _comparable(pooled) == _comparable(serial)
    assert len(serial.tasks) == 80 and sum("repetition" in e.error for e in serial.errors) == 6
    load = next(t for t in pooled.tasks if t.dag_id == "d005" and t.task_id == "a")
    assert [k.split(":", 1)[1] for k in load.writes] == ["mart.t_5"]
    assert any(dep.endswith("helpers/naming.py") for dep in pooled.files[5].payload["deps"])


def test_cached_payload_is_of_what_a_file_keeps_after_duplicate_dag_ids(tmp_path: Path) -> None:
    """A worker makes each file's cache payload; a DAG id defined in an earlier file too is dropped, and from the payload."""
    dags = _folder(tmp_path, 20)
    (dags / "f019.py").write_text((dags / "f019.py").read_text().replace("'d019'", "'d003'"))
    for workers in (1, 2):
        result = scan_folders([str(dags)], mode="static", workers=workers)
        record = result.files[19]
        assert record.dag_ids == [] and record.payload["dags"] == [] and record.payload["tasks"] == []
        assert any("'d003' is already defined" in e.error for e in result.errors)
        assert sum(t.dag_id == "d003" for t in result.tasks) == 2


def test_collector_tuning_is_undone_after_a_scan() -> None:
    import gc

    from overlay import collector

    gc.unfreeze()  # nothing frozen before (a server freezes at start; then a scan leaves that as it is)
    threshold = gc.get_threshold()
    with collector.frozen():
        assert gc.get_threshold()[0] == collector.YOUNG_THRESHOLD and gc.get_freeze_count() > 0
        collector.freeze()
    assert gc.get_threshold() == threshold and gc.get_freeze_count() == 0
