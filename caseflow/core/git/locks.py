"""git's lock files (``index.lock``, ``HEAD.lock``, a branch's ``.lock``) that a killed git left.

git takes a lock by creating ``<file>.lock`` and renames it over the file when done; a git process
killed in between leaves the lock, and every later git command that needs the file refuses
("Unable to create '.../index.lock': File exists"). A lock is stale when no git process is working
in this repository: on Linux each process's working folder is ``/proc/<pid>/cwd``. Where that
cannot be read, a lock is left alone unless it is older than :data:`STALE_AFTER_SECONDS`.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from caseflow.core.git.objects import current_branch
from caseflow.core.git.objects import git_dir as _git_dir

#: A lock older than this is stale even where live processes cannot be listed (no git command
#: holds the index or a ref this long).
STALE_AFTER_SECONDS = 600.0


@dataclass(frozen=True)
class StaleLock:
    path: Path
    age_seconds: float


def git_dir(root: Path) -> Path:
    return _git_dir(root)


def ref_lock_paths(root: Path) -> list[Path]:
    """The locks moving HEAD takes: ``HEAD.lock`` and the checked-out branch's."""
    folder = git_dir(root)
    found = [folder / "HEAD.lock"]
    branch = current_branch(root)
    if branch:
        found.append(folder / "refs" / "heads" / f"{branch}.lock")
    return found


def present_locks(folder: Path) -> list[Path]:
    """The locks a caseflow write's git commands take that exist now, in the git folder ``folder``
    (file checks only, no git process: this runs before every write)."""
    found = [p for p in (folder / "index.lock", folder / "HEAD.lock") if p.exists()]
    heads = folder / "refs" / "heads"
    return found + (sorted(heads.rglob("*.lock")) if heads.is_dir() else [])


def stale_locks(root: Path, folder: Path | None = None) -> list[StaleLock]:
    """The locks left by git processes that are gone (none while a git process works here)."""
    present = present_locks(folder or git_dir(root))
    if not present:
        return []
    live = live_git_processes(root)
    if live:
        return []  # a git command is working here: its locks are its own
    now = time.time()
    found = []
    for path in present:
        with contextlib.suppress(FileNotFoundError):
            age = now - path.stat().st_mtime
            if live is None and age < STALE_AFTER_SECONDS:
                continue  # cannot tell whether its git is alive: too young to judge
            found.append(StaleLock(path, age))
    return found


def clear_stale(root: Path, folder: Path | None = None) -> list[StaleLock]:
    """Remove :func:`stale_locks`; returns those removed (``folder``: the git folder, if known)."""
    removed = []
    for lock in stale_locks(root, folder):
        with contextlib.suppress(FileNotFoundError):
            lock.path.unlink()
            removed.append(lock)
    return removed


def live_git_processes(root: Path) -> list[int] | None:
    """Process ids of git commands working in this repository (None: this system cannot tell)."""
    proc = Path("/proc")
    if not (proc / "self" / "cwd").exists():
        return None
    here = os.path.realpath(root)
    folder = os.path.realpath(git_dir(root))  # only asked when a lock is there
    live = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            name = (entry / "comm").read_text().strip()
            if not name.startswith("git"):
                continue
            cwd = os.path.realpath(entry / "cwd")
        except OSError:
            continue  # gone meanwhile, or another user's
        if cwd in (here, folder) or cwd.startswith((here + os.sep, folder + os.sep)):
            live.append(int(entry.name))
    return live
