"""Hostile repository code that static mode reads for python callables and plugin operators (never runs).

Each case writes a repository whose DAG has one good task (a callable handing its hook to a helper that runs
``INSERT INTO mart.good ...``) beside a hostile one: helpers calling each other forever, a class with thousands of
methods, a loop of a million helper calls, a helper opening a file outside the repository, SQL built to gigabytes.
The case fails when the scan raised, a task's reading failed (the safety net caught it), the good task lost its
table, a file outside the repository was opened, or the result grew past what one file may carry. The runner adds the time and memory limits.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from robustness_cases._opens import record_opens

GOOD = '''
def good_load(hook):
    hook.run("INSERT INTO mart.good SELECT * FROM raw.good")
'''
DAG = '''from datetime import datetime
from airflow import DAG
from airflow.operators.python import PythonOperator
from airflow.providers.postgres.hooks.postgres import PostgresHook
from lib.helpers import *
{imports}

def good():
    good_load(PostgresHook(postgres_conn_id="wh"))

{callables}

with DAG("d", start_date=datetime(2024, 1, 1), schedule=None):
    PythonOperator(task_id="good", python_callable=good)
{tasks}
'''
MAX_RESULT = 20_000_000  # characters of the whole scan result as JSON


def check(helpers: str, callables: str, tasks: str, imports: str = "", extra: dict[str, str] | None = None) -> str | None:
    from overlay.config import Settings
    from overlay.scan import scan_folders

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name).resolve()
        (tmp / "outside").mkdir()
        (tmp / "outside" / "secret.sql").write_text("INSERT INTO secret_schema.secret_table SELECT 1\n")
        repo = tmp / "repo"
        (repo / ".git").mkdir(parents=True)
        (repo / "dags" / "lib").mkdir(parents=True)
        (repo / "dags" / "lib" / "__init__.py").write_text("")
        (repo / "dags" / "lib" / "helpers.py").write_text(GOOD + helpers.replace("OUTSIDE", str(tmp / "outside")))
        for rel, text in (extra or {}).items():
            (repo / "dags" / rel).write_text(text.replace("OUTSIDE", str(tmp / "outside")))
        (repo / "dags" / "d.py").write_text(DAG.format(imports=imports, callables=callables, tasks=tasks))
        opened = record_opens(str(tmp / "outside"))
        try:
            result = scan_folders([str(repo / "dags")], mode="static", settings=Settings())
        except BaseException as e:  # noqa: BLE001 - what the case measures
            return f"the scan raised {type(e).__name__}: {str(e)[:200]}"
        if opened:
            return f"opened a file outside the repository: {opened[0]}"
        text = json.dumps(result.to_dict(), default=str)
        if "secret_table" in text:  # the file's text (its path is in the repository's own code, which is listed)
            return "a file outside the repository reached the scan result"
        if len(text) > MAX_RESULT:
            return f"the scan result is {len(text):,} characters"
        crashed = [e for t in result.tasks for e in t.errors if e.startswith("extraction failed")]
        if crashed:  # a reader's own failure, caught by the safety net: a bug, not a reason
            return crashed[0][:200]
        good = next((t for t in result.tasks if t.task_id == "good"), None)
        if good is None or good.writes != ["wh:mart.good"]:
            return f"the good task lost its table: {good.writes if good else 'no task'}"
    return None


def _case(*args, **kwargs) -> Callable[[], str | None]:  # noqa: ANN002, ANN003
    return lambda: check(*args, **kwargs)


def _script_case(name: str, script: str) -> Callable[[], str | None]:
    """A BashOperator running ``python lib/<name>``, the script beside the DAG's helpers."""
    return _case("", "", f'    BashOperator(task_id="script", bash_command="python lib/{name}")\n',
                 imports="from airflow.operators.bash import BashOperator", extra={f"lib/{name}": script})


def _task(name: str) -> str:
    return f'    PythonOperator(task_id="{name}", python_callable={name})\n'


def cases() -> Iterator[tuple[str, str, Callable[[], str | None]]]:
    yield ("static", "repo code: two helpers call each other forever",
           _case("def ping(h):\n    return pong(h)\n\ndef pong(h):\n    return ping(h)\n",
                 'def loop():\n    ping(PostgresHook(postgres_conn_id="wh"))\n', _task("loop")))
    yield ("static", "repo code: a helper calls itself a million levels deep",
           _case("def down(h, n):\n    return down(h, n - 1) if n else h.run('SELECT 1')\n",
                 'def deep():\n    down(PostgresHook(postgres_conn_id="wh"), 1000000)\n', _task("deep")))
    yield ("static", "repo code: a class with 5,000 methods, each calling the next",
           _case("class Big:\n    def __init__(self, h):\n        self.h = h\n" + "".join(
               f"    def m{i}(self):\n        self.h.run('SELECT {i}')\n        return self.m{i + 1}()\n" for i in range(5000)),
                 'def big():\n    Big(PostgresHook(postgres_conn_id="wh")).m0()\n', _task("big")))
    yield ("static", "repo code: a loop of a million helper calls",
           _case("def one(h, i):\n    h.run(f'INSERT INTO mart.t{i} SELECT 1')\n",
                 'def many():\n    h = PostgresHook(postgres_conn_id="wh")\n    for i in range(1000000):\n        one(h, i)\n',
                 _task("many")))
    yield ("static", "repo code: 2,000 tasks calling a 100 KB helper module",
           _case("".join(f"def f{i}(h):\n    h.run('SELECT {'x' * 40} FROM mart.t{i}')\n" for i in range(1500)),
                 "".join(f'def c{i}():\n    f{i % 1500}(PostgresHook(postgres_conn_id="wh"))\n' for i in range(2000)),
                 "".join(_task(f"c{i}") for i in range(2000))))
    yield ("static", "repo code: a helper opens a file outside the repository",
           _case("def leak(h):\n    with open('OUTSIDE/secret.sql') as f:\n        h.run(f.read())\n",
                 'def leaky():\n    leak(PostgresHook(postgres_conn_id="wh"))\n', _task("leaky")))
    yield ("static", "repo code: a helper returns SQL doubled 40 times",
           _case("def grow():\n    s = 'SELECT 1 '\n    for _ in range(40):\n        s = s + s\n    return s\n",
                 'def huge():\n    PostgresHook(postgres_conn_id="wh").run(grow())\n', _task("huge")))
    yield ("static", "repo code: Jinja a helper renders loops 10^10 times",
           _case("from jinja2 import Template\n\ndef render(n):\n    return Template('{% for a in range(n) %}{% for b in range(n) %}x{% endfor %}{% endfor %}').render(n=n)\n",
                 'def jinja():\n    PostgresHook(postgres_conn_id="wh").run(render(100000))\n', _task("jinja")))
    chain = "".join(f".tag('k{i}', row['v{i}'])" for i in range(30))
    yield ("static", "repo code: a 30-link method chain (2^30 evaluations if each link looked at its receiver twice) in a helper and at module level",
           _case(f"from influxdb_client import Point\n\ndef point(row):\n    return Point.measurement('m'){chain}\n",
                 f"from influxdb_client import Point\nrow = {{}}\nP = Point.measurement('m'){chain}\n\n"
                 "def chained():\n    for row in []:\n        point(row)\n", _task("chained")))
    yield ("static", "repo code: SQL built from 900 values known only at run time (`+` and f-strings; Python compiles no deeper)",
           _case("", "def built(day):\n    sql = 'INSERT INTO mart.t SELECT 1 WHERE a = ' + "
                     + " + ".join(f"f'{{day}}{i}'" for i in range(900))
                     + '\n    PostgresHook(postgres_conn_id="wh").run(sql)\n', _task("built")))
    yield ("static", "repo code: a plugin operator whose execute calls its own methods forever",
           _case("", "", '    Forever(task_id="forever")\n', imports="from lib.ops import Forever",
                 extra={"lib/ops.py": "from airflow.models import BaseOperator\n\nclass Forever(BaseOperator):\n"
                                      "    def execute(self, context):\n        return self.again()\n\n"
                                      "    def again(self):\n        self.hook.run('SELECT 1')\n        return self.execute(None)\n"}))
    yield ("static", "repo code: a Python script a command runs calls its own functions forever, 100,000 times each",
           _script_case("forever.py", "import psycopg2\n\nconn = psycopg2.connect(dbname='x')\n\n"
                                      "def a(n):\n    conn.cursor().execute('SELECT 1')\n    return b(n)\n\n"
                                      "def b(n):\n    return a(n)\n\nfor i in range(100000):\n    a(i)\n"))
    yield ("static", "repo code: a Python script a command runs opens a file outside the repository",
           _script_case("leak.py", "import psycopg2\n\nwith open('OUTSIDE/secret.sql') as f:\n"
                                   "    psycopg2.connect(dbname='x').cursor().execute(f.read())\n"))
