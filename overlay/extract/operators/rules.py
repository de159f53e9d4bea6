"""The shape of one row of the operator registry (``registry.py``): what an operator does with data.

A rule names the arguments that hold SQL, the arguments that hold the connection, the dialect the
operator implies, the arguments that override the database or schema, the tables it names through
arguments (transfer operators), and the extractor function that reads all of that for one task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from overlay.extract.context import TaskState

Extractor = Callable[["TaskState", "OperatorRule"], None]


@dataclass(frozen=True)
class TableArg:
    """A table named by arguments: ``parts`` (outermost first, e.g. ``("schema", "table")``) joined with dots.

    A qualifier is used only while every inner part is present, as the operators compose them
    (``f"{schema}.{table}" if schema else table``). ``conn_args``/``dialect`` default to the rule's.
    """

    parts: tuple[str, ...]
    mode: str  # "read" | "write"
    conn_args: tuple[str, ...] = ()
    dialect: str | None = None
    unless_sql: bool = False  # only when the operator was given no SQL (RedshiftToS3Operator: select_query wins)


@dataclass(frozen=True)
class SqlArg:
    """SQL an operator runs on another connection than its main one (GenericTransfer's preoperator)."""

    name: str
    conn_args: tuple[str, ...]
    dialect: str | None = None


@dataclass(frozen=True)
class OperatorRule:
    extractor: Extractor
    sql_args: tuple[str, ...] = ()
    conn_args: tuple[str, ...] = ()
    dialect: str | None = None
    template_ext: tuple[str, ...] = (".sql",)
    database_args: tuple[str, ...] = ()  # arguments naming the database (Airflow's sense: the connection's schema field)
    schema_args: tuple[str, ...] = ()  # arguments naming the schema inside that database
    hook_params_arg: str | None = None  # a dict of hook kwargs that may carry database/schema
    tables: tuple[TableArg, ...] = ()
    extra_sql: tuple[SqlArg, ...] = ()
    project_arg: str | None = None  # BigQuery: project that qualifies dataset.table names
    legacy_sql_arg: str | None = None  # BigQuery: argument that turns legacy SQL on
    legacy_sql_default: bool = False
    body_arg: str | None = None  # @task.sql/@task.bash: the argument the decorated function returns
    command: str | None = None  # dbt operators: the dbt command they run
