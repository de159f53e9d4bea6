"""overlay's own engine, run the same way as the anchors (in the project's environment)."""

import logging
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from common import run  # noqa: E402

from overlay.lineage import analyze_sql  # noqa: E402

logging.disable(logging.CRITICAL)


def analyze(sql: str, dialect: str):
    result = analyze_sql(sql, dialect=dialect)
    return result.reads, result.writes


if __name__ == "__main__":
    run(analyze)
