"""The problems of a scan as a person counts them: a file whose import failed and that was then read statically is one
problem with a note, not the two or three error rows the scan records (the scan summary, `overlay sources`, the API and
the web UI all count these)."""

from __future__ import annotations

from collections.abc import Iterable

from overlay.model import FileError

FALLBACK_NOTE = "import failed; DAGs below were found by static analysis"


def file_problems(errors: Iterable[FileError]) -> list[dict[str, str]]:
    """One row per problem (``where``, ``stage``, ``error``, ``note``): the static result of a file whose import failed
    becomes the note of its import error (read statically instead, or static reading failed the same way)."""
    rows: list[dict[str, str]] = []
    by_file: dict[str, dict[str, str]] = {}
    for error in errors:
        first = by_file.get(error.file)
        if first is not None and first["stage"] == "import" and (error.error == FALLBACK_NOTE or error.stage == "static"):
            if error.error == FALLBACK_NOTE:
                first["note"] = "read statically instead"
            elif error.error == first["error"]:
                first["note"] = first["note"] or "static reading failed the same way"
            else:
                first["note"] = "; ".join(filter(None, [first["note"], f"static: {error.error[:200]}"]))
            continue
        row = {"where": f"{error.file}:{error.line or ''}", "stage": error.stage, "error": error.error, "note": ""}
        rows.append(row)
        by_file.setdefault(error.file, row)
    return rows
