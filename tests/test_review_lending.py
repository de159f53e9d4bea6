"""HEAD borrows from BASE the files both sides share (overlay.review.snapshot.Lender): what it borrows is what
its own scan would give, owners worked out from the .sql files (CODEOWNERS) included."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import SAMPLE_DAGS
from overlay.review.revisions import export_tree
from overlay.review.snapshot import Lender, PortableCache, scan_side


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(repo), "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args],
                         capture_output=True, text=True, check=True, timeout=60)
    return out.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """sample_dags on main with a CODEOWNERS rule only .sql files match; the working tree renames a column."""
    root = tmp_path / "dags-repo"
    shutil.copytree(SAMPLE_DAGS, root / "sample_dags")
    owners = root / "sample_dags/CODEOWNERS"
    owners.write_text(owners.read_text() + "/sql/finance/          @tempo/finance-sql\n/sql/platform/         @tempo/platform-sql\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    sql = root / "sample_dags/sql/growth/trial_metrics_weekly.sql"
    sql.write_text(sql.read_text().replace("COUNT(t.converted_at)", "COUNT(t.converted_at) AS conversions_total"))
    return root


def _plain(side):  # noqa: ANN001, ANN202 - a Side -> its result without the root in it (borrowed tasks: the lender's)
    roots = [str(side.root), *([side.lender.root] if side.lender else [])]
    tasks = [{**t.to_dict(), "sql_files": [_unrooted(f, roots) for f in t.sql_files]} for t in side.result.tasks]
    return tasks, [d.dag_id for d in side.result.dags], side.result.assets, [e.to_dict() for e in side.result.errors]


def _unrooted(path: str, roots: list[str]) -> str:
    for root in roots:
        if path.startswith(root + "/"):
            return "ROOT" + path[len(root):]
    return path


def test_borrowed_side_equals_its_own_scan(repo: Path, tmp_path: Path) -> None:
    base_root = export_tree(repo, git(repo, "rev-parse", "main"), tmp_path / "base")
    cache = PortableCache(None)
    base = scan_side("base", base_root, None, ["sample_dags"], cache)
    lent = scan_side("head", repo, None, ["sample_dags"], cache, lender=Lender.of(base, cache))
    alone = scan_side("head", repo, None, ["sample_dags"], PortableCache(None))

    assert lent.borrowed and lent.result.tasks
    assert sum(f.mode == "cached" for f in lent.result.files) == len(lent.result.files) - 1  # only the .sql change's DAG file read
    assert not any(f.mode == "cached" for f in alone.result.files)
    assert _plain(lent) == _plain(alone)
    borrowed_sql = [f for t in lent.result.tasks if id(t) in lent.borrowed for f in t.sql_files]
    assert borrowed_sql and all(f.startswith(str(base_root)) for f in borrowed_sql)  # lent as BASE read them

    keys = {a.key for a in alone.result.assets}
    owners = lent.owners_of(keys)
    assert owners == alone.owners_of(keys)
    assert "@tempo/finance-sql" in owners["warehouse:tempo.finance.daily_revenue"]  # from its .sql file's CODEOWNERS line
    assert any("@tempo/platform-sql" in names for names in owners.values())


def test_a_changed_settings_file_lends_nothing(repo: Path, tmp_path: Path) -> None:
    base_root = export_tree(repo, git(repo, "rev-parse", "main"), tmp_path / "base")
    cache = PortableCache(None)
    base = scan_side("base", base_root, None, ["sample_dags"], cache)
    settings = repo / "sample_dags/overlay.yaml"
    settings.write_text(settings.read_text() + "\nvariables:\n  lending_test: changed\n")
    lent = scan_side("head", repo, None, ["sample_dags"], cache, lender=Lender.of(base, cache))
    assert not any(f.mode == "cached" for f in lent.result.files)  # other settings: every file read again
    assert _plain(lent) == _plain(scan_side("head", repo, None, ["sample_dags"], PortableCache(None)))
