"""``overlay lint`` output: terminal text, Markdown, JSON and SARIF 2.1.0 (for code-scanning UIs)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from overlay import __version__
from overlay.review.lint import RULES, Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _where(f: Finding) -> str:
    return f"{f.file}:{f.line}" if f.file and f.line else f.file or "-"


def counts(findings: list[Finding]) -> dict[str, int]:
    return {level: sum(1 for f in findings if f.severity == level) for level in ("error", "warning", "info")}


def text(findings: list[Finding]) -> str:
    c = counts(findings)
    lines = [f"{_where(f)}: {f.severity} [{f.rule}] {f.message}\n    fix: {f.fix}" for f in findings]
    lines.append(f"overlay lint: {c['error']} error(s), {c['warning']} warning(s), {c['info']} info")
    return "\n".join(lines) + "\n"


def markdown(findings: list[Finding]) -> str:
    c = counts(findings)
    out = ["### overlay lint", "", f"**{c['error']} error(s), {c['warning']} warning(s), {c['info']} info**", ""]
    for rule in RULES:
        mine = [f for f in findings if f.rule == rule.id]
        if mine:
            out += [f"<details><summary>{rule.title} ({len(mine)})</summary>", "", "| where | severity | finding | fix |", "|---|---|---|---|"]
            out += [f"| `{_where(f)}` | {f.severity} | {f.message} | {f.fix} |" for f in mine]
            out += ["", "</details>", ""]
    return "\n".join(out).rstrip() + "\n"


def as_json(findings: list[Finding]) -> dict[str, Any]:
    return {"findings": [asdict(f) for f in findings], "counts": counts(findings)}


def sarif(findings: list[Finding]) -> dict[str, Any]:
    rules = [{"id": r.id, "name": r.title, "shortDescription": {"text": r.title},
              "defaultConfiguration": {"level": SARIF_LEVEL[r.severity]}} for r in RULES]
    results = []
    for f in findings:
        result: dict[str, Any] = {"ruleId": f.rule, "level": SARIF_LEVEL[f.severity],
                                  "message": {"text": f"{f.message}. Fix: {f.fix}"}}
        if f.file:
            location: dict[str, Any] = {"artifactLocation": {"uri": f.file}}
            if f.line:
                location["region"] = {"startLine": f.line}
            result["locations"] = [{"physicalLocation": location}]
        results.append(result)
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "overlay", "version": __version__, "rules": rules}}, "results": results}]}
