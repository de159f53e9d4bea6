"""What can go wrong opening or writing the catalog, as exceptions the CLI and the API turn into messages."""

from __future__ import annotations


class CatalogError(RuntimeError):
    """The catalog database cannot be opened or written."""


class MissingCatalog(CatalogError):
    """A read-only command on a catalog that does not exist (nothing is created)."""

    def __init__(self, url: str) -> None:
        super().__init__(f"no catalog at {url}: run `overlay scan` first")
        self.url = url


class EmptyScanRefused(CatalogError):
    """A scan found no DAG where its source had some: storing it would empty the source."""
