"""Python scripts a shell command or a pod runs (``python3 -u load.py``), read from the repository as callables are.

A script runs from its top: its top-level statements first (the constants and handles its functions use), then the
functions that top level calls, directly or through each other (``run_by_script``); a function it only defines runs
nothing. Its hooks' and drivers' SQL is the task's, as a PythonOperator callable's would be. A DAG file run as a
script, a script not in the repository or one with no database call overlay can see is not read as data access: the
command stays a run whose data access is not known.
"""

from __future__ import annotations

import ast
import os
import re
from typing import Any

from overlay.discover.evaluate import is_data, is_known
from overlay.extract.context import TaskState
from overlay.extract.python.calls import analyze_callable
from overlay.extract.python.task import reader, record_access
from overlay.extract.python.values import CallableEvaluator

MAX_SCRIPT_CHARS = 400_000
MAX_SIBLING_MODULES = 10  # modules beside a script whose constants it takes
_DEFINES_DAG = re.compile(r"\bDAG\s*\(|^\s*@dag\b", re.M)


def read_python_script(t: TaskState, script: str, folder: str | None) -> bool:
    """A Python script a command runs (``python load.py``), found like a file the command reads (its folder, then
    the repository's top) and read as a callable is, from its top: its SQL and tables become the task's. False when it
    is not found, or nothing in it reaches a database (what it does is then not known: the run is reported)."""
    policy = t.renderer.policy
    if folder and os.path.isabs(folder) and not policy.allows(folder):  # `cd /opt/airflow/scripts`: the deployment's
        located = policy.locate(folder, want_dir=True)
        folder = located.path if located is not None else folder
    path = t.renderer.find_file(script, [folder] if folder else [], template=False)
    top = policy.repository
    if path is None and top and not os.path.isabs(script):
        path = t.renderer.find_file(script, [top], template=False)
    if path is None:
        return False
    try:
        text = t.read_text(path)
    except OSError:  # ReadRefused included: outside the repository
        return False
    if _DEFINES_DAG.search(text):  # a DAG file run as a script (or a test of one): its callables are other tasks'
        return False
    t.depends_on(path)
    if len(text) > MAX_SCRIPT_CHARS:
        t.unresolved(f"python script {script!r} is over {MAX_SCRIPT_CHARS} characters: not read (line {t.spec.line})")
        return True
    shown = os.path.relpath(path, top) if top else path
    found = analyze_callable(text, module_scope=imported_constants(t, text, os.path.dirname(path)), first_line=1,
                             variables=t.ctx.variables, reader=reader(t), file=path, shown=shown, module=True)
    if not (found.sql or found.tables or found.jobs or found.unresolved or found.opened):
        return False
    record_access(t, found, text)
    if found.opened and not (found.sql or found.tables or found.jobs or found.unresolved):
        t.unresolved(f"python script {shown} opens a database connection ({found.opened[0]}) but overlay found no SQL it runs")
    t.note(f"read the python script it runs: {shown}")
    return True


def imported_constants(t: TaskState, text: str, folder: str) -> dict[str, Any]:
    """The constants a script takes from modules beside it (``import sql_queries as sq`` -> ``sq.get_raw``, ``from
    config import TABLE``), as Python finds them from the script's folder (then the repository's top): each module's
    top-level names bound to values known statically, read through the policy, a few modules and bytes at most."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return {}
    found: dict[str, Any] = {}
    modules = 0
    for stmt in tree.body:
        names = [(a.name, a.asname or a.name, None) for a in stmt.names] if isinstance(stmt, ast.Import) else \
            [(stmt.module, None, stmt.names)] if isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level else []
        for module, bound, picked in names:
            if modules >= MAX_SIBLING_MODULES:
                return found
            constants = _module_constants(t, module, folder)
            if constants is None:
                continue
            modules += 1
            if picked is None:
                found.update({f"{bound}.{name}": value for name, value in constants.items()})
            else:
                found.update({a.asname or a.name: constants[a.name] for a in picked if a.name in constants})
    return found


def _module_constants(t: TaskState, module: str, folder: str) -> dict[str, Any] | None:
    relative = module.replace(".", os.sep) + ".py"
    top = t.renderer.policy.repository
    for base in dict.fromkeys([folder, *([top] if top else [])]):
        path = os.path.join(base, relative)
        if not (os.path.isfile(path) and t.renderer.policy.allows(path)):
            continue
        try:
            text = t.read_text(path)
            tree = ast.parse(text) if len(text) <= MAX_SCRIPT_CHARS else None
        except (OSError, SyntaxError, ValueError, RecursionError):
            return None
        if tree is None:
            return None
        t.depends_on(path)
        scope: dict[str, Any] = {}
        ev = CallableEvaluator(scope, t.ctx.variables, {})
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                value = ev.eval(stmt.value)
                if is_known(value) and is_data(value):
                    scope[stmt.targets[0].id] = value
        return scope
    return None
