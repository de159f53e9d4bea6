"""Operator and wrapper rules declared in overlay.yaml (issue 9 §10), the same shape as the built-in registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from overlay.config import ConfigError, load_settings, parse_settings
from overlay.scan import scan_folders

FOLDER = Path(__file__).parent / "fixtures" / "extract" / "user_rules"


def test_declared_rules_resolve_custom_operators_and_wrappers() -> None:
    result = scan_folders([str(FOLDER)], mode="static", settings=load_settings(None, [str(FOLDER)]))
    tasks = {t.task_id: (t.status, t.reads, t.writes) for t in result.tasks}
    assert tasks["merge"] == ("resolved", ["snow:raw.y"], ["snow:mart.x"])
    assert tasks["daily"] == ("resolved", ["bigquery:proj.raw.events"], ["bigquery:proj.reports.daily"])
    assert tasks["refresh"] == ("resolved", [], ["pg:mid.mv"])  # like PostgresOperator: its connection args and dialect


def test_without_the_rules_these_tasks_are_not_resolved() -> None:
    result = scan_folders([str(FOLDER)], mode="static", settings=parse_settings({}))
    assert [t.status for t in result.tasks] == ["unresolved", "unresolved", "unresolved"]


def test_rules_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"operators.MyOp: unknown keys \['sqll'\]"):
        parse_settings({"operators": {"MyOp": {"sqll": ["query"]}}})
    rule = parse_settings({"operators": {"MyOp": {"sql": "query", "destination": [["schema", "table"]]}}}).operators["MyOp"]
    assert rule.sql == ("query",) and rule.writes == (("schema", "table"),)
