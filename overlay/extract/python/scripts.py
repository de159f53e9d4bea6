"""Python scripts a shell command or a pod runs (``python3 -u load.py``), read from the repository as callables are.

A script runs from its top: its top-level statements first (the constants and handles its functions use), then the
functions that top level calls, directly or through each other (``run_by_script``); a function it only defines runs
nothing. Its hooks' and drivers' SQL is the task's, as a PythonOperator callable's would be. A DAG file run as a
script, a script not in the repository or one with no database call overlay can see is not read as data access: the
command stays a run whose data access is not known.
"""

from __future__ import annotations

import os
import re

from overlay.extract.context import TaskState
from overlay.extract.python.calls import analyze_callable
from overlay.extract.python.task import reader, record_access

MAX_SCRIPT_CHARS = 400_000
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
    found = analyze_callable(text, first_line=1, variables=t.ctx.variables, reader=reader(t), file=path, shown=shown,
                             module=True)
    if not (found.sql or found.tables or found.jobs or found.unresolved or found.opened):
        return False
    record_access(t, found, text)
    if found.opened and not (found.sql or found.tables or found.jobs or found.unresolved):
        t.unresolved(f"python script {shown} opens a database connection ({found.opened[0]}) but overlay found no SQL it runs")
    t.note(f"read the python script it runs: {shown}")
    return True
