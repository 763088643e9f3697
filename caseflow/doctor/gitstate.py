"""The checks of git's own state: its lock files, what is staged, a merge or rebase left in the
middle, and the durable settings."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from caseflow.core import layout, processes
from caseflow.core.git import commit as git_commit
from caseflow.core.git import health, locks
from caseflow.core.git.config import set_local
from caseflow.core.git.repository import DURABLE_SETTINGS, missing_durable_settings
from caseflow.doctor.findings import (
    BUSY_LOCK,
    DURABILITY,
    GIT_IN_PROGRESS,
    HALF_STAGED,
    MERGE_IN_PROGRESS,
    STAGED,
    STALE_LOCK,
    Finding,
    Scene,
    age,
)
from caseflow.errors import StoreError

# -- git's lock files -------------------------------------------------------------------------------


def git_locks(scene: Scene) -> list[Finding]:
    """A lock file is stale when no process has it open and no git command is working in this
    repository; where that cannot be told (no ``/proc``), only once it is older than any git
    command takes (:data:`caseflow.core.git.locks.STALE_AFTER_SECONDS`). Busy ones are named and
    left alone."""
    present = health.lock_files(scene.git_dir, scene.common_dir)
    if not present:
        return []
    opened = processes.holders(present)
    working = locks.live_git_processes(scene.root)
    found = []
    now = time.time()
    for path in present:
        try:
            status = path.stat()
        except FileNotFoundError:
            continue  # its git finished meanwhile
        rel = scene.relative(path)
        users = opened.get(path, []) if opened is not None else []
        if users:
            found.append(Finding(BUSY_LOCK, rel, f"open in {_named(users)}; left alone", problem=False))
        elif working:
            detail = f"a git command is running in this repository ({_named(working)}); left alone"
            found.append(Finding(BUSY_LOCK, rel, detail, problem=False))
        elif (opened is None or working is None) and now - status.st_mtime < locks.STALE_AFTER_SECONDS:
            detail = (
                "this system cannot tell whether a process holds it; left alone until it is "
                f"{age(locks.STALE_AFTER_SECONDS)} old"
            )
            found.append(Finding(BUSY_LOCK, rel, detail, problem=False))
        else:
            detail = (
                f"left by a git process that is gone ({age(now - status.st_mtime)} old): "
                "git refuses to work on what it locks until it is removed"
            )
            found.append(Finding(STALE_LOCK, rel, detail, repair=_remove_lock(path, rel, status)))
    return found


def _remove_lock(path: Path, rel: str, seen: os.stat_result) -> Callable[[], str]:
    def repair() -> str:
        now = path.stat()
        if (now.st_ino, now.st_mtime_ns) != (seen.st_ino, seen.st_mtime_ns):
            # another git took the lock anew since it was looked at: that one is alive
            raise StoreError(f"{rel} was taken again meanwhile; left alone")
        path.unlink()
        return f"removed {rel}: no process had it open and no git command was running here"

    return repair


def _named(pids: list[int]) -> str:
    return ", ".join(f"pid {pid} ({processes.name(pid) or '?'})" for pid in pids[:3])


# -- the index --------------------------------------------------------------------------------------


def index(scene: Scene) -> list[Finding]:
    """Paths staged differently from HEAD. Where the working tree shows HEAD's version, the staged
    one is in neither: what a write undone halfway (or a killed ``watch`` commit) leaves, and what
    ``--fix`` unstages, keeping the staged version as a draft. Anything else staged is someone's
    ``git add``: reported, never touched. During a merge the index is the merge's: not looked at."""
    if health.merge_state(scene.git_dir) is not None:
        return []
    found = []
    for change in health.staged_changes(scene.root):
        if change.path in scene.journal_paths or layout.is_local(change.path):
            continue
        if change.worktree_is_head:
            detail = (
                "staged, but neither HEAD nor the working tree holds what is staged: "
                "left by a write that was undone halfway"
            )
            found.append(Finding(HALF_STAGED, change.path, detail, repair=_unstage(scene, change)))
        else:
            what = "its removal is" if change.index is None else "a change is"
            detail = (
                f"{what} staged by hand (git add or git rm?) and not committed; left as it is: commit it with "
                f"git, or unstage it with `git restore --staged {change.path}` (the file keeps its changes)"
            )
            found.append(Finding(STAGED, change.path, detail, problem=False))
    return found


def _unstage(scene: Scene, change: health.StagedChange) -> Callable[[], str]:
    def repair() -> str:
        if (scene.git_dir / "index.lock").exists():
            raise StoreError("git's index is locked (.git/index.lock) by a running git; try again when it has finished")
        kept = ""
        data = health.index_bytes(scene.root, change.path) if change.index is not None else None
        if data is not None:
            kept_at = _keep(scene.root, change.path, data)
            kept = f"; the staged version is kept in {kept_at}"
        git_commit.unstage(scene.root, [change.path])
        return f"unstaged {change.path}: HEAD and the working tree agree{kept}"

    return repair


def _keep(root: Path, rel: str, data: bytes) -> str:
    """A copy in the person's private drafts (it may hold client data): nothing is thrown away."""
    folder = root / layout.DRAFTS / f"unstaged-{time.strftime('%Y%m%d-%H%M%S')}"
    target = folder / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    target.write_bytes(data)
    return f"{layout.DRAFTS}/{folder.name}/{rel}"


# -- a merge, rebase or cherry-pick left in the middle ----------------------------------------------


def git_operation(scene: Scene) -> list[Finding]:
    """Reported, never finished or aborted here: a sync's merge holds other people's changes, which
    ``caseflow sync`` commits as theirs; anything else is the person's own git work."""
    state = health.merge_state(scene.git_dir)
    if state is None:
        return []
    if state == "merge":
        conflicts = health.unmerged_count(scene.root)
        if conflicts:
            detail = (
                f"a sync stopped at a merge with {conflicts} conflicting file{'s' if conflicts != 1 else ''}: "
                "settle each with `caseflow resolve`, then `caseflow sync` finishes the merge"
            )
        else:
            detail = "a sync's merge is not committed yet: `caseflow sync` finishes it"
        return [Finding(MERGE_IN_PROGRESS, scene.relative(scene.git_dir / "MERGE_HEAD"), detail)]
    detail = f"a git {state} (not caseflow's) is in progress: finish it with `git {state} --continue` or `--abort`"
    return [Finding(GIT_IN_PROGRESS, scene.relative(scene.git_dir), detail)]


# -- durable settings -------------------------------------------------------------------------------

#: Values git takes for "true".
_TRUE = {"true", "yes", "on", "1"}


def durability(scene: Scene) -> list[Finding]:
    """The settings every case repository keeps in its own git config
    (:data:`caseflow.core.git.repository.DURABLE_SETTINGS`): a missing one is added by ``--fix``
    (and by any caseflow command that opens the repository); one set to something else on purpose
    is reported and left as it is."""
    config = scene.relative(scene.common_dir / "config")
    missing = missing_durable_settings(scene.root)
    if missing is None:
        return [Finding(DURABILITY, config, "cannot be read; git's durable settings cannot be checked")]
    wanted = {f"{section}.{key}": value for section, key, value in DURABLE_SETTINGS}
    found = []
    for name in missing:
        detail = f"{name} is not set: {_WHY[name]}"
        found.append(Finding(DURABILITY, config, detail, repair=_set(scene.root, name, wanted[name], config)))
    present = [name for name in wanted if name not in missing]
    values = health.settings(scene.root, present) if present else {}
    for name in present:
        value = values.get(name.lower())
        if value is not None and not _same(value, wanted[name]):
            detail = f"{name} is {value!r} here (caseflow sets {wanted[name]!r}); left as set on purpose: {_WHY[name]}"
            found.append(Finding(DURABILITY, config, detail, problem=False))
    return found


_WHY = {
    "core.fsync": "a power cut during a commit could lose it",
    "core.fsyncMethod": "git may leave what it writes in the disk's cache",
    "transfer.fsckObjects": "a damaged object fetched from elsewhere would not be noticed",
    "receive.fsckObjects": "a damaged object pushed here would not be noticed",
}


def _same(value: str, wanted: str) -> bool:
    if wanted == "true":
        return value.lower() in _TRUE
    return value.lower() == wanted.lower()


def _set(root: Path, name: str, value: str, config: str) -> Callable[[], str]:
    def repair() -> str:
        set_local(root, name, value)
        return f"set {name}={value} in {config}"

    return repair
