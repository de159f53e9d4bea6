"""Typed records passed between the stages of a scan.

discover  -> DagSpec / TaskSpec          (what the DAG code declares)
extract   -> TaskAccess                  (the SQL and direct table references of one task)
resolve   -> ResolvedTask                (reads/writes as assets, after lineage parsing)
scan      -> ScanResult                  (everything, ready for the graph and the catalog)

All records are plain dataclasses that round-trip through ``to_dict``/``from_dict`` so the
catalog can cache per-file results and skip unchanged files on rescans.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any, Literal

TaskStatus = Literal["resolved", "partial", "unresolved", "no_data"]
AccessMode = Literal["read", "write"]


class Record:
    """Mixin: dict round-trip for nested dataclasses (used for caching and JSON output)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the record (nested records too); values are JSON data, so nothing is deep-copied."""
        return {name: _plain(getattr(self, name)) for name in _field_names(type(self))}

    @classmethod
    def from_dict(cls, data: dict[str, Any]):  # noqa: ANN206
        names, nested = _shape(cls)
        if not nested and data.keys() <= names:
            return cls(**data)  # the common case (every cached task and asset): nothing to convert or drop
        kwargs = {name: value for name, value in data.items() if name in names}  # keys of other versions are dropped
        for name, sub in nested.items():
            value = kwargs.get(name)
            if value is not None:
                kwargs[name] = [sub.from_dict(v) for v in value]
        return cls(**kwargs)


@lru_cache(maxsize=None)
def _shape(cls: type) -> tuple[frozenset[str], dict[str, type]]:
    """A record class's field names, and its fields holding lists of records (``_nested``)."""
    return frozenset(_field_names(cls)), dict(getattr(cls, "_nested", {}))


@lru_cache(maxsize=None)
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    if type(value) in _SCALARS:  # most values: returned before the checks below
        return value
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value] if value and isinstance(value[0], (Record, list, tuple)) else list(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return dict(value)
    return value


@dataclass
class TaskSpec(Record):
    """One task as declared in DAG code, before any SQL is looked at.

    ``args`` holds the operator's keyword arguments whose values are known (literals in static
    mode, attribute values in import mode), with default_args already merged in.
    ``callable_source`` is the source of a PythonOperator/@task callable when it can be found.
    """

    dag_id: str
    task_id: str
    operator: str  # operator class name, e.g. "SQLExecuteQueryOperator"; "@task" / "@task.sql" for decorators
    file: str
    line: int | None = None
    owner: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    callable_source: str | None = None
    callable_name: str | None = None
    callable_scope: dict[str, Any] = field(default_factory=dict)  # module constants the callable refers to
    unknown_args: list[str] = field(default_factory=list)  # kwargs present but not evaluable (static mode)
    # such a kwarg -> what its value comes from, where static mode can tell ("Variable 'db'", "environment variable 'X'")
    unknown_origins: dict[str, str] = field(default_factory=dict)
    upstream: list[str] = field(default_factory=list)  # task_ids
    # a custom operator class (a subclass from plugins/ or the repository): ``operator`` is then the operator
    # it derives from (whose rule applies), ``operator_class`` the class as written, ``template_fields`` its own
    operator_class: str | None = None
    # import mode: the class is the repository's own and derives from no library class of its name
    # (`class SqlSensor(BaseSensorOperator)`): the registry's rule for the name is not its rule
    repository_class: bool = False
    template_fields: list[str] = field(default_factory=list)
    # such a class that has no rule: why, when its code says (it runs SQL through a hook, or a command)
    operator_effect: str | None = None
    # what static mode's effect analysis found the python callable's code reaches: none | table | command | unknown,
    # and through what (a name as the code writes it, with file:line); None when not analysed (import mode)
    callable_effect: str | None = None
    callable_effect_ref: str | None = None
    # the repository functions the callable calls, as source for extraction to read where it calls them
    # (overlay/discover/static/helpers.py): {"ref": an entry of DagSpec.code}; empty when it calls none or in import mode
    callable_helpers: dict[str, Any] = field(default_factory=dict)
    # a repository operator class with no rule: {"ref": its execute and what that calls, in DagSpec.code; "self": what
    # the instance holds after its __init__; "unknown": attributes not known} (discover/static/operator_code.py)
    operator_code: dict[str, Any] = field(default_factory=dict)
    # an Astro SDK task (overlay/discover/astro): {"tables": the Table records it is given, by parameter; "output": the
    # parameter naming the table it writes; "roles": read/write/drop of the others; "schemas": Astro's default schemas}
    sdk: dict[str, Any] = field(default_factory=dict)
    # stand-ins static mode put in an argument's text for values not known (`runtime_uri` in a bash command built with
    # an f-string) -> what each stands for; never part of a table name
    standins: dict[str, str] = field(default_factory=dict)


@dataclass
class DagSpec(Record):
    dag_id: str
    file: str
    line: int | None = None
    mode: Literal["import", "static"] = "static"
    owners: list[str] = field(default_factory=list)
    owner_links: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    schedule: str | None = None
    default_args: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    template_searchpath: list[str] = field(default_factory=list)  # absolute paths
    user_defined_macros: dict[str, Any] = field(default_factory=dict)
    tasks: list[TaskSpec] = field(default_factory=list)
    # repository code its tasks' callables and plugin operators run, as source, once per DAG however many tasks
    # share it: TaskSpec.callable_helpers / operator_code name an entry by its "ref" (discover/static/helpers.py)
    code: dict[str, Any] = field(default_factory=dict)

    _nested = {"tasks": TaskSpec}


@dataclass
class FileError(Record):
    file: str
    error: str
    line: int | None = None
    stage: str = "discover"  # discover | extract | lineage


@dataclass
class SqlSource(Record):
    """One piece of SQL a task runs, rendered to plain text where it was templated."""

    sql: str
    origin: str  # e.g. "sql", "sql_file:queries/x.sql", "bash:psql", "bash:bq", "hook:run", "bigquery:query"
    conn_id: str | None = None
    dialect: str | None = None  # implied by the operator/hook kind, when the connection does not say
    database: str | None = None  # operator-level override (e.g. database=, schema=)
    schema: str | None = None
    file: str | None = None  # .sql file the text came from
    line: int | None = None
    # run through a connection nobody can name (a URL built at run time): its text is kept, its tables are not made
    # assets under a guessed database (the task says why it is not resolved)
    unknown_database: bool = False


@dataclass
class DirectAccess(Record):
    """A table a task touches that is known without parsing SQL (transfer operators, dbt, to_sql, ...)."""

    table: str  # as written: "schema.table", "project.dataset.table"
    mode: AccessMode
    origin: str  # e.g. "S3ToRedshiftOperator", "dbt:model.shop.orders", "to_sql"
    conn_id: str | None = None
    dialect: str | None = None
    # an edge source->target inside the task is implied between all its direct reads and writes
    # unless ``group`` says otherwise (dbt: each model's own inputs)
    group: str | None = None


@dataclass
class TaskAccess(Record):
    """What extraction found for one task."""

    sql: list[SqlSource] = field(default_factory=list)
    direct: list[DirectAccess] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # reasons some data access could not be determined
    no_data: bool = False  # the operator is known to touch no table (EmptyOperator, sensors on files, ...)
    files: list[str] = field(default_factory=list)  # other files the result depends on (dbt manifests)
    notes: list[str] = field(default_factory=list)  # how it was read: path remaps, dialect inferred (not problems)
    # placeholders rendered for unknown values -> what each stands for: never part of a table name
    standins: dict[str, str] = field(default_factory=dict)
    # stand-ins for temporary tables a run names and drops (the Astro SDK's `_tmp_` tables) -> a note saying which
    # task writes each: a name built from one is no table a catalog keeps, and not a reason the task is unknown
    temporary: dict[str, str] = field(default_factory=dict)

    _nested = {"sql": SqlSource, "direct": DirectAccess}


@dataclass(frozen=True)
class AssetRef(Record):
    namespace: str
    name: str  # qualified, dot-joined, lowercased except quoted case-sensitive parts

    @property
    def key(self) -> str:
        return f"{self.namespace}:{self.name}"


@dataclass
class ResolvedTask(Record):
    dag_id: str
    task_id: str
    operator: str
    file: str
    line: int | None
    owner: str | None
    status: TaskStatus
    reads: list[str] = field(default_factory=list)  # asset keys
    writes: list[str] = field(default_factory=list)
    edges: list[list[str]] = field(default_factory=list)  # [from_key, to_key]
    errors: list[str] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)  # rendered SQL texts (for fingerprints, attribution)
    sql_files: list[str] = field(default_factory=list)
    columns: dict[str, list[str]] = field(default_factory=dict)  # asset key -> columns the SQL defines
    upstream: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how it was read: path remaps, dialect inferred


@dataclass
class FileRecord(Record):
    path: str
    content_hash: str
    mode: str  # import | static | skipped
    dag_ids: list[str] = field(default_factory=list)
    error: str | None = None
    # what a rescan needs to reuse this file's results without parsing it again:
    # {"dags": [...], "tasks": [...], "errors": [...], "deps": {path: hash}, "settings": hash}
    payload: dict[str, Any] | None = None
    payload_digest: str | None = None


@dataclass
class ScanResult(Record):
    folders: list[str]
    dags: list[DagSpec] = field(default_factory=list)
    tasks: list[ResolvedTask] = field(default_factory=list)
    assets: list[AssetRef] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files: list[FileRecord] = field(default_factory=list)
    git_commit: str | None = None

    _nested = {"dags": DagSpec, "tasks": ResolvedTask, "assets": AssetRef, "errors": FileError, "files": FileRecord}


@dataclass
class TaskRun(Record):
    """One finished (or failed) try of one task instance, from Airflow's listener or REST API."""

    dag_id: str
    task_id: str
    run_id: str
    try_number: int
    state: str  # success | failed | upstream_failed | skipped ...
    start_date: str | None = None  # ISO 8601
    end_date: str | None = None
    source: str = "airflow"  # how it was recorded: airflow-listener | airflow-api:URL
    source_name: str = "default"  # the catalog source (Airflow deployment) the run belongs to: only its tasks match
