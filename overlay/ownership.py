"""Who owns an asset, and why: owners of its producing tasks, each answer with its provenance.

Resolved in order, the first rule that gives an answer wins:
1. ``overlay.yaml`` ownership rules (asset glob -> owners/team; first matching rule);
2. CODEOWNERS of the DAG repository (GitHub/GitLab syntax, last match wins), applied to the
   DAG file and to the ``.sql`` files of the producing task;
3. DAG metadata: the task's ``owner`` or the DAG's ``default_args`` owner (Airflow's default
   ``airflow`` means nobody), ``owner_links``, and ``team:x`` / ``owner:x`` tags.
An asset written by tasks with different owners is a conflict; one with no answer is unowned.

A rule that wins does not hide the people a DAG names: the DAG's owner and ``owner_links`` are kept
as ``contact`` claims (role ``contact``) beside the winning ``owner`` claims, each with its source,
so "who do I talk to" has the team that owns an asset and the people behind its DAG.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from codeowners import CodeOwners

from overlay.config import OwnershipRule, Settings
from overlay.model import DagSpec, ResolvedTask, ScanResult

CODEOWNERS_LOCATIONS = ("CODEOWNERS", ".github/CODEOWNERS", ".gitlab/CODEOWNERS", "docs/CODEOWNERS")
MEANINGLESS_OWNERS = frozenset({"airflow", ""})


@dataclass(frozen=True)
class OwnerClaim:
    owner: str
    rule: str  # overlay.yaml | CODEOWNERS | task owner | dag owner | owner_links | tag
    source: str  # where the answer comes from: "overlay.yaml#ownership[2]", "CODEOWNERS:14", "dag_id.task_id"
    team: str | None = None
    role: str = "owner"  # owner: the answer that won; contact: a person the DAG names beside it
    link: str | None = None  # from owner_links: mailto:, a chat or a profile URL


@dataclass
class AssetOwnership:
    key: str
    owners: list[OwnerClaim] = field(default_factory=list)
    conflict: bool = False
    by_task: dict[str, list[str]] = field(default_factory=dict)  # "dag.task" -> owners

    @property
    def owner_names(self) -> list[str]:
        return sorted({c.owner for c in self.owners if c.role == "owner"})

    @property
    def contact_names(self) -> list[str]:
        return sorted({c.owner for c in self.owners if c.role == "contact"} - set(self.owner_names))


@dataclass
class CodeOwnersFile:
    path: Path
    root: Path
    rules: CodeOwners
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, why it was skipped)

    def claims(self, file: str) -> list[OwnerClaim]:
        absolute = Path(file).resolve()
        try:
            relative = absolute.relative_to(self.root).as_posix()
        except ValueError:
            return []
        owners, line, _pattern, section = self.rules.matching_line(relative)
        where = f"{self.path}:{line}"
        return [OwnerClaim(owner, "CODEOWNERS", where, section) for _kind, owner in owners]


def find_codeowners(folder: str | Path) -> CodeOwnersFile | None:
    """The CODEOWNERS file governing a DAG folder: in the folder or any parent up to the git root."""
    current = Path(folder).resolve()
    for directory in [current, *current.parents]:
        for location in CODEOWNERS_LOCATIONS:
            candidate = directory / location
            if candidate.is_file():
                text = candidate.read_text(encoding="utf-8", errors="replace")
                rules, problems = parse_codeowners(text)
                return CodeOwnersFile(candidate, directory, rules, problems)
        if (directory / ".git").exists():
            break
    return None


_SECTION = re.compile(r"^\^?\[([^\]]+)\](?:\[\d+\])?((?:\s+\S+)*)\s*$")  # GitLab: [Section][2] @default @owners


def parse_codeowners(text: str) -> tuple[CodeOwners, list[tuple[int, str]]]:
    """A CODEOWNERS file as the ``codeowners`` library reads GitHub's, with GitLab's sections understood (a header's
    default owners go to the section's paths that name none) and a line it cannot read skipped and named, never the
    whole file lost. Line numbers stay those of the file."""
    lines: list[str] = []
    problems: list[tuple[int, str]] = []
    defaults: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        section = _SECTION.match(stripped)
        if section:
            defaults = section.group(2).split()
            line = f"[{section.group(1)}]"
        elif stripped and not stripped.startswith("#") and len(stripped.split()) == 1 and defaults:
            line = f"{stripped} {' '.join(defaults)}"
        try:
            CodeOwners(line)
        except Exception as e:  # an odd pattern (a bracket the library reads as a character class, ...)
            problems.append((number, f"CODEOWNERS line {number} not read: {type(e).__name__}: {e}"))
            line = ""
        lines.append(line)
    return CodeOwners("\n".join(lines)), problems


def rule_claims(key: str, name: str, rules: list[OwnershipRule], config_path: str | None) -> list[OwnerClaim]:
    for index, rule in enumerate(rules):
        if fnmatch.fnmatchcase(key, rule.match) or fnmatch.fnmatchcase(name, rule.match):
            where = f"{config_path or 'overlay.yaml'}#ownership[{index}]"
            owners = list(rule.owners) or ([rule.team] if rule.team else [])
            return [OwnerClaim(owner, "overlay.yaml", where, rule.team) for owner in owners]
    return []


def metadata_claims(task: ResolvedTask, dag: DagSpec | None) -> list[OwnerClaim]:
    where = f"{task.dag_id}.{task.task_id}"
    claims: list[OwnerClaim] = []
    task_owner = (task.owner or "").strip()
    dag_owners = [o for o in (dag.owners if dag else []) if o.strip().lower() not in MEANINGLESS_OWNERS]
    team = _tag_value(dag.tags if dag else [], "team")
    if task_owner and task_owner.lower() not in MEANINGLESS_OWNERS and task_owner not in dag_owners:
        claims.extend(OwnerClaim(o.strip(), "task owner", where, team) for o in task_owner.split(","))
    else:
        claims.extend(OwnerClaim(o, "dag owner", f"{task.dag_id} ({dag.file if dag else task.file})", team) for o in dag_owners)
    tag_owner = _tag_value(dag.tags if dag else [], "owner")
    if not claims and tag_owner:
        claims.append(OwnerClaim(tag_owner, "tag", f"{task.dag_id} tags", team))
    if not claims and team:
        claims.append(OwnerClaim(team, "tag", f"{task.dag_id} tags", team))
    if not claims and dag and dag.owner_links:
        claims.extend(OwnerClaim(owner, "owner_links", f"{task.dag_id} owner_links", team) for owner in dag.owner_links)
    return claims


def _tag_value(tags: list[str], prefix: str) -> str | None:
    for tag in tags:
        if isinstance(tag, str) and tag.lower().startswith(prefix + ":"):
            return tag.split(":", 1)[1].strip() or None
    return None


@dataclass
class OwnershipResolver:
    settings: Settings
    codeowners: CodeOwnersFile | None = None

    def primary_claims(self, task: ResolvedTask, dag: DagSpec | None) -> list[OwnerClaim]:
        """The answer that wins for one task: CODEOWNERS of its .sql files, then of its DAG file, else DAG metadata."""
        return self._primary_and_metadata(task, dag)[0]

    def _primary_and_metadata(self, task: ResolvedTask, dag: DagSpec | None) -> tuple[list[OwnerClaim], list[OwnerClaim]]:
        """``primary_claims``, and the task's ``metadata_claims`` (``with_contacts`` needs them too): made once."""
        metadata = metadata_claims(task, dag)
        if self.codeowners is not None:
            for file in [*task.sql_files, task.file]:
                claims = self.codeowners.claims(file)
                if claims:
                    return claims, metadata
        return metadata, metadata

    def task_claims(self, task: ResolvedTask, dag: DagSpec | None) -> list[OwnerClaim]:
        """The winning claims, then the people the DAG names (owner, owner_links) as contacts."""
        return with_contacts(*self._primary_and_metadata(task, dag), task=task, dag=dag)

    def dag_claims(self, dag: DagSpec) -> list[OwnerClaim]:
        """Who owns a DAG: CODEOWNERS of its file, else its metadata; its named people as contacts."""
        probe = ResolvedTask(dag.dag_id, "", "", dag.file, dag.line, None, "no_data")
        primary = self.codeowners.claims(dag.file) if self.codeowners is not None else []
        if not primary:
            primary = [replace(c, source=f"{dag.dag_id} ({dag.file})") for c in metadata_claims(probe, dag)]
        return with_contacts(primary, task=probe, dag=dag)

    def asset(self, key: str, name: str, producers: list[tuple[ResolvedTask, DagSpec | None]]) -> AssetOwnership:
        explicit = rule_claims(key, name, self.settings.ownership, self.settings.path)
        result = AssetOwnership(key=key, owners=list(explicit))
        owner_sets = set()
        for task, dag in producers:
            primary, metadata = self._primary_and_metadata(task, dag)
            result.by_task[f"{task.dag_id}.{task.task_id}"] = sorted({c.owner for c in primary})
            owner_sets.add(frozenset(c.owner for c in primary))
            claims = with_contacts(primary, metadata, task=task, dag=dag)
            if explicit:  # overlay.yaml decided: what the producers say are contacts
                claims = [replace(c, role="contact") for c in claims]
            for claim in claims:
                if claim not in result.owners:
                    result.owners.append(claim)
        result.conflict = not explicit and len({s for s in owner_sets if s}) > 1
        return result


def with_contacts(primary: list[OwnerClaim], metadata: list[OwnerClaim] | None = None, *, task: ResolvedTask,
                  dag: DagSpec | None) -> list[OwnerClaim]:
    """``primary`` plus the people the DAG names that it leaves out (``metadata``: the task's ``metadata_claims``,
    when already made), and each person's owner_links link."""
    names = {c.owner for c in primary}
    links = dict(dag.owner_links) if dag else {}
    claims = [replace(c, link=c.link or links.get(c.owner)) for c in primary]
    for claim in metadata if metadata is not None else metadata_claims(task, dag):
        if claim.owner not in names and claim.rule in ("task owner", "dag owner"):
            claims.append(replace(claim, role="contact", link=links.get(claim.owner)))
            names.add(claim.owner)
    for person, link in links.items():
        if person not in names:
            claims.append(OwnerClaim(person, "owner_links", f"{task.dag_id} owner_links", None, "contact", link))
            names.add(person)
    return claims


def display_owners(ownership: AssetOwnership) -> str:
    if not ownership.owners:
        return "unowned"
    text = ", ".join(ownership.owner_names)
    return f"{text} (conflict)" if ownership.conflict else text



def contact_card(claims: list[dict]) -> dict:
    """"Who do I talk to": the owning team (overlay.yaml team, a CODEOWNERS team, a ``team:`` tag) and every
    person or group named, owners first, each with the rule and the place that says so."""
    ordered = sorted(claims, key=lambda c: c.get("role", "owner") != "owner")
    return {"team": _team(ordered), "contacts": _dedupe([
        {"name": c["owner"], "role": c.get("role", "owner"), "rule": c["rule"], "source": c["source"], "link": c.get("link")}
        for c in ordered])}


def _team(claims: list[dict]) -> dict | None:
    for claim in claims:
        if claim["rule"] == "overlay.yaml" and claim.get("team"):
            return {"name": claim["team"], "rule": "overlay.yaml", "source": claim["source"]}
    for claim in claims:
        if claim["rule"] == "CODEOWNERS" and claim["owner"].startswith("@") and "/" in claim["owner"]:
            return {"name": claim["owner"], "rule": "CODEOWNERS", "source": claim["source"]}
    for claim in claims:
        if claim.get("team") and claim["rule"] != "CODEOWNERS":
            return {"name": claim["team"], "rule": "team tag", "source": claim["source"].split(" ", 1)[0] + " tags"}
    return None


def _dedupe(items: list[dict]) -> list[dict]:
    seen, kept = set(), []
    for item in items:
        if (item["name"], item["rule"]) not in seen:
            seen.add((item["name"], item["rule"]))
            kept.append(item)
    return kept


FIND_CODEOWNERS: Any = object()  # "look for the CODEOWNERS file": callers that found it already pass it


def scan_codeowners(result: ScanResult) -> CodeOwnersFile | None:
    """The CODEOWNERS file governing a scan's first folder (read and parsed on each call)."""
    return find_codeowners(result.folders[0]) if result.folders else None


def compute_ownership(result: ScanResult, settings: Settings, codeowners: Any = FIND_CODEOWNERS) -> dict[str, dict[str, Any]]:
    """Asset key -> its owners (claims as dicts) and whether they conflict, for every asset of a scan."""
    codeowners = scan_codeowners(result) if codeowners is FIND_CODEOWNERS else codeowners
    resolver = OwnershipResolver(settings, codeowners)
    dags = {d.dag_id: d for d in result.dags}
    producers: dict[str, list] = {}
    for task in result.tasks:
        for key in task.writes:
            producers.setdefault(key, []).append((task, dags.get(task.dag_id)))
    ownership = {}
    for asset in result.assets:
        answer = resolver.asset(asset.key, asset.name, producers.get(asset.key, []))
        ownership[asset.key] = {"owners": [c.__dict__ for c in answer.owners], "conflict": answer.conflict}
    return ownership
