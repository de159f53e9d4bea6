"""Import discovery: Airflow's own DagBag parses the file (exact for dynamic DAGs; runs DAG code)."""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import logging
import re
import sys
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from overlay.discover.nested import nested_sql
from overlay.discover.syspath import import_paths
from overlay.model import DagSpec, FileError, TaskSpec

log = logging.getLogger(__name__)

# operator attributes worth keeping besides template fields
KNOWN_ARGS = (
    "conn_id", "postgres_conn_id", "snowflake_conn_id", "gcp_conn_id", "redshift_conn_id", "aws_conn_id", "mysql_conn_id",
    "mssql_conn_id", "trino_conn_id", "databricks_conn_id", "oracle_conn_id", "sqlite_conn_id", "source_conn_id",
    "destination_conn_id", "database", "schema", "table", "params", "parameters", "hook_params", "split_statements",
    "destination_project_dataset_table", "source_project_dataset_table", "source_project_dataset_tables", "select_query",
    "s3_bucket", "s3_key", "bucket", "source_objects", "destination_cloud_storage_uris", "destination_table",
    "destination_dataset_table", "project_id", "configuration", "sql", "bash_command", "op_kwargs", "op_args",
    "templates_dict", "use_legacy_sql", "preoperator", "query", "filename", "external_dag_id", "trigger_dag_id",
)
DECORATED = {"_PythonDecoratedOperator": "@task", "_SQLDecoratedOperator": "@task.sql", "_BashDecoratedOperator": "@task.bash",
             "_PythonVirtualenvDecoratedOperator": "@task.virtualenv", "_BranchPythonDecoratedOperator": "@task.branch",
             "_ShortCircuitDecoratedOperator": "@task.short_circuit", "_PythonExternalDecoratedOperator": "@task.external_python",
             "_DockerDecoratedOperator": "@task.docker", "_KubernetesDecoratedOperator": "@task.kubernetes"}
_TRACEBACK_LINE = re.compile(r'File "([^"]+)", line (\d+)')


class DagBagLoader:
    """One DagBag for a folder; files are imported one at a time so each gets its own errors."""

    def __init__(self, folder: str | Path) -> None:
        with _quiet():
            try:
                from airflow.dag_processing.dagbag import DagBag  # imported only in import mode
            except ImportError:  # Airflow 3.0
                from airflow.models.dagbag import DagBag

            self.folder = str(Path(folder).resolve())
            if self.folder not in sys.path:
                sys.path.insert(0, self.folder)  # as Airflow does with the DAG folder
            for path in import_paths(self.folder)[1:]:  # plugins/ and the project root, after everything else
                if path not in sys.path:
                    sys.path.append(path)
            self.bag = DagBag(dag_folder=self.folder, collect_dags=False, load_op_links=False)

    def load(self, path: str, source: str) -> tuple[list[DagSpec], list[FileError]]:
        self.bag.import_errors.clear()
        try:
            with _quiet():
                dags = self.bag.process_file(path, only_if_updated=False, safe_mode=False)
        except BaseException as e:  # SystemExit or a timeout raised by DAG code
            if isinstance(e, KeyboardInterrupt):
                raise
            return [], [FileError(path, f"import failed: {type(e).__name__}: {e}", stage="import")]
        errors = [_import_error(path, message) for message in self.bag.import_errors.values()]
        task_lines = _task_lines(source)
        specs = []
        dags = list({dag.dag_id: dag for dag in dags}.values())  # the bag holds one DAG per id; process_file may list it twice
        for dag in dags:
            try:
                specs.append(dag_spec(dag, path, task_lines))
            except Exception as e:
                errors.append(FileError(path, f"cannot read DAG {getattr(dag, 'dag_id', '?')}: {type(e).__name__}: {e}", stage="import"))
        return specs, errors


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Airflow logs import failures to stdout; overlay reports them itself, so keep stdout clean."""
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        previous = logging.root.manager.disable
        logging.disable(logging.CRITICAL)
        try:
            yield
        finally:
            logging.disable(previous)


def _import_error(path: str, message: str) -> FileError:
    line = None
    for file, number in _TRACEBACK_LINE.findall(message):
        if Path(file).resolve() == Path(path).resolve():
            line = int(number)
    last = [m for m in message.strip().splitlines() if m.strip()]
    return FileError(path, last[-1].strip() if last else message, line, stage="import")


def _task_lines(source: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    for number, text in enumerate(source.splitlines(), start=1):
        for match in re.finditer(r"task_id\s*=\s*[\"']([^\"']+)[\"']", text):
            lines.setdefault(match.group(1), number)
        for match in re.finditer(r"^\s*def\s+(\w+)\s*\(", text):
            lines.setdefault(match.group(1), number)
    return lines


def dag_spec(dag: Any, path: str, task_lines: dict[str, int]) -> DagSpec:
    default_args = _jsonable(dict(getattr(dag, "default_args", None) or {}))
    owners = [o.strip() for o in str(default_args.get("owner", "")).split(",") if o.strip()]
    params = getattr(dag, "params", None)
    params_dict = params.dump() if hasattr(params, "dump") else dict(params or {})
    searchpath = getattr(dag, "template_searchpath", None) or []
    searchpath = [searchpath] if isinstance(searchpath, str) else list(searchpath)
    base = Path(path).parent
    spec = DagSpec(
        dag_id=dag.dag_id, file=path, line=_dag_line(dag, path), mode="import", owners=owners,
        owner_links=dict(getattr(dag, "owner_links", None) or {}), tags=sorted(str(t) for t in (getattr(dag, "tags", None) or [])),
        schedule=_schedule(dag), default_args=default_args, params=_jsonable(params_dict),
        template_searchpath=[str((base / p).resolve()) for p in searchpath],
        user_defined_macros=_jsonable(dict(getattr(dag, "user_defined_macros", None) or {})),
    )
    for task in dag.tasks:
        spec.tasks.append(task_spec(task, spec, task_lines))
    return spec


_LIBRARIES = ("airflow", "astronomer", "cosmos", "great_expectations", "dbt")


def _repository_class(cls: type) -> bool:
    """A class defined outside the libraries, named like no library class it derives from."""
    def library(c: type) -> bool:
        return c.__module__.split(".")[0] in _LIBRARIES

    return not library(cls) and not any(b.__name__ == cls.__name__ and library(b) for b in cls.__mro__[1:])


def _mapped(task: Any) -> tuple[type, dict[str, Any]] | None:
    """``Op.partial(...).expand(sql=[...])``: the operator class and the arguments each mapped instance gets from
    ``partial`` and, a list over the instances, from ``expand`` (an XCom there stays not known)."""
    cls = getattr(task, "operator_class", None)
    if type(task).__name__ != "MappedOperator" or not isinstance(cls, type):
        return None
    values = dict(getattr(task, "partial_kwargs", None) or {})
    expanded = getattr(getattr(task, "expand_input", None), "value", None)
    if isinstance(expanded, dict):
        values.update(expanded)
    return cls, values


def task_spec(task: Any, dag: DagSpec, task_lines: dict[str, int]) -> TaskSpec:
    mapped = _mapped(task)
    cls = mapped[0] if mapped else type(task)
    operator = DECORATED.get(cls.__name__, cls.__name__)
    args: dict[str, Any] = {}
    unknown: list[str] = []
    names = dict.fromkeys([*KNOWN_ARGS, *getattr(cls if mapped else task, "template_fields", ())])
    for name in names:
        if mapped and name not in mapped[1]:
            continue
        if not mapped and not hasattr(task, name):
            continue
        try:
            value = mapped[1][name] if mapped else getattr(task, name)
        except Exception:
            continue
        if value is None or callable(value):
            continue
        if name == "params" and hasattr(value, "dump"):  # Airflow's ParamsDict: the values, not Param objects
            value = value.dump()
        plain = _jsonable(value)
        if plain is _NOT_JSON:
            unknown.append(name)
        else:
            args[name] = plain
    if "sql" not in args:  # objects in template fields that carry templated SQL (overlay.discover.nested)
        values = [getattr(task, name, None) for name in getattr(task, "template_fields", ())]
        nested, _ = nested_sql(values, lambda item: getattr(type(item), "template_fields", None),
                               lambda item, name: getattr(item, name, None))
        if nested:
            args["sql"] = nested[0] if len(nested) == 1 else nested
    callable_obj = mapped[1].get("python_callable") if mapped else getattr(task, "python_callable", None)
    source, name = None, None
    if callable_obj is not None:
        name = getattr(callable_obj, "__name__", None)
        try:
            source = inspect.getsource(callable_obj)
        except (OSError, TypeError):
            source = None
    owner = getattr(task, "owner", None)
    scope = _callable_constants(callable_obj, source)
    return TaskSpec(
        dag_id=dag.dag_id, task_id=task.task_id, operator=operator, file=dag.file,
        line=task_lines.get(task.task_id) or task_lines.get(name or "") or dag.line,
        owner=str(owner) if owner else None, args=args, callable_source=source, callable_name=name,
        unknown_args=unknown, upstream=sorted(task.upstream_task_ids), callable_scope=scope,
        repository_class=operator == cls.__name__ and _repository_class(cls),
    )


def _callable_constants(fn: Any, source: str | None) -> dict[str, Any]:
    """Module constants the callable's source names, read from its globals (JSON-ready ones only)."""
    if fn is None or not source:
        return {}
    import ast
    import textwrap

    try:
        names = {n.id for n in ast.walk(ast.parse(textwrap.dedent(source))) if isinstance(n, ast.Name)}
    except SyntaxError:
        return {}
    module_globals = getattr(fn, "__globals__", {}) or {}
    scope = {}
    for name in names:
        value = module_globals.get(name)
        if isinstance(value, (str, int, float, bool, list, dict, tuple)):
            plain = _jsonable(value)
            if plain is not _NOT_JSON:
                scope[name] = plain
    return scope


def _dag_line(dag: Any, path: str) -> int | None:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for number, line in enumerate(text.splitlines(), start=1):
        if dag.dag_id in line and ("DAG(" in line or "dag_id" in line or "@dag" in line):
            return number
    return None


def _schedule(dag: Any) -> str | None:
    """The schedule as written (as static mode records it); Airflow 3's SDK timetables have no ``summary``."""
    written = getattr(dag, "schedule", None)
    if isinstance(written, (str, timedelta)):
        return str(written)
    timetable = getattr(dag, "timetable", None)
    summary = getattr(timetable, "summary", None)  # Airflow 2 and core timetables
    if summary is not None:
        return str(summary)
    expression = getattr(timetable, "expression", None)  # SDK cron timetables built from a timetable object
    return str(expression) if isinstance(expression, str) else None


_NOT_JSON = object()


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(v) for v in value]
        return _NOT_JSON if any(i is _NOT_JSON for i in items) else items
    if isinstance(value, dict):
        items = {str(k): _jsonable(v) for k, v in value.items()}
        return {k: v for k, v in items.items() if v is not _NOT_JSON}
    if hasattr(value, "value") and type(value).__name__ == "Param":
        return _jsonable(value.value)
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return _NOT_JSON if not hasattr(value, "isoformat") else value.isoformat()
    return value
