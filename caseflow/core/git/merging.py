"""Merges: git's three-way text merge, the state of a merge or rebase in progress, and marking
a settled file resolved. (Merging with a remote is in :mod:`caseflow.core.git.remote`.)"""

from __future__ import annotations

import tempfile
from pathlib import Path

from caseflow.core.git.runner import query, run


def merge_file(base: str, mine: str, theirs: str) -> str | None:
    """Three-way text merge as ``git merge-file`` does it; None when both changed the same lines.
    Needs no repository."""
    with tempfile.TemporaryDirectory() as scratch:
        files = []
        for name, text in (("mine", mine), ("base", base), ("theirs", theirs)):
            target = Path(scratch) / name
            target.write_text(text, encoding="utf-8")
            files.append(str(target))
        done = run(None, "merge-file", "-p", "-q", *files)
    return done.stdout.decode("utf-8") if done.code == 0 else None


def merge_head(git_dir: Path) -> str | None:
    """The commit being merged in, during a merge (read from the git folder, no process)."""
    head = git_dir / "MERGE_HEAD"
    return head.read_text().split()[0] if head.is_file() else None


def rebasing(git_dir: Path) -> bool:
    """A rebase (or cherry-pick) is replaying commits: git's "ours" is then the upstream."""
    return any((git_dir / name).exists() for name in ("rebase-merge", "rebase-apply", "CHERRY_PICK_HEAD"))


def mark_resolved(root: Path, path: str) -> None:
    """Stage a file whose merge conflict is settled (git then lets the merge be committed)."""
    query(root, "add", "--", path, literal=True)


def conflict_sides(root: Path, path: str) -> dict[int, bytes]:
    """The versions git keeps of a path in conflict, by stage: 1 the common ancestor (absent when
    both sides added the file), 2 ours, 3 theirs (absent when that side removed it)."""
    sides: dict[int, bytes] = {}
    listed = run(root, "ls-files", "-u", "-z", "--", path, literal=True)
    for entry in listed.stdout.split(b"\0"):
        info, _, name = entry.partition(b"\t")
        if not name:
            continue
        _mode, blob, stage = info.decode().split()
        done = run(root, "cat-file", "blob", blob)
        if done.code == 0:
            sides[int(stage)] = done.stdout
    return sides
