"""The catalog's tables, as typed SQLAlchemy 2 models.

Schema changes go through Alembic migrations in ``migrations/versions``: a change here needs a
new revision there (the test suite checks that the migrated schema matches these models).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


DEFAULT_SOURCE = "default"  # the source of rows stored before sources existed (migration 0005)


class Source(Base):
    """One Airflow deployment or DAG repository whose scans and runs the catalog holds."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(250), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_run_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_run_sync_from: Mapped[str | None] = mapped_column(String(1024))


class Scan(Base):
    __tablename__ = "scans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(250), index=True)
    bundle_version: Mapped[str | None] = mapped_column(String(250))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    folders: Mapped[list[Any]] = mapped_column(JSON)
    mode: Mapped[str] = mapped_column(String(16))
    git_commit: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    overlay_version: Mapped[str] = mapped_column(String(32))


class SourceFile(Base):
    __tablename__ = "files"
    __table_args__ = (UniqueConstraint("source", "path", name="uq_files_source_path"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(250))
    path: Mapped[str] = mapped_column(String(1024))
    content_hash: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    payload_digest: Mapped[str | None] = mapped_column(String(64))
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id", ondelete="SET NULL"))


class Dag(Base):
    __tablename__ = "dags"
    __table_args__ = (UniqueConstraint("source", "dag_id", name="uq_dags_source_dag"), Index("ix_dags_dag_id_source", "dag_id", "source"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(250))
    dag_id: Mapped[str] = mapped_column(String(250), index=True)
    file: Mapped[str] = mapped_column(String(1024))
    line: Mapped[int | None] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(16))
    owners: Mapped[list[Any]] = mapped_column(JSON)
    owner_links: Mapped[dict[str, Any]] = mapped_column(JSON)
    tags: Mapped[list[Any]] = mapped_column(JSON)
    schedule: Mapped[str | None] = mapped_column(String(250))
    ownership: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)  # [{"owner", "rule", "source", "team", "role", "link"}]


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("source", "dag_id", "task_id", name="uq_tasks_source_dag_task"),
                      Index("ix_tasks_dag_id_source", "dag_id", "source"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(250))
    dag_id: Mapped[str] = mapped_column(String(250), index=True)
    task_id: Mapped[str] = mapped_column(String(250))
    operator: Mapped[str] = mapped_column(String(250))
    file: Mapped[str] = mapped_column(String(1024))
    line: Mapped[int | None] = mapped_column(Integer)
    owner: Mapped[str | None] = mapped_column(String(250))
    status: Mapped[str] = mapped_column(String(16), index=True)
    errors: Mapped[list[Any]] = mapped_column(JSON)
    sql: Mapped[list[Any]] = mapped_column(JSON)
    sql_files: Mapped[list[Any]] = mapped_column(JSON)
    columns: Mapped[dict[str, Any]] = mapped_column(JSON)
    upstream: Mapped[list[Any]] = mapped_column(JSON)
    ownership: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)


class Asset(Base):
    __tablename__ = "assets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(1024), unique=True)
    namespace: Mapped[str] = mapped_column(String(512), index=True)
    name: Mapped[str] = mapped_column(String(1024), index=True)
    short_name: Mapped[str] = mapped_column(String(512), index=True)  # last dotted part, for suffix lookups
    owners: Mapped[list[Any]] = mapped_column(JSON)  # [{"owner", "rule", "source", "team", "source_name"}], every source's
    owner_names: Mapped[str | None] = mapped_column(Text)  # the claims' owner and team names, one a line, for the owner filter
    owner_conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    owners_by_source: Mapped[dict[str, Any]] = mapped_column(JSON)  # source -> {"owners": [...], "conflict": bool}
    columns: Mapped[list[Any]] = mapped_column(JSON)
    # what search matches and ranks by (overlay.catalog.search_docs keeps them; migration 0008): lower-case lines of
    # owner names and the producing tasks' DAG ids, task ids and tags; the consuming tasks' ones; and the evidence
    search_text: Mapped[str | None] = mapped_column(Text)
    search_related: Mapped[str | None] = mapped_column(Text)
    producer_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    consumer_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_materialized: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # last successful run that wrote it
    query_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # warehouse queries attributed to it
    search_rank: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # evidence as one number: search's tie order


# search walks this index for broad matches, best evidence first (overlay.catalog.search)
Index("ix_assets_search_order", Asset.search_rank.desc(), Asset.consumer_count.desc(), Asset.key)


class TaskIO(Base):
    __tablename__ = "task_io"
    __table_args__ = (UniqueConstraint("task_pk", "asset_id", "mode", name="uq_task_io"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_pk: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(String(8))


class AssetEdge(Base):
    __tablename__ = "asset_edges"
    __table_args__ = (UniqueConstraint("from_asset", "to_asset", "task_pk", name="uq_asset_edges"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_asset: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    to_asset: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    task_pk: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))


class ScanError(Base):
    __tablename__ = "scan_errors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), index=True)
    file: Mapped[str] = mapped_column(String(1024))
    line: Mapped[int | None] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(16))
    error: Mapped[str] = mapped_column(Text)


class Materialization(Base):
    """One finished task run that wrote an asset (from the Airflow listener or `runs sync`)."""

    __tablename__ = "materializations"
    __table_args__ = (
        UniqueConstraint("source_name", "asset_id", "dag_id", "task_id", "run_id", "try_number", name="uq_materializations"),
        Index("ix_materializations_asset_end", "asset_id", "end_date"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    dag_id: Mapped[str] = mapped_column(String(250))
    task_id: Mapped[str] = mapped_column(String(250))
    run_id: Mapped[str] = mapped_column(String(250))
    try_number: Mapped[int] = mapped_column(Integer, default=1)
    start_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(1024))  # how it was recorded: airflow-listener | airflow-api:URL
    source_name: Mapped[str] = mapped_column(String(250))  # the catalog source (Airflow deployment) the run belongs to
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Query(Base):
    """One warehouse query from the query history, attributed (or not) and priced."""

    __tablename__ = "queries"
    __table_args__ = (UniqueConstraint("source", "query_id", name="uq_queries_source_id"), Index("ix_queries_started", "started_at"),
                      Index("ix_queries_asset_key", "asset_key"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    query_id: Mapped[str] = mapped_column(Text)  # whole: BigQuery job ids reach 1,024 characters
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[float | None] = mapped_column(Float)
    bytes_billed: Mapped[int | None] = mapped_column(BigInteger)
    credits: Mapped[float | None] = mapped_column(Float)
    cost: Mapped[float] = mapped_column(Float)
    fingerprint: Mapped[str | None] = mapped_column(String(32))
    dag_id: Mapped[str | None] = mapped_column(String(250))
    task_id: Mapped[str | None] = mapped_column(String(250))
    asset_key: Mapped[str | None] = mapped_column(String(1024))
    owner: Mapped[str | None] = mapped_column(String(250))
    method: Mapped[str] = mapped_column(String(16))  # tag | fingerprint | tables | unattributed


class QueryBaseline(Base):
    """A cumulative statement's totals at its last ingested snapshot (pg_stat_statements), to bill differences."""

    __tablename__ = "query_baselines"
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    statement: Mapped[str] = mapped_column(Text, primary_key=True)  # queryid:dbid:userid
    calls: Mapped[int] = mapped_column(BigInteger)
    total_ms: Mapped[float] = mapped_column(Float)
    captured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stats_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
