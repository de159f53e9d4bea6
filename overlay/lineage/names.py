"""Table names: from sqlglot ``Table`` nodes to qualified, normalized strings.

Rules: parts are dot-joined; unquoted identifiers are lowercased; quoted identifiers keep their
case only in dialects where quoting changes case semantics (Postgres, Snowflake, Oracle...);
missing parts are filled from the default database/schema; BigQuery ``$partition`` decorators
are dropped; stages and URIs are locations, not tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect, NormalizationStrategy

SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog"})
FILE_FORMAT_PREFIXES = frozenset({"parquet", "csv", "json", "orc", "avro", "delta", "text", "binaryfile", "iceberg"})
_CASE_PRESERVING = (NormalizationStrategy.LOWERCASE, NormalizationStrategy.UPPERCASE)


@dataclass(frozen=True)
class NameContext:
    """How to turn identifiers into asset names for one dialect and connection."""

    dialect: str | None
    default_db: str | None = None
    default_schema: str | None = None

    @property
    def keeps_quoted_case(self) -> bool:
        return _keeps_quoted_case(self.dialect)

    @property
    def parse_dialect(self) -> str | None:
        """The dialect to hand to sqlglot: names it does not know parse with the generic one."""
        return self.dialect if _is_known(self.dialect) else None


@lru_cache(maxsize=64)
def _is_known(dialect: str | None) -> bool:
    try:
        Dialect.get_or_raise(dialect)
    except Exception:
        return False
    return True


@lru_cache(maxsize=64)
def _keeps_quoted_case(dialect: str | None) -> bool:
    try:
        strategy = Dialect.get_or_raise(dialect).normalization_strategy
    except Exception:  # unknown dialect names are reported by the parser, not here
        return False
    return strategy in _CASE_PRESERVING


def is_location_text(text: str) -> bool:
    """A stage, URI or file path rather than a table name."""
    return "://" in text or text.startswith(("@", "/", "~", "'", "file:")) or text.startswith("%")


def ident_text(node: exp.Expression, ctx: NameContext) -> str:
    if isinstance(node, exp.Identifier):
        if node.quoted and ctx.keeps_quoted_case:
            return node.this
        return node.this.lower()
    return node.name.lower() if node.name else node.sql().lower()


def table_parts(table: exp.Table) -> list[exp.Expression]:
    return [p for p in (table.args.get("catalog"), table.args.get("db"), table.this) if p is not None]


def location_of(table: exp.Table) -> str | None:
    """The location text when a Table node is really a stage/URI/path, else None."""
    this = table.this
    if isinstance(this, exp.Var):
        return this.name
    if isinstance(this, exp.Literal):
        return this.name
    if not isinstance(this, exp.Identifier):
        return None
    if is_location_text(this.this):
        return this.this
    db = table.args.get("db")
    if db is not None and db.name.lower() in FILE_FORMAT_PREFIXES and this.quoted and ("/" in this.this or "." in this.this):
        return f"{db.name}.{this.this}"
    return None


def is_table_function(table: exp.Table) -> bool:
    """``generate_series(..)``, ``read_csv(..)``, ``UNNEST``, ``TABLE(fn())``: not assets."""
    return not isinstance(table.this, exp.Identifier)


def qualify(parts: list[str], ctx: NameContext, dialect: str | None = None) -> str:
    parts = [p for p in parts if p != ""]
    if (dialect or ctx.dialect) == "bigquery" and parts and "$" in parts[-1]:
        parts[-1] = parts[-1].split("$", 1)[0]
    if len(parts) == 1 and ctx.default_schema:
        parts = [ctx.default_schema.lower(), *parts]
    if len(parts) == 2 and ctx.default_db:
        parts = [ctx.default_db.lower(), *parts]
    return ".".join(parts)


def table_name(table: exp.Table, ctx: NameContext) -> str:
    return qualify([ident_text(p, ctx) for p in table_parts(table)], ctx)


def is_system_table(table: exp.Table, dialect: str | None = None) -> bool:
    """A catalog view, not data: ``information_schema.x``, ``pg_catalog.x``; where PostgreSQL's grammar may apply
    (its dialects, or none known), an unqualified ``pg_*`` name, which resolves to ``pg_catalog`` first; and Oracle's
    and MySQL's one-row ``DUAL``."""
    db = table.args.get("db")
    if db is not None:
        return db.name.lower() in SYSTEM_SCHEMAS
    if table.name.lower() == "dual" and dialect in (None, "oracle", "mysql"):  # `SELECT 1 FROM dual`: one row, no table
        return True
    return dialect in (None, "postgres", "redshift") and table.name.lower().startswith("pg_")


def name_from_text(text: str, ctx: NameContext) -> str | None:
    """Parse a dotted table name given as a string (procedure arguments, RENAME TABLE)."""
    try:
        table = exp.to_table(text.strip(), dialect=ctx.parse_dialect)
    except Exception:
        return None
    if not isinstance(table, exp.Table) or is_table_function(table) or location_of(table):
        return None
    return table_name(table, ctx)


def known_dialects() -> frozenset[str]:
    """Dialect names sqlglot knows."""
    from sqlglot.dialects.dialect import Dialects

    return frozenset(d.value for d in Dialects if d.value)
