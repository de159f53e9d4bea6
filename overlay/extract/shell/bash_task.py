"""BashOperator, ``@task.bash``, BashSensor, SSHOperator: database clients and dbt in the rendered command.

The command is rendered (a ``.sh``/``.bash`` value is a template file, as in Airflow), read by
``bash.parse_commands`` with the operator's ``env`` and ``cwd``; scripts it calls are read too
(a few levels deep). SQL files given to clients are found relative to the command's folder
(``cd``, ``cwd=``), then like templates. A command that runs no database client touches no table.
"""

from __future__ import annotations

import os
from typing import Any

from overlay.extract.shell.clients import ShellCommands, ShellSql, parse_commands
from overlay.extract.operators.bqnames import bq_table, legacy_to_standard
from overlay.extract.context import TaskState
from overlay.extract.dbt.task import run_dbt
from overlay.extract.operators.rules import OperatorRule
from overlay.extract.templates.sources import Target, add_source, file_source, known_as_sql, normalize_markers
from overlay.extract.operators.sql import fill_from_body
from overlay.extract.python.scripts import read_python_script
from overlay.extract.templates.render import TemplateError
from overlay.model import SqlSource

_MAX_SCRIPTS = 3


def bash_operator(t: TaskState, rule: OperatorRule) -> None:
    fill_from_body(t, rule)
    arg = rule.sql_args[0]
    value = t.value(arg)
    # `.partial(...).expand(bash_command=[...])`: one command per mapped instance, each read
    commands = value if isinstance(value, list) and value and all(isinstance(v, str) for v in value) else [value]
    cwd = t.folder(t.text("cwd"), None)
    env = {k: str(v) for k, v in (t.value("env") or {}).items()} if isinstance(t.value("env"), dict) else {}
    for given in commands:
        command = _command(t, arg, given, rule.template_ext)
        if command is not None:
            run_shell(t, command, env, cwd)


def run_shell(t: TaskState, command: str, env: dict[str, str], cwd: str | None) -> None:
    """The database clients and dbt calls of one (rendered) shell command, as the task's access."""
    parsed = parse_commands(command, env, cwd)
    _follow_scripts(t, parsed, env, cwd)
    for script, folder, described in parsed.python:
        if not read_python_script(t, script, t.folder(folder, cwd)):
            parsed.runs.append(described)
    for reason in parsed.errors:
        t.unresolved(f"{t.spec.file}:{t.spec.line}: {reason}")
    for item in parsed.sql:
        _shell_sql(t, item, cwd)
    for call in parsed.dbt:
        run_dbt(t, call.argv, t.folder(call.cwd, cwd), call.env)
    runs = list(dict.fromkeys(parsed.runs))  # code of its own: reads and writes not known, never "no data"
    standins = {*t.renderer.standins, *t.code_standins}
    built = [r for r in runs if r.split(" ", 1)[0] in standins]  # the program is a stand-in ({{ ti... }})
    if built:
        t.unresolved(f"the command is built from a value known only at run time ({built[0]!r}, line {t.spec.line})")
    others = [r for r in runs if r not in built]
    if others:
        more = f" (and {len(others) - 1} more program{'s' if len(others) > 2 else ''})" if len(others) > 1 else ""
        t.unresolved(f"runs {others[0]!r}{more}: what it reads and writes is not known statically (line {t.spec.line})")
    if not t.found_anything:
        t.access.no_data = True


def _command(t: TaskState, arg: str, value: Any, template_ext: tuple[str, ...]) -> str | None:
    if not isinstance(value, str):
        reason = "computed at run time" if t.is_unknown(arg) else "missing"
        t.unresolved(f"{arg} of {t.spec.task_id} is {reason} (line {t.spec.line})")
        return None
    name = value.strip()
    if name.endswith(template_ext) and "\n" not in name and value == value.rstrip():
        path = t.renderer.find_file(name)
        if path is None:
            hint = " (Airflow loads a bash_command ending in .sh as a template file; end it with a space to run it)" \
                if " " in name else ""
            t.unresolved(f"bash script {name!r} not found in template_searchpath or the DAG folder (line {t.spec.line}){hint}")
            return None
        t.depends_on(path)
        try:
            return t.renderer.render_file(path, t.params(), t.spec.task_id)
        except TemplateError as e:
            t.unresolved(f"{e.file or path}:{e.line or 1}: {e}")
            return None
    return t.render(value, arg)


def _follow_scripts(t: TaskState, parsed: ShellCommands, env: dict[str, str], cwd: str | None, depth: int = 0) -> None:
    """Scripts the command runs (``bash load.sh``, ``./load.sh``) are read and parsed in place."""
    scripts, parsed.scripts = parsed.scripts, []
    for script, folder in scripts:
        base = t.folder(folder, cwd)
        path = t.renderer.find_file(script, [base] if base else [], template=False)
        if path is None or depth >= _MAX_SCRIPTS:  # a script not read: what it does is not known
            parsed.runs.append(script if path is None else f"{script} (scripts nested deeper than {_MAX_SCRIPTS})")
            continue
        t.depends_on(path)
        try:
            text = t.read_text(path)
        except OSError as e:
            t.unresolved(f"bash script {script!r}: {e.strerror}")
            continue
        inner = parse_commands(text, env, os.path.dirname(path))
        _follow_scripts(t, inner, env, os.path.dirname(path), depth + 1)
        for name in ("sql", "dbt", "python", "other", "runs", "errors"):
            getattr(parsed, name).extend(getattr(inner, name))


def _shell_sql(t: TaskState, item: ShellSql, cwd: str | None) -> None:
    origin = f"bash:{item.client}"
    target = Target(None, item.dialect, item.database, item.schema)
    if item.sql:
        if known_as_sql(t, item.sql, f"SQL {item.client} runs"):  # `psql -c '{sql}'` of a value not known: not SQL
            add_source(t, SqlSource(normalize_markers(item.sql), origin, line=t.spec.line), target, item.legacy_sql)
    elif item.file:
        folder = t.folder(item.cwd, cwd)
        # a relative path a command reads runs from its working folder, which a container image's is not in the
        # repository: the repository's top folder (where its image is built from) is looked in last
        path = t.renderer.find_file(item.file, [folder] if folder else [], template=False)
        top = t.renderer.policy.repository
        if path is None and top and not os.path.isabs(item.file):
            path = t.renderer.find_file(item.file, [top], template=False)
        if path is None:
            t.unresolved(f"{item.client}: SQL file {item.file!r} not found (line {t.spec.line})")
        else:
            source = file_source(t, path, f"{origin}:{os.path.basename(path)}")
            if source is not None:
                add_source(t, source, target)
    if item.destination:
        t.add_direct(_bq_name(item.destination, item.database, item.schema), "write", origin, None, "bigquery")
    for name in item.writes:
        t.add_direct(_bq_name(name, item.database), "write", origin, None, item.dialect)
    for name in item.reads:
        t.add_direct(_bq_name(name, item.database), "read", origin, None, item.dialect)


def _bq_name(name: str, project: str | None, dataset: str | None = None) -> str:
    name = bq_table(legacy_to_standard(name))
    if dataset and "." not in name:  # bq --dataset_id=d ... --destination_table=t
        name = f"{dataset}.{name}"
    return f"{project}.{name}" if project and name.count(".") == 1 else name
