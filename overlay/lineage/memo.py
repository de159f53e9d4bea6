"""Lineage of SQL texts already analysed in one scan, so a text repeated across tasks is parsed once.

DAG files generated from one template, or tasks that run the same statement on several schedules, repeat
their SQL: 68 of dataservices-airflow's 160 SQL texts are repeats. ``analyze_sql`` is a pure function of the
text, the dialect and the default database and schema, so a repeat gets the first result (which callers
only read). Bounded: texts over ``MAX_TEXT`` characters are not kept, and the memo empties itself past
``MAX_CHARS`` characters of kept text or ``MAX_ENTRIES`` texts.
"""

from __future__ import annotations

from overlay.lineage import analyze_sql
from overlay.lineage.model import SqlLineage

MAX_TEXT = 100_000
MAX_CHARS = 32_000_000
MAX_ENTRIES = 20_000


class LineageMemo:
    def __init__(self) -> None:
        self._seen: dict[tuple[str, str | None, str | None, str | None], SqlLineage] = {}
        self._chars = 0
        self.hits = 0

    def analyze(self, sql: str, dialect: str | None = None, default_db: str | None = None,
                default_schema: str | None = None) -> SqlLineage:
        if not isinstance(sql, str) or len(sql) > MAX_TEXT:
            return analyze_sql(sql, dialect=dialect, default_db=default_db, default_schema=default_schema)
        key = (sql, dialect, default_db, default_schema)
        known = self._seen.get(key)
        if known is not None:
            self.hits += 1
            return known
        result = analyze_sql(sql, dialect=dialect, default_db=default_db, default_schema=default_schema)
        if len(self._seen) >= MAX_ENTRIES or self._chars + len(sql) > MAX_CHARS:
            self._seen.clear()
            self._chars = 0
        self._seen[key] = result
        self._chars += len(sql)
        return result
