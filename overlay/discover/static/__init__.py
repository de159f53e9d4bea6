"""Static discovery: DAGs and tasks from a file's AST, without executing it.

``scan_source`` reads one file (the interpreter is in ``scanner``; what it builds in ``specs``;
repository modules and confined file access in ``repo``/``env``). Whatever the file holds, the
answer is DAGs found plus file errors: a syntax error, a budget overrun (``overlay.discover.budget``)
or an interpreter bug is reported with its line, never raised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from overlay.discover.budget import Budget, BudgetError, Limits
from overlay.discover.evaluate import is_data, plain
from overlay.discover.python_source import parse_python
from overlay.discover.static.repo import LoadedModule, RepoView
from overlay.discover.static.scanner import StaticScanner
from overlay.discover.static.specs import code_used, unique_tasks
from overlay.model import DagSpec, FileError


@dataclass
class StaticResult:
    dags: list[DagSpec] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)  # repository modules the result depends on


def scan_file(path: str, source: str, repo: RepoView | None = None, limits: Limits | None = None) -> StaticResult:
    if repo is not None and repo.evaluate is None:
        repo.evaluate = evaluate_module
    scanner = StaticScanner(path, source, repo, Budget(limits) if limits else None)
    try:
        scanner.run()
    except SyntaxError as e:
        return StaticResult([], [FileError(path, f"SyntaxError: {e.msg}", e.lineno, stage="static")])
    except (RecursionError, MemoryError) as e:
        scanner.report(f"static analysis gave up: code nested too deeply ({type(e).__name__})", scanner.budget.line)
    except BudgetError as e:
        scanner.report(f"static analysis stopped at the budget ({scanner.where(e.line)}): {e.reason}; "
                       "DAGs and tasks after this point are not listed", scanner.site_line or e.line)
    except ValueError as e:  # e.g. null bytes in the source
        return StaticResult([], [FileError(path, f"cannot parse: {e}", stage="static")])
    except Exception as e:  # an interpreter bug must cost one file, not the scan
        scanner.report(f"static analysis failed: {type(e).__name__}: {e}", scanner.budget.line)
    dags = []
    for dag in scanner.dags:
        dag.tasks = unique_tasks(dag.tasks)
        refs = {r for t in dag.tasks for r in (t.callable_helpers.get("ref"), t.operator_code.get("ref")) if r}
        dag.code = code_used(scanner.code, refs)
        clean = _plain_dag(dag)
        if clean is None:
            scanner.report(f"DAG at line {dag.line} dropped: a value could not be made plain data", dag.line)
            continue
        dags.append(clean)
    return StaticResult(dags, scanner.errors, list(scanner.inputs))


def scan_source(path: str, source: str, repo: RepoView | None = None) -> tuple[list[DagSpec], list[FileError]]:
    result = scan_file(path, source, repo)
    return result.dags, result.errors


def evaluate_module(path: str, source: str, repo: RepoView) -> LoadedModule:
    """A repository module evaluated by the same interpreter (its own budget); its DAGs are not the importer's."""
    scanner = StaticScanner(path, source, repo, module_mode=True)
    scope = {"__name__": Path(path).stem, "__file__": path}
    errors: list[str] = []
    shown = repo.display(path)
    try:
        tree = parse_python(source, filename=path)
        scanner.module_scope = scope
        scanner.exec_block(tree.body, scope)
    except SyntaxError as e:
        errors.append(f"imported module {shown} does not parse: {e.msg} (line {e.lineno})")
    except BudgetError as e:
        errors.append(f"imported module {shown} read only up to line {e.line}: {e.reason}")
    except (RecursionError, MemoryError, ValueError) as e:
        errors.append(f"imported module {shown}: static analysis gave up ({type(e).__name__})")
    except Exception as e:
        errors.append(f"imported module {shown}: static analysis failed: {type(e).__name__}: {e}")
    errors.extend(f"in imported module {shown}: {e.error}" for e in scanner.errors if "belongs to no DAG" not in e.error)
    return LoadedModule(path, scope, [path, *[p for p in scanner.inputs if p != path]], errors, scanner.main.imports)


def _plain_dag(dag: DagSpec) -> DagSpec | None:
    """The DAG as JSON data; a task with a value that is not plain data keeps only what is."""
    try:
        json.dumps(dag.to_dict())
        return dag
    except (TypeError, ValueError):
        pass
    for task in dag.tasks:
        task.args = {str(k): plain(v) for k, v in task.args.items() if is_data(v)}
        task.callable_scope = {str(k): plain(v) for k, v in task.callable_scope.items() if is_data(v)}
        for name in ("dag_id", "task_id", "operator", "file"):
            if not isinstance(getattr(task, name), str):
                setattr(task, name, str(getattr(task, name)))
        task.owner = task.owner if isinstance(task.owner, str) else None
    for name in ("default_args", "params", "user_defined_macros"):
        setattr(dag, name, {str(k): plain(v) for k, v in getattr(dag, name).items() if is_data(v)})
    if not isinstance(dag.dag_id, str):
        return None
    try:
        json.dumps(dag.to_dict())
        return dag
    except (TypeError, ValueError):
        return None


__all__ = ["RepoView", "StaticResult", "StaticScanner", "evaluate_module", "scan_file", "scan_source"]
