"""Who owns an asset, and why: owners of its producing tasks, each answer with its provenance.

Resolved in order, the first rule that gives an answer wins:
1. ``overlay.yaml`` ownership rules (asset glob -> owners/team; first matching rule);
2. CODEOWNERS of the DAG repository (GitHub/GitLab syntax, last match wins), applied to the
   DAG file and to the ``.sql`` files of the producing task;
3. DAG metadata: the task's ``owner`` or the DAG's ``default_args`` owner (Airflow's default
   ``airflow`` means nobody), ``owner_links``, and ``team:x`` / ``owner:x`` tags.
An asset written by tasks with different owners is a conflict; one with no answer is unowned.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

from codeowners import CodeOwners

from overlay.config import OwnershipRule, Settings
from overlay.model import DagSpec, ResolvedTask

CODEOWNERS_LOCATIONS = ("CODEOWNERS", ".github/CODEOWNERS", ".gitlab/CODEOWNERS", "docs/CODEOWNERS")
MEANINGLESS_OWNERS = frozenset({"airflow", ""})


@dataclass(frozen=True)
class OwnerClaim:
    owner: str
    rule: str  # overlay.yaml | CODEOWNERS | task owner | dag owner | owner_links | tag
    source: str  # where the answer comes from: "overlay.yaml#ownership[2]", "CODEOWNERS:14", "dag_id.task_id"
    team: str | None = None


@dataclass
class AssetOwnership:
    key: str
    owners: list[OwnerClaim] = field(default_factory=list)
    conflict: bool = False
    by_task: dict[str, list[str]] = field(default_factory=dict)  # "dag.task" -> owners

    @property
    def owner_names(self) -> list[str]:
        return sorted({c.owner for c in self.owners})


@dataclass
class CodeOwnersFile:
    path: Path
    root: Path
    rules: CodeOwners

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
                return CodeOwnersFile(candidate, directory, CodeOwners(text))
        if (directory / ".git").exists():
            break
    return None


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

    def task_claims(self, task: ResolvedTask, dag: DagSpec | None) -> list[OwnerClaim]:
        if self.codeowners is not None:
            for file in [*task.sql_files, task.file]:
                claims = self.codeowners.claims(file)
                if claims:
                    return claims
        return metadata_claims(task, dag)

    def asset(self, key: str, name: str, producers: list[tuple[ResolvedTask, DagSpec | None]]) -> AssetOwnership:
        explicit = rule_claims(key, name, self.settings.ownership, self.settings.path)
        result = AssetOwnership(key=key)
        if explicit:
            result.owners = explicit
            return result
        owner_sets = set()
        for task, dag in producers:
            claims = self.task_claims(task, dag)
            result.by_task[f"{task.dag_id}.{task.task_id}"] = sorted({c.owner for c in claims})
            owner_sets.add(frozenset(c.owner for c in claims))
            for claim in claims:
                if claim not in result.owners:
                    result.owners.append(claim)
        result.conflict = len({s for s in owner_sets if s}) > 1
        return result


def display_owners(ownership: AssetOwnership) -> str:
    if not ownership.owners:
        return "unowned"
    text = ", ".join(ownership.owner_names)
    return f"{text} (conflict)" if ownership.conflict else text

