"""Ownership: overlay.yaml rules, then CODEOWNERS, then DAG metadata; conflicts and provenance."""

from __future__ import annotations

from pathlib import Path

from overlay.config import parse_settings
from overlay.model import DagSpec, ResolvedTask
from overlay.ownership import OwnershipResolver, find_codeowners


def _task(dag_id: str, task_id: str, file: str, owner: str | None = None, sql_files: list[str] | None = None) -> ResolvedTask:
    return ResolvedTask(dag_id, task_id, "SQLExecuteQueryOperator", file, 1, owner, "resolved", sql_files=sql_files or [])


def _repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "CODEOWNERS").write_text(
        "# default\n*  @tempo/platform\n/dags/finance/ @tempo/finance-data\n/dags/sql/okr_*.sql  okr-team@tempo.fm\n"
    )
    for sub in ("dags/finance", "dags/growth", "dags/sql"):
        (tmp_path / sub).mkdir(parents=True, exist_ok=True)
    return tmp_path


def test_codeowners_last_match_wins_and_sql_files_come_first(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    codeowners = find_codeowners(root / "dags")
    assert codeowners is not None and codeowners.root == root
    resolver = OwnershipResolver(parse_settings({}), codeowners)
    finance = _task("revenue", "build", str(root / "dags/finance/revenue.py"))
    growth = _task("trials", "build", str(root / "dags/growth/trials.py"))
    okr = _task("okr", "build", str(root / "dags/finance/okr.py"), sql_files=[str(root / "dags/sql/okr_daily.sql")])
    assert [c.owner for c in resolver.task_claims(finance, None)] == ["@tempo/finance-data"]
    assert [c.owner for c in resolver.task_claims(growth, None)] == ["@tempo/platform"]
    claim = resolver.task_claims(okr, None)[0]
    assert claim.owner == "okr-team@tempo.fm" and claim.rule == "CODEOWNERS" and claim.source.endswith("CODEOWNERS:4")


def test_overlay_yaml_rules_win_over_everything(tmp_path: Path) -> None:
    settings = parse_settings({"ownership": [{"match": "warehouse:tempo.finance.*", "owners": ["cfo-office"], "team": "finance"}]})
    resolver = OwnershipResolver(settings, find_codeowners(_repo(tmp_path) / "dags"))
    producer = _task("revenue", "build", str(tmp_path / "dags/finance/revenue.py"))
    result = resolver.asset("warehouse:tempo.finance.revenue", "tempo.finance.revenue", [(producer, None)])
    assert result.owner_names == ["cfo-office"] and result.owners[0].rule == "overlay.yaml"
    assert result.owners[0].source.endswith("#ownership[0]") and result.owners[0].team == "finance"


def test_dag_metadata_ignores_airflow_default_and_reads_tags(tmp_path: Path) -> None:
    resolver = OwnershipResolver(parse_settings({}), None)
    dag = DagSpec("trials", "dags/trials.py", owners=["airflow"], tags=["team:growth"])
    result = resolver.asset("wh:t", "t", [(_task("trials", "a", "dags/trials.py", owner="airflow"), dag)])
    assert result.owner_names == ["growth"] and result.owners[0].rule == "tag"
    dag = DagSpec("trials", "dags/trials.py", owners=["maria"], tags=["team:growth"])
    result = resolver.asset("wh:t", "t", [(_task("trials", "a", "dags/trials.py", owner="maria"), dag)])
    assert result.owner_names == ["maria"] and result.owners[0].rule == "dag owner" and result.owners[0].team == "growth"
    result = resolver.asset("wh:t", "t", [(_task("trials", "a", "dags/trials.py", owner="lee"), dag)])
    assert result.owner_names == ["lee"] and result.owners[0].rule == "task owner"


def test_conflict_when_producers_have_different_owners() -> None:
    resolver = OwnershipResolver(parse_settings({}), None)
    a = (_task("d1", "t", "a.py", owner="ana"), DagSpec("d1", "a.py", owners=["ana"]))
    b = (_task("d2", "t", "b.py", owner="bo"), DagSpec("d2", "b.py", owners=["bo"]))
    result = resolver.asset("wh:orders", "orders", [a, b])
    assert result.conflict and result.owner_names == ["ana", "bo"]
    assert result.by_task == {"d1.t": ["ana"], "d2.t": ["bo"]}
    assert not resolver.asset("wh:orders", "orders", [a]).conflict


def test_unowned_asset() -> None:
    resolver = OwnershipResolver(parse_settings({}), None)
    dag = DagSpec("d", "a.py", owners=["airflow"])
    result = resolver.asset("wh:x", "x", [(_task("d", "t", "a.py", owner="airflow"), dag)])
    assert result.owners == [] and not result.conflict


def test_a_codeowners_star_rule_keeps_the_dags_named_people_as_contacts(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    resolver = OwnershipResolver(parse_settings({}), find_codeowners(root / "dags"))
    dag = DagSpec("trials", str(root / "dags/growth/trials.py"), owners=["maria"], owner_links={"maria": "mailto:maria@tempo.fm"})
    result = resolver.asset("wh:t", "t", [(_task("trials", "a", str(root / "dags/growth/trials.py"), owner="maria"), dag)])
    assert result.owner_names == ["@tempo/platform"] and result.contact_names == ["maria"]
    contact = next(c for c in result.owners if c.owner == "maria")
    assert (contact.role, contact.rule, contact.link, contact.source) == ("contact", "dag owner", "mailto:maria@tempo.fm",
                                                                          f"trials ({root / 'dags/growth/trials.py'})")
    assert not result.conflict


def test_contacts_never_make_a_conflict_and_overlay_yaml_keeps_producers_as_contacts(tmp_path: Path) -> None:
    settings = parse_settings({"ownership": [{"match": "wh:t", "owners": ["cfo-office"], "team": "finance"}]})
    resolver = OwnershipResolver(settings, None)
    a = (_task("d1", "t", "a.py", owner="ana"), DagSpec("d1", "a.py", owners=["ana"]))
    b = (_task("d2", "t", "b.py", owner="bo"), DagSpec("d2", "b.py", owners=["bo"]))
    result = resolver.asset("wh:t", "t", [a, b])
    assert result.owner_names == ["cfo-office"] and result.contact_names == ["ana", "bo"] and not result.conflict


def test_contact_card_names_the_team_and_everyone_with_their_source() -> None:
    from overlay.ownership import contact_card

    card = contact_card([
        {"owner": "maria", "rule": "dag owner", "source": "trials (dags/t.py)", "team": "growth", "role": "contact", "link": "mailto:m@x"},
        {"owner": "@tempo/growth-data", "rule": "CODEOWNERS", "source": "CODEOWNERS:3", "team": None, "role": "owner"},
    ])
    assert card["team"] == {"name": "@tempo/growth-data", "rule": "CODEOWNERS", "source": "CODEOWNERS:3"}
    assert [(c["name"], c["role"]) for c in card["contacts"]] == [("@tempo/growth-data", "owner"), ("maria", "contact")]
    assert contact_card([{"owner": "lee", "rule": "dag owner", "source": "d (f.py)", "team": "growth"}])["team"] == {
        "name": "growth", "rule": "team tag", "source": "d tags"}


def test_gitlab_sections_and_an_unreadable_line_keep_the_rest_of_codeowners(tmp_path: Path) -> None:
    """GitLab's ``[Section] @default-owners`` header gives its defaults to the section's paths that name none; a line
    the parser cannot read is skipped and reported with its line, the other rules (and their line numbers) hold."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "dags" / "pay").mkdir(parents=True)
    (tmp_path / "CODEOWNERS").write_text(
        "# owners\n"
        "[Core, see #chan for reviews] @acme/platform @acme/infra\n"
        "/dags/\n"
        "[Payments][2] @acme/payments\n"
        "/dags/pay/\n"
        "/dags/pay/[broken @acme/nobody\n")
    codeowners = find_codeowners(tmp_path / "dags")
    assert codeowners is not None
    assert [line for line, _why in codeowners.problems] == [6]
    resolver = OwnershipResolver(parse_settings({}), codeowners)
    core = resolver.task_claims(_task("a", "t", str(tmp_path / "dags/a.py")), None)
    pay = resolver.task_claims(_task("p", "t", str(tmp_path / "dags/pay/p.py")), None)
    assert [c.owner for c in core] == ["@acme/platform", "@acme/infra"] and core[0].source.endswith("CODEOWNERS:3")
    assert [c.owner for c in pay] == ["@acme/payments"] and pay[0].source.endswith("CODEOWNERS:5")
