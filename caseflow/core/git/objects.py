"""What git keeps: a blob's bytes by id or by ``rev:path``, and whether a revision names a commit."""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path

from caseflow.core.git.runner import query, run


def blob_id(data: bytes, width: int = 40) -> str:
    """git's id of a blob holding ``data``, without git (SHA-1; SHA-256 where ids are 64 digits wide)."""
    digest = hashlib.sha256() if width == 64 else hashlib.sha1(usedforsecurity=False)  # git's id, not a secret
    digest.update(b"blob %d\0" % len(data) + data)
    return digest.hexdigest()


def blob_at(root: Path, rev: str, path: str) -> bytes | None:
    """A file's bytes as committed at ``rev`` (None if it did not exist there)."""
    return _cat(root, f"{rev}:{path}")


def blob(root: Path, blob_id: str) -> bytes | None:
    """The bytes git keeps under a blob id (an approved version), or None if it has none
    (or if ``blob_id`` is not a hexadecimal id at all: it is never handed to git as an option)."""
    if len(blob_id) < 7 or not all(c in "0123456789abcdef" for c in blob_id):
        return None
    return _cat(root, blob_id)


def _cat(root: Path, spec: str) -> bytes | None:
    done = run(root, "cat-file", "blob", spec, timeout=60)
    return done.stdout if done.code == 0 else None


def is_revision(root: Path, rev: str) -> bool:
    """Does ``rev`` name a commit here? (``--end-of-options``: a rev that looks like an option is just a name.)"""
    return run(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}").code == 0


def ref_exists(root: Path, ref: str) -> bool:
    """Does ``ref`` (``refs/remotes/origin/main``) resolve to anything?"""
    return run(root, "rev-parse", "--verify", "--quiet", ref).code == 0


def git_dir(root: Path) -> Path:
    """The repository's git folder (``.git``, or elsewhere for a worktree).

    Read from ``root/.git`` itself when that is the folder or a worktree's ``gitdir:`` file (every
    write asks, and a git process costs more than the two stats); git decides anything else
    (``$GIT_DIR`` set, ``root`` below the top of the working tree)."""
    if "GIT_DIR" not in os.environ:
        dot = root / ".git"
        if dot.is_dir():
            return dot.resolve()
        if dot.is_file():
            text = dot.read_text(errors="replace")
            if text.startswith("gitdir: ") and text.count("\n") <= 1:
                return (root / text[len("gitdir: ") :].strip()).resolve()
    return (root / query(root, "rev-parse", "--git-dir").strip()).resolve()


def current_branch(root: Path) -> str | None:
    """The branch checked out (None on a detached HEAD)."""
    name = query(root, "rev-parse", "--abbrev-ref", "HEAD").strip()
    return None if name in ("", "HEAD") else name


def changed_paths(root: Path, old: str, new: str, folder: str) -> list[str]:
    """The files under ``folder`` that differ between two commits (one tree diff, no rename detection).

    Between two commits named by their ids the answer never changes: it is remembered (a
    long-running process asks the same after each commit, for the snapshot and for the history)."""
    if _COMMIT_ID.fullmatch(old) and _COMMIT_ID.fullmatch(new):
        return list(_changed_between(str(root), old, new, folder))
    return _tree_diff(root, old, new, folder)


_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


@functools.lru_cache(maxsize=64)
def _changed_between(root: str, old: str, new: str, folder: str) -> tuple[str, ...]:
    return tuple(_tree_diff(Path(root), old, new, folder))


def _tree_diff(root: Path, old: str, new: str, folder: str) -> list[str]:
    out = query(root, "diff-tree", "-r", "--name-only", "--no-renames", "-z", old, new, "--", folder)
    return [p for p in out.split("\0") if p]
