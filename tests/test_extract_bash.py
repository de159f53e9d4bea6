"""Bash commands: the shell reader, database clients, SQL files, scripts, and what is not a database at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from overlay.extract import ExtractContext, extract_task
from overlay.extract.shell.clients import parse_commands
from overlay.extract.shell.words import split_script
from overlay.model import DagSpec, TaskAccess, TaskSpec

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
DAGS = FIXTURES / "dags"
DAG = DagSpec("d", str(DAGS / "etl.py"), template_searchpath=[str(DAGS / "sql")])


def _bash(command: str, operator: str = "BashOperator", arg: str = "bash_command", **args) -> TaskAccess:  # noqa: ANN003
    task = TaskSpec("d", "t", operator, DAG.file, 50, args={arg: command, **args})
    return extract_task(task, DAG, ExtractContext(dag_folders=[str(DAGS)]))


def _sql(access: TaskAccess) -> list[tuple]:
    return [(s.sql.strip(), s.dialect, s.database, s.schema) for s in access.sql]


def test_shell_reader_quotes_variables_pipes_and_redirections() -> None:
    script = (
        'set -e\nSQL="SELECT * FROM raw.a"  # a comment\nexport DB=tempo\n'
        'psql -d $DB -c "$SQL" 2>&1 | tee log && echo \'x # y\' \\\n  done\n'
        'echo "DELETE FROM b" | psql; cat f.sql | psql -h h < g.sql; psql <<< "SELECT 2"\n'
        'PGDATABASE=w psql -c "${Q:-SELECT 3}" "$UNSET"\n'
    )
    commands = split_script(script)
    assert [c.words for c in commands] == [
        ["set", "-e"], ["export", "DB=tempo"], ["psql", "-d", "tempo", "-c", "SELECT * FROM raw.a"], ["tee", "log"],
        ["echo", "x # y", "done"], ["echo", "DELETE FROM b"], ["psql"], ["cat", "f.sql"], ["psql", "-h", "h"], ["psql"],
        ["psql", "-c", "SELECT 3", "$UNSET"]]
    assert [(c.stdin_text, c.stdin_file) for c in commands[6:10]] == [("DELETE FROM b", None), (None, None), (None, "g.sql"), ("SELECT 2", None)]
    assert commands[-1].assignments == {"PGDATABASE": "w"} and commands[-1].argv[-1].unknown


def test_heredocs_quoted_and_unquoted() -> None:
    commands = split_script('T=raw.a\npsql -d x <<-EOF\n\tINSERT INTO $T SELECT 1;\n\tEOF\nbq query <<\'SQL\'\nSELECT $T\nSQL\necho end\n')
    assert [(c.words, c.stdin_text) for c in commands] == [
        (["psql", "-d", "x"], "\tINSERT INTO raw.a SELECT 1;"), (["bq", "query"], "SELECT $T"), (["echo", "end"], None)]


@pytest.mark.parametrize(("command", "expected"), [
    ('psql -h db -U etl -d tempo -c "DELETE FROM t"', [("DELETE FROM t", "postgres", "tempo", None)]),
    ("psql --dbname=tempo --command='SELECT 1'", [("SELECT 1", "postgres", "tempo", None)]),
    ('psql "postgresql://u@host:5432/tempo?sslmode=require" -c "SELECT 1"', [("SELECT 1", "postgres", "tempo", None)]),
    ('psql "dbname=tempo host=db" -X -v ON_ERROR_STOP=1 -c "SELECT 1"', [("SELECT 1", "postgres", "tempo", None)]),
    ("PGDATABASE=tempo psql <<EOF\nINSERT INTO a SELECT * FROM b;\nEOF\n", [("INSERT INTO a SELECT * FROM b;", "postgres", "tempo", None)]),
    ('echo "TRUNCATE a" | psql -d tempo', [("TRUNCATE a", "postgres", "tempo", None)]),
    ("snowsql -d ANALYTICS -s RAW -q 'TRUNCATE x'", [("TRUNCATE x", "snowflake", "ANALYTICS", "RAW")]),
    ("mysql -h h -u u -pSECRET shop -e 'SELECT 1'", [("SELECT 1", "mysql", None, "shop")]),
    ("mysql -Dshop --execute='SELECT 1'", [("SELECT 1", "mysql", None, "shop")]),
    ('sqlcmd -S srv -d dw -Q "SELECT 2"', [("SELECT 2", "tsql", "dw", None)]),
    ("trino --server s --catalog hive --schema web --execute 'SELECT 3'", [("SELECT 3", "trino", "hive", "web")]),
    ("beeline -u jdbc:hive2://h:10000 -e 'INSERT INTO t SELECT 1'", [("INSERT INTO t SELECT 1", "hive", None, None)]),
    ("spark-sql --master yarn --database logs -e 'SELECT 1'", [("SELECT 1", "spark", None, "logs")]),
    ("sqlite3 /data/app.db 'SELECT 4'", [("SELECT 4", "sqlite", None, None)]),
    ("sudo -u postgres psql -c 'SELECT 5' && env A=1 psql -c 'SELECT 6'", [("SELECT 5", "postgres", None, None), ("SELECT 6", "postgres", None, None)]),
    ("bash -c \"psql -d tempo -c 'SELECT 7'\"", [("SELECT 7", "postgres", "tempo", None)]),
    ("if true; then psql -c 'SELECT 8'; fi", [("SELECT 8", "postgres", None, None)]),
])
def test_database_clients(command: str, expected: list) -> None:
    access = _bash(command)
    assert _sql(access) == expected and not access.unresolved
    assert {s.origin.split(":")[0] for s in access.sql} == {"bash"}


def test_bq_commands() -> None:
    access = _bash("bq query --use_legacy_sql=false --destination_table=p:ds.out 'SELECT * FROM `p.ds.src`' && "
                   "bq --project_id=proj load --source_format=CSV ds.raw gs://b/x.csv && bq extract p:ds.out gs://b/out && "
                   "bq cp ds.a,ds.b ds.c && bq query 'SELECT * FROM [p:ds.legacy]' && bq mk --view='SELECT 1 FROM `p.ds.a`' ds.v")
    assert _sql(access) == [("SELECT * FROM `p.ds.src`", "bigquery", None, None), ("SELECT * FROM `p.ds.legacy`", "bigquery", None, None),
                            ("CREATE VIEW `ds.v` AS SELECT 1 FROM `p.ds.a`", "bigquery", None, None)]
    assert [(d.table, d.mode) for d in access.direct] == [
        ("p.ds.out", "write"), ("proj.ds.raw", "write"), ("p.ds.out", "read"), ("ds.c", "write"), ("ds.a", "read"), ("ds.b", "read")]


def test_psql_files_relative_to_cd_and_cwd_then_like_templates() -> None:
    by_cd = _bash("cd scripts && psql -d tempo -f export.sql")
    by_cwd = _bash("psql -d tempo --file=export.sql", cwd="scripts")
    by_redirect = _bash(f"psql -d tempo < {DAGS / 'scripts' / 'export.sql'}")
    by_searchpath = _bash("psql -f daily.sql", params={"schema": "mart", "days": 1})
    for access in (by_cd, by_cwd, by_redirect):
        (source,) = access.sql
        assert source.file == str(DAGS / "scripts" / "export.sql") and source.database == "tempo"
        assert source.sql.startswith("COPY (SELECT * FROM mart.daily_revenue) TO STDOUT")
    assert by_searchpath.sql[0].file == str(DAGS / "sql" / "daily.sql") and "INSERT INTO mart.daily_revenue" in by_searchpath.sql[0].sql
    missing = _bash("psql -f nowhere.sql")
    assert missing.sql == [] and missing.unresolved == ["psql: SQL file 'nowhere.sql' not found (line 50)"]


def test_bash_command_template_file_and_scripts_it_runs() -> None:
    template = _bash("scripts/templated.sh")  # Airflow loads it as a template: Jinja is rendered
    assert _sql(template) == [("DELETE FROM mart.sessions WHERE day = '2024-01-15'", "postgres", "tempo", None)]
    assert template.files == [str(DAGS / "scripts" / "templated.sh")]
    script = _bash("bash scripts/load.sh ")  # run by bash: variables expand, files are relative to the script
    assert _sql(script) == [("INSERT INTO mart.sessions SELECT * FROM raw.sessions", "postgres", "tempo", None),
                            ("COPY (SELECT * FROM mart.daily_revenue) TO STDOUT WITH CSV", "postgres", "tempo", None)]
    assert str(DAGS / "scripts" / "load.sh") in script.files
    gotcha = _bash("bash scripts/load.sh")
    assert gotcha.unresolved[0].startswith("bash script 'bash scripts/load.sh' not found") and "end it with a space" in gotcha.unresolved[0]


def test_jinja_in_the_command_and_env_argument() -> None:
    access = _bash('psql -d "$DB" -c "DELETE FROM raw.events WHERE day = \'{{ ds }}\'"', env={"DB": "tempo"})
    assert _sql(access) == [("DELETE FROM raw.events WHERE day = '2024-01-15'", "postgres", "tempo", None)]


def test_sql_from_unknown_shell_values_is_unresolved() -> None:
    access = _bash('psql -c "$1" && psql -c "DELETE FROM $TABLE WHERE x = 1" && psql -f "$(ls *.sql)"')
    assert access.unresolved == [
        f"{DAG.file}:50: psql: the SQL is a shell expansion not known statically ('$1')",
        f"{DAG.file}:50: psql: the SQL uses a shell expansion not known statically ('DELETE FROM $TABLE WHERE x = 1')",
        f"{DAG.file}:50: psql: the SQL file '$(ls *.sql)' is a shell expansion not known statically"]
    assert _sql(access) == [("DELETE FROM $TABLE WHERE x = 1", "postgres", None, None)]


@pytest.mark.parametrize("command", [
    "curl -s http://hook/ready && mkdir -p /tmp/x && sleep 5",
    "aws s3 cp s3://b/k /tmp/k && gzip -d /tmp/k",
    "source /venv/bin/activate && if true; then echo ok; fi",
    "echo 'SELECT * FROM nothing' > /tmp/q.sql",
    "dbt deps --project-dir /nowhere && dbt test --project-dir /nowhere",
])
def test_commands_without_database_clients_touch_no_table(command: str) -> None:
    access = _bash(command)
    assert access.no_data and not access.sql and not access.unresolved


@pytest.mark.parametrize(("command", "run"), [
    ("python etl.py --day {{ ds }} && curl -X POST http://hook", "python etl.py"),
    ("python -m extract.s3_extract.licenses_job {{ next_ds }}", "python -m extract.s3_extract.licenses_job"),
    ("java -jar loader.jar --table x", "java -jar loader.jar"),
    ("spark-submit --master yarn job.py", "spark-submit --master yarn job.py"),
    ("aws athena start-query-execution --query-string 'SELECT 1'", "aws athena start-query-execution --query-string SELECT 1"),
    ("bash scripts/missing.sh --day 1", "scripts/missing.sh"),
])
def test_commands_running_code_of_their_own_are_not_known(command: str, run: str) -> None:
    """A program that runs code (a Python job, a jar, a script overlay cannot read) may read and write any table:
    the task is unresolved and names it, never "touches no data"."""
    access = _bash(command)
    assert not access.no_data and not access.sql
    assert access.unresolved == [f"runs {run!r}: what it reads and writes is not known statically (line 50)"], access.unresolved


def test_other_shell_operators() -> None:
    ssh = _bash("psql -d tempo -c 'VACUUM raw.events'", operator="SSHOperator", arg="command")
    assert _sql(ssh) == [("VACUUM raw.events", "postgres", "tempo", None)]
    sensor = _bash("psql -tAc 'SELECT 1 FROM raw.ready'", operator="BashSensor")
    assert _sql(sensor) == [("SELECT 1 FROM raw.ready", "postgres", None, None)]


def test_task_bash_body_and_missing_command() -> None:
    source = 'def run(day="{{ ds }}"):\n    return f"psql -d tempo -c \\"DELETE FROM raw.a WHERE d = \'{day}\'\\""\n'
    task = TaskSpec("d", "t", "@task.bash", DAG.file, 60, args={}, callable_source=source)
    assert _sql(extract_task(task, DAG, ExtractContext())) == [("DELETE FROM raw.a WHERE d = '2024-01-15'", "postgres", "tempo", None)]
    unknown = TaskSpec("d", "t", "BashOperator", DAG.file, 61, unknown_args=["bash_command"])
    assert extract_task(unknown, DAG, ExtractContext()).unresolved == ["bash_command of t is computed at run time (line 61)"]


def test_parse_commands_is_pure_and_reports_cd() -> None:
    parsed = parse_commands("cd /opt/dbt && uv run dbt run -s x; ./run.sh; psql -f rel.sql")
    assert [(d.argv, d.cwd) for d in parsed.dbt] == [(["dbt", "run", "-s", "x"], "/opt/dbt")]
    assert parsed.scripts == [("./run.sh", "/opt/dbt")]
    assert [(s.file, s.cwd) for s in parsed.sql] == [("rel.sql", "/opt/dbt")]


def test_bq_dataset_id_with_its_own_project() -> None:
    """``--dataset_id=project:dataset``: the default dataset's project qualifies the names, not ``--project_id``
    (the job's project); never a table name holding the colon."""
    access = _bash("bq query --project_id=billing-proj --dataset_id=data-proj:sales --destination_table=daily "
                   "'SELECT * FROM orders JOIN `other.ds.rates` USING (day)'")
    assert _sql(access) == [("SELECT * FROM orders JOIN `other.ds.rates` USING (day)", "bigquery", "data-proj", "sales")]
    assert [(d.table, d.mode) for d in access.direct] == [("data-proj.sales.daily", "write")]


def test_inline_scripts_with_flags_and_many_programs_in_one_reason() -> None:
    access = _bash("bash -x -c \"psql -d tempo -c 'SELECT 1' && script/publish --all && script/clean --old\"")
    assert _sql(access) == [("SELECT 1", "postgres", "tempo", None)]  # `-x -c`: the script is read
    assert access.unresolved == ["runs 'script/publish --all' (and 1 more program): what it reads and writes is not known "
                                 "statically (line 50)"]


def test_a_python_script_the_command_runs_is_read_as_a_callable(tmp_path: Path) -> None:
    """`cd /opt/airflow/scripts && python3 -u load.py` (the deployment's folder, remapped into the repository) runs
    scripts/load.py: its hook call is the task's SQL. A script with no database call, or one not in the repository,
    stays a program whose data access is not known (never "no data")."""
    from overlay.scan import scan_folders

    (tmp_path / ".git").mkdir()
    (tmp_path / "dags").mkdir()
    (tmp_path / "scripts").mkdir()
    (tmp_path / "dags" / "etl.py").write_text(
        "from datetime import datetime\n"
        "from airflow import DAG\n"
        "from airflow.operators.bash import BashOperator\n\n"
        "with DAG('etl', start_date=datetime(2024, 1, 1), schedule='@daily'):\n"
        "    BashOperator(task_id='load', bash_command='cd /opt/airflow/scripts && python3 -u load.py --day {{ ds }}')\n"
        "    BashOperator(task_id='fetch', bash_command='python /opt/airflow/scripts/fetch.py')\n"
        "    BashOperator(task_id='missing', bash_command='python scripts/nowhere.py')\n"
        "    BashOperator(task_id='module', bash_command='python -m scripts.load')\n")
    (tmp_path / "scripts" / "load.py").write_text(
        "import sys\n"
        "from airflow.providers.postgres.hooks.postgres import PostgresHook\n\n"
        "TARGET = 'mart.daily_orders'\n\n\n"
        "def load(day):\n"
        "    hook = PostgresHook(postgres_conn_id='warehouse')\n"
        "    hook.run(f'INSERT INTO {TARGET} SELECT * FROM raw.orders WHERE day = %s', parameters=(day,))\n\n\n"
        "if __name__ == '__main__':\n"
        "    load(sys.argv[2])\n")
    (tmp_path / "scripts" / "fetch.py").write_text("import requests\n\nrequests.get('https://example.com/api')\n")
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks}
    load = tasks["load"]
    assert (load.status, load.reads, load.writes) == ("resolved", ["warehouse:raw.orders"], ["warehouse:mart.daily_orders"])
    assert any("scripts/load.py" in n for n in load.notes)
    for task_id in ("fetch", "missing", "module"):
        assert tasks[task_id].status == "unresolved", task_id
        assert "runs 'python" in tasks[task_id].errors[0]


def test_a_command_built_in_part_from_values_not_known_keeps_what_is_known(tmp_path: Path) -> None:
    """`bash_command=f"python {here}/load.py '{uri}'"` with `uri` a connection URI known only at run time: the command
    is kept with a stand-in for `uri`, so the script it runs is read; a program that is itself such a value is
    reported as built at run time, naming where the value comes from."""
    from overlay.scan import scan_folders

    (tmp_path / ".git").mkdir()
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "load.py").write_text(
        "import sys\nfrom airflow.providers.postgres.hooks.postgres import PostgresHook\n\n"
        "PostgresHook(postgres_conn_id='warehouse').run('INSERT INTO mart.copies SELECT * FROM raw.copies')\n")
    (tmp_path / "dags" / "etl.py").write_text(
        "import os\nfrom datetime import datetime\n"
        "from airflow import DAG\nfrom airflow.hooks.base import BaseHook\nfrom airflow.models import Variable\n"
        "from airflow.operators.bash import BashOperator\n\n"
        "URI = BaseHook.get_connection('warehouse').get_uri()\n"
        "HERE = os.path.dirname(__file__)\n\n"
        "with DAG('etl', start_date=datetime(2024, 1, 1), schedule=None):\n"
        "    BashOperator(task_id='built', bash_command=f\"python {HERE}/load.py '{URI}'\")\n"
        "    BashOperator(task_id='tool', bash_command=f\"{Variable.get('tool')} --run\")\n")
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks}
    built = tasks["built"]
    assert (built.status, built.reads, built.writes) == ("resolved", ["warehouse:raw.copies"], ["warehouse:mart.copies"]), built.errors
    tool = tasks["tool"]
    assert tool.status == "unresolved" and "built from a value known only at run time" in tool.errors[0], tool.errors


def test_a_script_takes_the_constants_of_the_modules_beside_it(tmp_path: Path) -> None:
    """`import queries as q` / `from settings import CONN` in a script a command runs: Python finds them beside the
    script, so their literal constants are known where the script uses them."""
    from overlay.scan import scan_folders

    (tmp_path / ".git").mkdir()
    (tmp_path / "dags").mkdir()
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "queries.py").write_text("LOAD = 'INSERT INTO mart.events SELECT * FROM raw.events'\n")
    (tmp_path / "jobs" / "settings.py").write_text("CONN = 'warehouse'\n")
    (tmp_path / "jobs" / "run.py").write_text(
        "import queries as q\nfrom settings import CONN\n"
        "from airflow.providers.postgres.hooks.postgres import PostgresHook\n\n"
        "PostgresHook(postgres_conn_id=CONN).run(q.LOAD)\n")
    (tmp_path / "dags" / "etl.py").write_text(
        "from datetime import datetime\nfrom airflow import DAG\nfrom airflow.operators.bash import BashOperator\n\n"
        "with DAG('etl', start_date=datetime(2024, 1, 1), schedule=None):\n"
        "    BashOperator(task_id='run', bash_command='cd /opt/airflow/jobs && python run.py')\n")
    task = scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks[0]
    assert (task.status, task.reads, task.writes) == ("resolved", ["warehouse:raw.events"], ["warehouse:mart.events"]), task.errors


def test_sql_a_command_runs_that_is_a_value_not_known_is_not_read_as_sql(tmp_path: Path) -> None:
    """`psql -c '{sql}'` with `sql` a Variable: the command is known, its SQL is not (never "no tables")."""
    from overlay.scan import scan_folders

    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "etl.py").write_text(
        "from datetime import datetime\nfrom airflow import DAG\nfrom airflow.models import Variable\n"
        "from airflow.operators.bash import BashOperator\n\n"
        "with DAG('etl', start_date=datetime(2024, 1, 1), schedule=None):\n"
        "    BashOperator(task_id='whole', bash_command=f\"psql -d shop -c '{Variable.get('q')}'\")\n"
        "    BashOperator(task_id='name', bash_command=f\"psql -d shop -c 'TRUNCATE {Variable.get('t')}'\")\n")
    tasks = {t.task_id: t for t in scan_folders([str(tmp_path / "dags")], mode="static", workers=1).tasks}
    assert (tasks["whole"].status, tasks["whole"].writes) == ("unresolved", []), tasks["whole"].errors
    assert "not known statically" in tasks["whole"].errors[0]
    assert (tasks["name"].status, tasks["name"].writes) == ("unresolved", [])  # its only table is a stand-in's
    assert "not recorded" in tasks["name"].errors[0]
