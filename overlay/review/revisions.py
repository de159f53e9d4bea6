"""Git revisions of a DAG repository, as folders overlay can scan.

Pure git plumbing at the edge: find the repository, the merge base with its default branch, and
write one revision's tree into a temporary folder (``git archive``: the repository itself is never
touched, and nothing of the revision is executed).
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

WORKTREE = None  # a HEAD of None means the working tree as it is on disk
MAX_TREE_BYTES = 2 * 1024**3  # a revision larger than this is refused, not written to disk


class RevisionError(ValueError):
    """A revision or a repository overlay cannot use; the message says which and why."""


def _git(repo: Path, *args: str, binary: bool = False, timeout: int = 120) -> str | bytes:
    try:
        out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError) as e:
        raise RevisionError(f"git {' '.join(args)}: {e}") from e
    if out.returncode != 0:
        message = out.stderr.decode(errors="replace").strip().splitlines()
        raise RevisionError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return out.stdout if binary else out.stdout.decode(errors="replace").strip()


def repository_root(path: Path) -> Path:
    """The top of the git repository that holds ``path``."""
    folder = path if path.is_dir() else path.parent
    try:
        return Path(str(_git(folder, "rev-parse", "--show-toplevel"))).resolve()
    except RevisionError as e:
        raise RevisionError(f"{path} is not inside a git repository ({e})") from e


def resolve(repo: Path, rev: str) -> str:
    """A revision name -> its commit hash."""
    try:
        return str(_git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"))
    except RevisionError as e:
        raise RevisionError(f"unknown revision {rev!r} in {repo}") from e


def default_base(repo: Path) -> str:
    """The merge base of HEAD with the default branch (origin's HEAD, else main, else master)."""
    candidates = []
    try:
        candidates.append(str(_git(repo, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")))
    except RevisionError:
        pass
    candidates += ["origin/main", "origin/master", "main", "master"]
    for branch in candidates:
        try:
            return str(_git(repo, "merge-base", "HEAD", branch))
        except RevisionError:
            continue
    raise RevisionError(f"no default branch to compare with in {repo}: give BASE (for example `overlay diff main`)")


def changed_paths(repo: Path, base: str, head: str | None) -> set[str]:
    """Repository-relative paths that differ between two revisions (``head`` None: the working tree, untracked files too)."""
    args = ["diff", "--name-only", "--no-renames", base] + ([head] if head else [])
    paths = set(str(_git(repo, *args)).splitlines())
    if head is None:
        paths |= set(str(_git(repo, "ls-files", "--others", "--exclude-standard")).splitlines())
    return {p for p in paths if p}


def export_tree(repo: Path, rev: str, dest: Path) -> Path:
    """Write the files of ``rev`` into ``dest`` (created); returns ``dest``. Links and odd members are skipped."""
    data = _git(repo, "archive", "--format=tar", rev, binary=True, timeout=600)
    assert isinstance(data, bytes)
    if len(data) > MAX_TREE_BYTES:
        raise RevisionError(f"revision {rev} is {len(data) // 2**20} MiB: too large to compare")
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        members = [m for m in archive.getmembers() if m.isfile() or m.isdir()]
        archive.extractall(dest, members=members, filter="data")
    return dest
