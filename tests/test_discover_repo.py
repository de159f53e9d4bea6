"""Static mode follows the repository's own modules (issue 9 §1, §2): helpers, plugins/, include/, custom operators."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from overlay.discover import discover_folder
from overlay.scan import scan_folders

FIXTURE = Path(__file__).parent / "fixtures" / "discover" / "helpers_repo"


def _tasks(folder: Path) -> dict[str, object]:
    found = [f for f in discover_folder(folder, mode="static") if f.dags]
    return {t.task_id: t for f in found for d in f.dags for t in d.tasks}


def _copy(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE, repo)
    (repo / ".git").mkdir()
    return repo


def test_helpers_plugins_and_include_are_followed() -> None:
    found = discover_folder(FIXTURE / "dags", mode="static")
    dag = found[0].dags[0]
    assert dag.dag_id == "shop_daily" and dag.user_defined_macros == {"env": "prod", "region": "eu"}
    tasks = {t.task_id: t for t in dag.tasks}
    assert list(tasks) == ["load_orders", "daily_revenue", "refresh", "strict", "audit", "report"]
    load = tasks["load_orders"]
    assert load.operator == "SQLExecuteQueryOperator" and load.args["sql"] == "INSERT INTO mart.orders SELECT * FROM raw.orders"
    assert load.args["conn_id"] == "warehouse" and load.args["retries"] == 2 and load.line == 11  # the line in the DAG file
    pod = tasks["daily_revenue"]
    assert pod.operator == "KubernetesPodOperator" and pod.args["arguments"] == [
        "query", "--destination_table=shop-prod:finance.daily_revenue", "--parameter=day:DATE:{{ ds }}",
        "sql/shop-prod/finance/daily_revenue/query.sql"]
    assert pod.upstream == ["load_orders"] and sorted(tasks["audit"].upstream) == ["daily_revenue"]
    modules = {Path(p).relative_to(FIXTURE).as_posix() for p in found[0].inputs}
    assert {"utils/sqlops.py", "utils/naming.py", "utils/pods.py", "plugins/operators/custom.py", "include/settings.py",
            "dags/common/names.py"} <= modules


def test_custom_operators_inherit_their_base_rule_and_template_fields() -> None:
    tasks = _tasks(FIXTURE / "dags")
    assert (tasks["refresh"].operator, tasks["refresh"].operator_class) == ("SQLExecuteQueryOperator", "WarehouseOperator")
    assert (tasks["strict"].operator, tasks["strict"].template_fields) == ("SQLExecuteQueryOperator", ["sql", "parameters"])
    assert (tasks["audit"].operator, tasks["audit"].template_fields) == ("AuditOperator", ["sql"])
    report = tasks["report"]  # __init__ stores `query` as self.sql and `target_conn` (a default) as self.conn_id
    assert report.args["sql"] == "INSERT INTO mart.report SELECT * FROM mart.orders" and report.args["conn_id"] == "reporting"


def test_the_helpers_sql_becomes_tables(tmp_path: Path) -> None:
    result = scan_folders([str(FIXTURE / "dags")], mode="static")
    tasks = {t.task_id: t for t in result.tasks}
    assert [k.split(":", 1)[1] for k in tasks["load_orders"].writes] == ["mart.orders"]
    assert [k.split(":", 1)[1] for k in tasks["load_orders"].reads] == ["raw.orders"]
    assert [k.split(":", 1)[1] for k in tasks["refresh"].writes] == ["mart.stale_orders"]
    assert [k.split(":", 1)[1] for k in tasks["audit"].reads] == ["mart.orders"]
    assert [k.split(":", 1)[1] for k in tasks["audit"].writes] == ["mart.audit"]
    assert [k.split(":", 1)[1] for k in tasks["report"].writes] == ["mart.report"]


def test_a_changed_module_re_reads_the_files_that_import_it(tmp_path: Path) -> None:
    repo = _copy(tmp_path)
    first = scan_folders([str(repo / "dags")], mode="static")
    cache = {f.path: {**f.payload, "digest": f.payload_digest} for f in first.files}
    again = scan_folders([str(repo / "dags")], mode="static", cache=cache)
    assert [f.mode for f in again.files] == ["cached"]
    (repo / "utils" / "naming.py").write_text('SCHEMA = "analytics"\n\n\ndef table_name(table):\n    return f"{SCHEMA}.{table}"\n')
    changed = scan_folders([str(repo / "dags")], mode="static", cache=cache)
    assert [f.mode for f in changed.files] == ["static"]
    load = next(t for t in changed.tasks if t.task_id == "load_orders")
    assert [k.split(":", 1)[1] for k in load.writes] == ["analytics.orders"]


def test_import_cycles_missing_modules_and_outside_files(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "dags" / "lib").mkdir(parents=True)
    (repo / ".git").mkdir()
    outside = tmp_path / "outside.py"
    outside.write_text("SECRET = 'from_outside'\n")
    (repo / "dags" / "lib" / "__init__.py").write_text("")
    (repo / "dags" / "lib" / "a.py").write_text("from lib.b import B\nA = 'a'\nAB = A + str(B)\n")
    (repo / "dags" / "lib" / "b.py").write_text("from lib.a import A\nB = 'b'\n")
    (repo / "dags" / "lib" / "leak.py").symlink_to(outside)
    (repo / "dags" / "d.py").write_text(textwrap.dedent('''
        from airflow import DAG
        from airflow.providers.standard.operators.bash import BashOperator
        from lib.a import A, AB
        from lib.leak import SECRET
        from lib.missing import NOTHING
        with DAG("cyc") as dag:
            BashOperator(task_id=f"t_{A}", bash_command="echo")
            BashOperator(task_id="u", bash_command=AB)
            BashOperator(task_id="v", bash_command=SECRET)
    '''))
    tasks = _tasks(repo / "dags")
    assert set(tasks) == {"t_a", "u", "v"}
    assert tasks["u"].args["bash_command"] == "ab"  # b.py saw a.py half-read (a cycle), as Python would
    assert "bash_command" not in tasks["v"].args and tasks["v"].unknown_args == ["bash_command"]


def _without_git(tmp_path: Path, marker: str | None) -> Path:
    """The fixture as a checkout without .git (a source archive), its pod's query file at the repository's top."""
    repo = tmp_path / "checkout"
    shutil.copytree(FIXTURE, repo)
    if marker:
        (repo / marker).write_text("")
    query = repo / "sql" / "shop-prod" / "finance" / "daily_revenue" / "query.sql"
    query.parent.mkdir(parents=True)
    query.write_text("SELECT order_day, SUM(amount) AS revenue FROM `shop-prod.mart.orders` GROUP BY order_day\n")
    return repo


def test_a_checkout_without_git_starts_at_its_project_folder(tmp_path: Path) -> None:
    repo = _without_git(tmp_path, "pyproject.toml")
    result = scan_folders([str(repo / "dags")], mode="static")
    tasks = {t.task_id: t for t in result.tasks}
    assert tasks["load_orders"].operator == "SQLExecuteQueryOperator"  # utils/ beside dags/ was followed
    # the pod runs `bq query ... sql/shop-prod/...` from its image's folder: found at the repository's top
    pod = tasks["daily_revenue"]
    assert pod.status == "resolved", pod.errors
    assert pod.writes == ["bigquery:shop-prod.finance.daily_revenue"] and pod.reads == ["bigquery:shop-prod.mart.orders"]


def test_without_git_or_a_project_file_only_the_dag_folder_is_the_repository(tmp_path: Path) -> None:
    repo = _without_git(tmp_path, None)
    found = discover_folder(repo / "dags", mode="static")
    modules = {Path(p).relative_to(repo).as_posix() for f in found for p in f.inputs}
    assert not any(m.startswith(("utils/", "plugins/", "include/")) for m in modules), modules  # nothing above dags/ read
