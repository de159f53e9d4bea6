"""The catalog: the asset graph and everything known about it, in a SQL database.

``Catalog.open(url)`` creates or migrates the database (SQLite or PostgreSQL) with Alembic;
``store.py`` writes scans in one transaction with stable ids; ``queries.py`` reads.
"""

from overlay.catalog.queries import AmbiguousKey, NotFound, UnknownKey
from overlay.catalog.store import Catalog, CatalogError, ScanSummary, resolve_db_url

__all__ = ["AmbiguousKey", "Catalog", "CatalogError", "NotFound", "ScanSummary", "UnknownKey", "resolve_db_url"]
