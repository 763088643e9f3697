"""The checks of what caseflow itself keeps: the writers' lock and its queue, an interrupted write's
journal, and temporary files and folders a killed process left."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from caseflow.core import journal, layout, processes, writelock
from caseflow.core.git.runner import GitFailed
from caseflow.doctor.findings import (
    INTERRUPTED_WRITE,
    LOCK_QUEUE,
    TEMP_FILE,
    WRITE_IN_PROGRESS,
    WRITE_LOCK,
    Finding,
    Scene,
    age,
    moment,
)
from caseflow.errors import StoreError

#: What :func:`caseflow.core.safefiles.atomic_write` names its temporary file (``tempfile.mkstemp``:
#: the file's name, eight random characters): ``clients/C-7K2M9Q/.plan.yaml.k3j9x_2a.tmp``.
ATOMIC_TEMP = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$")
#: The scratch folders of commits made without the working tree (``caseflow watch``), made by
#: :func:`caseflow.core.git.plumbing.commit_files` under the writers' lock.
SCRATCH_PREFIX = "commit-"
#: A temporary file untouched this long, that no process has open, belongs to a write that died
#: (a live one exists for milliseconds).
QUIET_SECONDS = 5.0
#: Where no process's open files can be listed: only this old.
BLIND_SECONDS = 600.0
#: Folders of ``.caseflow/`` whose files others own: the journal (healed as a whole), the writers'
#: queue (cleans its own half-made tickets), the person's drafts.
_NOT_OURS = {"journal", "lock-queue", "drafts"}


# -- the writers' lock ------------------------------------------------------------------------------


def write_lock(scene: Scene) -> list[Finding]:
    """Who holds the writers' lock now and since when (for information: a live writer is no
    problem). Not asked while putting things right: ``doctor`` holds it then."""
    if scene.fixing:
        return []
    lock = scene.root / layout.LOCK
    rel = layout.LOCK
    holder = writelock.holder(scene.root)
    if holder is not None:
        waiting = max(0, len(writelock.queue(scene.root)) - 1)
        since = f" since {moment(holder.since)} ({age(time.time() - holder.since)})" if holder.since is not None else ""
        queued = f"; {waiting} more waiting" if waiting else ""
        detail = f"held by pid {holder.pid} ({holder.command}){since}{queued}"
        return [Finding(WRITE_LOCK, rel, detail, problem=False)]
    if not processes.is_flocked(lock):
        return []
    pid = processes.flock_owner(lock)
    who = f"pid {pid} ({processes.name(pid) or '?'})" if pid is not None else "a process this system does not name"
    return [Finding(WRITE_LOCK, rel, f"held by {who}, a caseflow command writing now", problem=False)]


def lock_queue(scene: Scene) -> list[Finding]:
    """Tickets in the writers' queue whose process is gone (the queue steps over them as it
    moves; a queue nobody has used since keeps them)."""
    folder = writelock.queue_dir(scene.root)
    try:
        tickets = [name for name in os.listdir(folder) if len(name) == 12 and name.isdigit()]
    except FileNotFoundError:
        return []
    live = {f"{entry.ticket:012d}" for entry in writelock.queue(scene.root)}
    dead = [name for name in tickets if name not in live and (folder / name).exists()]
    if not dead:
        return []
    count = f"{len(dead)} ticket{'s' if len(dead) != 1 else ''}"
    detail = f"{count} of caseflow commands that are gone"

    def repair() -> str:
        removed = writelock.clear_dead(scene.root)
        return f"removed {removed} ticket{'s' if removed != 1 else ''} of caseflow commands that are gone"

    return [Finding(LOCK_QUEUE, layout.LOCK_QUEUE, detail, repair=repair)]


# -- an interrupted write ---------------------------------------------------------------------------


def interrupted_write(scene: Scene) -> list[Finding]:
    """A write's journal whose writer is gone: ``--fix`` finishes it (its commit exists) or undoes
    it, keeping what it was writing as a draft (:func:`caseflow.core.journal.heal`)."""
    intent = journal.pending(scene.root)
    if intent is None:
        return []
    what = f"'{intent.action} {intent.client}'" if intent.client else f"'{intent.action}'"
    if not scene.fixing and processes.is_flocked(scene.root / layout.LOCK):
        detail = f"the write {what} is in progress (its process holds the writers' lock)"
        return [Finding(WRITE_IN_PROGRESS, layout.JOURNAL, detail, problem=False)]
    started = f", started {intent.started}" if intent.started else ""
    step = f", stopped after step '{intent.step}'" if intent.action != "?" else " (its journal cannot be read)"
    detail = (
        f"the write {what} was interrupted{started}{step}: the next caseflow command "
        "finishes it or undoes it, or `caseflow doctor --fix` now"
    )

    def repair() -> str:
        try:
            done = journal.heal(scene.root)
        except GitFailed as exc:
            raise StoreError(f"could not finish or undo the write {what} ({exc.reason})") from None
        return done or f"the write {what} needed nothing more"

    return [Finding(INTERRUPTED_WRITE, layout.JOURNAL, detail, repair=repair)]


# -- temporary files --------------------------------------------------------------------------------


def temp_files(scene: Scene) -> list[Finding]:
    """Temporary files of atomic writes that never finished, beside case files (moved to the
    person's drafts by ``--fix``: they may hold typing) or in ``.caseflow/`` (caches: removed), and
    scratch folders of killed commits. One that a process has open, or that changed in the last
    seconds, belongs to a live write and is left alone."""
    candidates = list(_worktree_temps(scene)) + list(_local_temps(scene))
    if not candidates:
        return []
    opened = processes.holders(p for p, _ in candidates)
    quiet = QUIET_SECONDS if opened is not None else BLIND_SECONDS
    now = time.time()
    found = []
    for path, local in candidates:
        try:
            changed = path.stat().st_mtime
        except FileNotFoundError:
            continue  # its write finished meanwhile
        if now - changed < quiet or (opened is not None and opened.get(path)):
            continue
        rel = scene.relative(path)
        if path.is_dir():
            detail = f"scratch folder of a commit whose process is gone ({age(now - changed)} old)"
            found.append(Finding(TEMP_FILE, rel, detail, repair=_remove(path, rel)))
        elif local:
            detail = f"temporary file of a write that never finished ({age(now - changed)} old)"
            found.append(Finding(TEMP_FILE, rel, detail, repair=_remove(path, rel)))
        else:
            match = ATOMIC_TEMP.match(path.name)
            document = match.group("name") if match else path.name
            detail = f"temporary file of a write of {document} that never finished ({age(now - changed)} old)"
            found.append(Finding(TEMP_FILE, rel, detail, repair=_to_drafts(scene.root, path, rel)))
    return found


def _worktree_temps(scene: Scene) -> list[tuple[Path, bool]]:
    """Atomic writes' temporary files anywhere in the working tree (not in ``.git`` or ``.caseflow``);
    those beside a document an interrupted write's journal names are the journal's to remove."""
    found = []
    beside = {(scene.root / rel).parent / f".{Path(rel).name}." for rel in scene.journal_paths}
    for folder, dirs, files in os.walk(scene.root):
        if folder == str(scene.root):
            dirs[:] = [d for d in dirs if d not in (".git", layout.LOCAL_DIR)]
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            if ATOMIC_TEMP.match(name):
                path = Path(folder) / name
                if not any(str(path).startswith(str(prefix)) for prefix in beside):
                    found.append((path, False))
    return found


def _local_temps(scene: Scene) -> list[tuple[Path, bool]]:
    """In ``.caseflow/``: atomic writes' temporary files and commits' scratch folders."""
    local = layout.local_dir(scene.root)
    if not local.is_dir():
        return []
    found = [(p, True) for p in local.iterdir() if p.is_dir() and p.name.startswith(SCRATCH_PREFIX)]
    for folder, dirs, files in os.walk(local):
        if folder == str(local):
            dirs[:] = [d for d in dirs if d not in _NOT_OURS and not d.startswith(SCRATCH_PREFIX)]
        found.extend((Path(folder) / name, True) for name in files if ATOMIC_TEMP.match(name))
    return found


def _remove(path: Path, rel: str) -> Callable[[], str]:
    def repair() -> str:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
        return f"removed {rel}"

    return repair


def _to_drafts(root: Path, path: Path, rel: str) -> Callable[[], str]:
    def repair() -> str:
        if path.stat().st_size == 0:
            path.unlink()
            return f"removed {rel} (empty)"
        folder = root / layout.DRAFTS / f"stray-{time.strftime('%Y%m%d-%H%M%S')}"
        target = folder / Path(rel).parent / path.name.lstrip(".")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)  # it may hold client data
        os.replace(path, target)
        return f"moved {rel} to {target.relative_to(root).as_posix()} (what it holds is kept, not committed)"

    return repair
