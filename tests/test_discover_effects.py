"""The effect analysis of repository operator classes (issue 9): what their code reaches, read without running it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from overlay.discover import discover_folder
from overlay.discover.static import effects as effects_module
from overlay.discover.static.effect_rules import rule_for
from overlay.scan import scan_folders

FOLDER = Path(__file__).parent / "fixtures" / "real_patterns" / "effects"
DECLARE = "declare what it reads and writes under `operators:` in overlay.yaml"


@pytest.fixture(scope="module")
def tasks() -> dict[str, object]:
    result = scan_folders([str(FOLDER / "dags")], mode="static", workers=1)
    return {f"{t.dag_id}.{t.task_id}": t for t in result.tasks}


NO_TABLE = {
    "transfers.move": "GCSHook, json, gzip, pendulum; template_fields do not matter",
    "transfers.api_pages": "a repository hook over HttpHook, GCSHook, a helper imported inside execute",
    "transfers.digest": "helpers that import each other; only the functions it calls are read (not audit)",
    "transfers.list_objects": "boto3.client('s3')",
    "transfers.given_announce": "a callable it is given that only prints",
    "transfers.move_named": "strings built from names whose code is not read (f-string, +, .format)",
    "moves.archive_files": "named by a gusty task file",
}


@pytest.mark.parametrize("task_id", sorted(NO_TABLE))
def test_classes_whose_code_reaches_no_table_touch_no_data(tasks: dict[str, object], task_id: str) -> None:
    task = tasks[task_id]
    assert (task.status, task.operator, task.errors) == ("no_data", "BaseOperator", []), NO_TABLE[task_id]


TABLE = {
    # task: (what, through, where its line is, own code or code it calls)
    "transfers.sync": ("runs SQL through", "BigQueryHook", "plugins/helpers/loader.py:11", "in code it calls"),
    "moves.load_stops": ("runs SQL through", "BigQueryHook", "plugins/helpers/loader.py:11", "in code it calls"),
    "transfers.audited_digest": ("runs SQL through", "PostgresHook", "plugins/helpers/checks.py:19", "in code it calls"),
    "transfers.count": ("runs SQL through", "bigquery.Client", "plugins/helpers/warehouse.py:5", "in code it calls"),
    "transfers.lake_query": ("runs SQL through", "boto3.client", "plugins/operators/edge_cases.py:40", "in its own code"),
    "transfers.shell": ("runs a command through", "subprocess.run", "plugins/operators/edge_cases.py:45", "in its own code"),
}


@pytest.mark.parametrize("task_id", sorted(TABLE))
def test_classes_reaching_tables_or_commands_stay_unresolved_and_say_through_what(tasks: dict[str, object],
                                                                                  task_id: str) -> None:
    task = tasks[task_id]
    what, through, where, place = TABLE[task_id]
    name = task.operator
    assert task.status == "unresolved" and not task.reads and not task.writes
    assert len(task.errors) == 1
    head, _, tail = task.errors[0].partition(" (")
    assert head == f"unknown operator {name}: {what} {through} {place}"
    assert tail.endswith(f"{where}); {DECLARE}"), task.errors[0]


def test_classes_whose_own_execute_names_its_tables_are_read_by_it(tasks: dict[str, object]) -> None:
    """The effect analysis says such a class reaches a table; its execute, read as a callable is, says which."""
    local = tasks["transfers.local_import"]  # a client imported inside execute, given literal SQL
    assert (local.status, local.reads, local.writes) == ("resolved", [], ["bigquery:mart.old"])
    frame = tasks["transfers.frame"]  # `to_sql` through a connection the context gives at run time: no table guessed
    assert (frame.status, frame.writes) == ("unresolved", [])
    assert any("to_sql" in e and "edge_cases.py:29" in e for e in frame.errors)
    assert tasks["transfers.any_hook"].status == "no_data"  # `SELECT 1` through a hook of any kind reads no table


@pytest.mark.parametrize("task_id", ["transfers.mystery", "transfers.no_execute",
                                     "transfers.given_hook", "transfers.given_purge", "transfers.remote_query"])
def test_what_is_not_known_keeps_the_unknown_operator_answer(tasks: dict[str, object], task_id: str) -> None:
    """An unknown library, no execute to read, a hook object or a callable that
    writes rows given by the DAG, SQL it posts to an HTTP API: the class is not known."""
    task = tasks[task_id]
    assert task.status == "unresolved"
    assert task.errors == [f"unknown operator {task.operator}: data access not known"]


def test_a_no_table_class_given_sql_is_not_read_as_touching_no_table(tasks: dict[str, object]) -> None:
    given_sql = tasks["transfers.given_sql"]  # the class whose code only calls what it is given, and an argument `sql`
    assert given_sql.status != "no_data" and given_sql.operator == "CallableRunnerOperator"


def test_modules_only_the_analysis_reads_are_inputs_of_the_file(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FOLDER, root)
    (root / ".git").mkdir()
    found = {Path(f.path).name: f for f in discover_folder(str(root / "dags"), mode="static")}
    jsonl = str((root / "plugins" / "helpers" / "jsonl.py").resolve())  # imported inside ApiToGcsOperator.execute only
    assert jsonl in found["transfers.py"].inputs
    assert str((root / "plugins" / "helpers" / "loader.py").resolve()) in found["METADATA.yml"].inputs


def test_each_class_is_read_once_per_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FOLDER / "plugins", root / "plugins")
    (root / ".git").mkdir()
    (root / "dags").mkdir()
    for n in range(3):
        calls = "\n".join(f'    GcsMoveOperator(task_id="move_{n}_{i}", source_bucket="a", target_bucket="b")' for i in range(20))
        (root / "dags" / f"d{n}.py").write_text(
            f'from airflow import DAG\nfrom operators.gcs_move import GcsMoveOperator\n\nwith DAG("d{n}") as dag:\n{calls}\n')
    runs: list[int] = []
    original = effects_module.EffectAnalysis.closure

    def counted(self: effects_module.EffectAnalysis, start: list) -> effects_module.Effect:
        runs.append(1)
        return original(self, start)

    monkeypatch.setattr(effects_module.EffectAnalysis, "closure", counted)
    result = scan_folders([str(root / "dags")], mode="static", workers=1)
    assert len(result.tasks) == 60 and {t.status for t in result.tasks} == {"no_data"}
    assert len(runs) == 1


def test_the_walk_is_bounded(tmp_path: Path) -> None:
    """A chain of more helper functions than the analysis follows: not known, and the scan still finishes."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "plugins").mkdir()
    chain = "\n\n".join(f"def step_{i}():\n    return step_{i + 1}()" for i in range(400))
    (tmp_path / "plugins" / "deep.py").write_text(
        f"from airflow.models import BaseOperator\n\n{chain}\n\ndef step_400():\n    return 1\n\n\n"
        "class DeepOperator(BaseOperator):\n    def execute(self, context):\n        return step_0()\n")
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "d.py").write_text(
        'from airflow import DAG\nfrom deep import DeepOperator\n\nwith DAG("d") as dag:\n    DeepOperator(task_id="deep")\n')
    task = scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks[0]
    assert task.status == "unresolved" and task.errors == ["unknown operator DeepOperator: data access not known"]


@pytest.mark.parametrize("name, kind", [
    ("os.path.join", "none"), ("os.system", "command"), ("subprocess.run", "command"), ("sqlite3.connect", "table"),
    ("pandas.DataFrame", "none"), ("pandas.read_sql", "table"), ("google.cloud.storage.Client", "none"),
    ("google.cloud.bigquery.Client", "table"), ("airflow.providers.google.cloud.hooks.gcs.GCSHook", "none"),
    ("airflow.providers.google.cloud.hooks.bigquery.BigQueryHook", "table"), ("builtins.open", "none"),
    ("builtins.eval", "command"), ("requests.post", "none"), ("sqlalchemy.create_engine", "table"),
    ("airflow.providers.google.cloud.hooks.compute_ssh.ComputeEngineSSHHook", "command"),
    ("google.cloud.bigquery.SourceFormat.NEWLINE_DELIMITED_JSON", "none"), ("google.cloud.bigquery.LoadJobConfig", "none"),
    ("airflow.operators.email.EmailOperator", "none"), ("loguru.logger", "none"),
])
def test_rules_longest_prefix_wins(name: str, kind: str) -> None:
    rule = rule_for(name)
    assert rule is not None and rule.kind == kind


def test_a_library_without_a_rule_is_not_known() -> None:
    assert rule_for("fancylib.sync") is None and rule_for("boto3.session.Session") is None


def test_exceptions_raised_or_caught_are_not_data_access(tmp_path: Path) -> None:
    """`except NotFoundError:` and `raise RetryAfter(...)` name a library's exception classes: matching or making one
    touches no table, so a class whose code only moves files and handles errors touches no data. A call inside the
    raise (its message built by a function no rule knows) still counts."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "moves.py").write_text(
        "import json\nfrom airflow.models import BaseOperator\nfrom searchlib import NotFoundError, errors\n"
        "from fancylib import describe\n\n"
        "class CopyOperator(BaseOperator):\n    def execute(self, context):\n        try:\n            json.dumps({})\n"
        "        except NotFoundError:\n            raise errors.RetryAfter(5)\n        except (KeyError, errors.Timeout) as e:\n"
        "            raise ValueError('bad') from e\n\n"
        "class ExplainOperator(BaseOperator):\n    def execute(self, context):\n        raise errors.ConfigError(describe(self))\n")
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "d.py").write_text('from airflow import DAG\nfrom moves import CopyOperator, ExplainOperator\n\n'
                                            'with DAG("d") as dag:\n    CopyOperator(task_id="copy")\n'
                                            '    ExplainOperator(task_id="explain")\n')
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks}
    assert (tasks["copy"].status, tasks["copy"].errors) == ("no_data", [])
    assert tasks["explain"].status == "unresolved" and "ExplainOperator" in tasks["explain"].errors[0]
