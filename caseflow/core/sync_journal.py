"""The journal of a sync in progress, and putting right a sync that was interrupted.

``caseflow sync`` fetches, shares the access record, merges what came in, commits the merge and
pushes. Killed at any point (``kill -9``, a closed laptop, a power cut), it leaves git's locks and
temporary files, and possibly a merge half made: files of both sides mixed in the working tree, a
stale index, ``MERGE_HEAD`` with nothing committed. Those files are a colleague's changes: the
one thing never to do is commit them as a change of one's own. So a sync keeps a journal,
``.caseflow/sync.json``, written before it touches anything: HEAD when it began, the step it
reached, and, while git merges, the commit being merged in (``theirs``) with ``merging`` set.

The next caseflow command, whichever it is, calls :func:`heal` first (as it heals a write, see
:mod:`caseflow.core.journal`). When a journal is there, its sync is gone (the writers' lock is
free: a live sync holds it) and no git process works in the repository:

- **A merge caseflow was making** (``merging``, HEAD still where the sync began) is *taken back*
  and made again by the next ``caseflow sync``, rather than picked up. Picking it up would mean
  trusting an index and a working tree that git may have been writing when it died; taking it
  back is always safe, because a sync merges only into a clean working tree and both sides stay
  whole in their commits (HEAD, and the fetched remote branch), and merging again gives the same
  result. :func:`caseflow.core.git.interrupted.undo_merge` says how; bytes that are neither
  side's, nor anything git wrote, are kept as drafts, never thrown away.
- **A merge handed to the person** (a conflict to settle with ``caseflow resolve``) is theirs:
  never taken back. The sync that finishes it records no ``merging``; killed while committing, it
  leaves the merge in progress, and the next ``caseflow sync`` commits it.
- **A merge that was committed** after all (git killed before it removed ``MERGE_HEAD``): git's
  merge state is removed.
- Every step: the locks and temporary files of the sync's git processes are removed
  (:func:`caseflow.core.git.interrupted.remove_leftovers`), and the journal.

What is not done yet (a fetch, a push, the access record) is simply done by the next sync. One
line says what happened. Meanwhile, while a merge is not finished, writes are refused in one line
(:func:`refuse_writes`): a write on top of a merge in progress would commit the other side's files
as one's own. ``CASEFLOW_CRASH_AT=<step>`` (tests only) kills a sync at :data:`SYNC_STEPS`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.core import layout
from caseflow.core.git import interrupted, locks
from caseflow.core.git.runner import GitFailed
from caseflow.core.git.runner import head as current_head
from caseflow.core.journal import CRASH_ENV, crash_point
from caseflow.core.safefiles import atomic_write
from caseflow.errors import StoreError

if TYPE_CHECKING:
    from caseflow.core.store import Store

#: The steps of a sync, each named for what it has just done (a crash switch kills it there):
#: ``sync-merge-start`` is before ``git merge`` starts (the journal says a merge is being made);
#: ``sync-merge-driver`` kills the sync, its ``git merge`` and caseflow's merge driver together,
#: while git is merging; ``sync-merge`` is after git merged (the merge in progress, not committed).
SYNC_STEPS = (
    "sync-journal",
    "sync-fetch",
    "sync-access-flush",
    "sync-access-join",
    "sync-access-push",
    "sync-merge-start",
    "sync-merge-driver",
    "sync-merge",
    "sync-commit",
    "sync-push",
)
#: How the merge driver finds the sync that runs it (only the crash switch asks).
SYNC_PID_ENV = "CASEFLOW_SYNC_PID"

MERGE_NOT_FINISHED = (
    "a merge is in progress (a sync's): `caseflow resolve` settles what it lists, then `caseflow sync` "
    "commits the merge; nothing was changed"
)
MERGE_INTERRUPTED = "a sync was interrupted while merging: `caseflow sync` finishes it; nothing was changed"


@dataclass
class SyncIntent:
    """What one sync set out to do, and how far it got (``.caseflow/sync.json``)."""

    pid: int
    remote: str
    branch: str
    #: HEAD when the sync began
    head: str | None
    step: str = "sync-journal"
    #: the commit being merged in, once the merge begins
    theirs: str | None = None
    #: caseflow's own merge is in progress (taken back if the sync is interrupted)
    merging: bool = False
    started: str = ""


class SyncJournal:
    """The journal of the sync this process is making (it holds the writers' lock)."""

    def __init__(self, root: Path, remote: str, branch: str, head: str | None) -> None:
        self.path = root / layout.SYNC_JOURNAL
        self.root = root
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self.intent = SyncIntent(os.getpid(), remote, branch, head, started=started)
        self._save(durable=True)
        crash(self.intent.step, root)

    def reached(self, step: str, **changes: Any) -> None:
        """The sync got this far; ``merging=True`` (with ``theirs``) is made durable before git merges."""
        for name, value in changes.items():
            setattr(self.intent, name, value)
        self.intent.step = step
        self._save(durable="merging" in changes)
        crash(step, self.root)

    def finish(self) -> None:
        """Nothing of this sync is left to put right (it is done, or the merge is the person's now)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _save(self, *, durable: bool) -> None:
        data = json.dumps(asdict(self.intent), indent=1).encode()
        if durable:
            atomic_write(self.path, data)
        else:
            temp = self.path.with_name(self.path.name + ".tmp")
            temp.write_bytes(data)
            os.replace(temp, self.path)


def pending(root: Path) -> SyncIntent | None:
    """The journal of a sync that was interrupted (or is running), if there is one."""
    try:
        data = json.loads((root / layout.SYNC_JOURNAL).read_text(encoding="utf-8"))
        known = {f.name for f in fields(SyncIntent)}
        return SyncIntent(**{k: v for k, v in data.items() if k in known})
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError):  # unreadable: nothing to take back, only to clean up
        return SyncIntent(pid=0, remote="?", branch="?", head=None, step="?")


def heal(store: Store) -> str | None:
    """Put right a sync that was interrupted (see the module's docstring); one line saying what was
    done, or None. Never touches the sync of a live process (it holds the writers' lock)."""
    if not (store.root / layout.SYNC_JOURNAL).exists():
        return None  # the usual case: one stat
    with store.try_lock() as mine:
        if not mine:
            return None
        return heal_held(store.root, store.git_dir)


def heal_held(root: Path, git_dir: Path) -> str | None:
    """:func:`heal`, by a process that holds the writers' lock."""
    intent = pending(root)
    if intent is None:
        return None
    idle = interrupted.nobody_working(root)
    if idle is None:  # this system cannot list processes: only a journal too old to be a live git's
        idle = time.time() - (root / layout.SYNC_JOURNAL).stat().st_mtime > locks.STALE_AFTER_SECONDS
    if not idle:
        return "a sync was interrupted and its git is still working here; run `caseflow sync` when it has finished"
    try:
        return _heal(root, git_dir, intent)
    except (OSError, GitFailed) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else exc.reason
        return f"a sync was interrupted and could not be put right yet ({reason}); `caseflow sync` tries again"


def _heal(root: Path, git_dir: Path, intent: SyncIntent) -> str:
    interrupted.remove_leftovers(root, git_dir)  # first: git's index.lock would stop the rest
    for temp in (*(root / layout.LOCAL_DIR).glob(".sync.json.*.tmp"), root / f"{layout.SYNC_JOURNAL}.tmp"):
        temp.unlink(missing_ok=True)  # the journal's own, killed while it was written
    head = current_head(root)
    merge_head = _merge_head(git_dir)
    when = _WHEN.get(intent.step, "")
    if intent.merging and intent.theirs and intent.head is not None and head == intent.head:
        drafts = root / layout.DRAFTS / f"recovered-sync-{time.strftime('%Y%m%d-%H%M%S')}"
        kept = interrupted.undo_merge(root, intent.head, intent.theirs, drafts)
        _forget_conflicts(root)  # recorded by the driver for this merge: the next one records its own
        message = (
            "a sync was interrupted while merging; its merge was taken back (both sides are whole in "
            "their commits): `caseflow sync` merges again"
        )
        if kept:
            with contextlib.suppress(OSError):
                os.chmod(drafts, 0o700)
            message += f"; {len(kept)} file(s) that were neither side's are kept in {drafts.relative_to(root)}"
    else:
        if merge_head is not None and head is not None and _is_ancestor(root, merge_head, head):
            interrupted.clear_merge_state(git_dir)  # the merge was committed; git died before tidying up
        message = f"a sync was interrupted{when}; cleaned up after it: `caseflow sync` finishes it"
        if intent.step == "sync-push":
            message = "a sync was interrupted after it had pushed; cleaned up after it"
    (root / layout.SYNC_JOURNAL).unlink(missing_ok=True)
    return message


_WHEN = {
    "sync-journal": " before fetching",
    "sync-fetch": " after fetching",
    "sync-access-flush": " while sharing the access record",
    "sync-access-join": " while sharing the access record",
    "sync-access-push": " after sharing the access record",
    "sync-merge-start": " while merging",
    "sync-merge": " while merging",
    "sync-commit": " after committing its merge, before pushing",
}


def _merge_head(git_dir: Path) -> str | None:
    try:
        return (git_dir / "MERGE_HEAD").read_text().split()[0]
    except (FileNotFoundError, IndexError):
        return None


def _is_ancestor(root: Path, older: str, newer: str) -> bool:
    from caseflow.core.git.runner import run

    return run(root, "merge-base", "--is-ancestor", older, newer).code == 0


def _forget_conflicts(root: Path) -> None:
    import shutil

    shutil.rmtree(root / layout.CONFLICTS, ignore_errors=True)


def refuse_writes(root: Path) -> None:
    """A StoreError while a merge is not finished (its caller holds the writers' lock, so any sync
    journal left is an interrupted one): a write now would commit the other side's files as one's own."""
    dot_git = root / ".git"
    git_dir = dot_git if dot_git.is_dir() else locks.git_dir(root)  # a stat, but for a worktree
    if (git_dir / "MERGE_HEAD").exists():
        raise StoreError(MERGE_NOT_FINISHED)
    if (root / layout.SYNC_JOURNAL).exists():
        intent = pending(root)
        if intent is not None and intent.merging:
            raise StoreError(MERGE_INTERRUPTED)


# -- the crash switch (tests only) ----------------------------------------------------------------


def crash(step: str, root: Path) -> None:
    """:func:`caseflow.core.journal.crash_point`, plus ``<step>:fetch-leftovers``: what a fetch
    killed while it wrote leaves too (a remote-tracking ref's lock, a temporary pack)."""
    wanted = os.environ.get(CRASH_ENV, "")
    if wanted.split(":")[0] != step:
        return
    if wanted.endswith(":fetch-leftovers"):
        git_dir = locks.git_dir(root)
        remotes = git_dir / "refs" / "remotes"
        for ref in remotes.rglob("*") if remotes.is_dir() else []:
            if ref.is_file() and not ref.name.endswith(".lock"):
                ref.with_name(ref.name + ".lock").write_bytes(b"")
        (git_dir / "objects" / "pack").mkdir(parents=True, exist_ok=True)
        (git_dir / "objects" / "pack" / "tmp_pack_crashed").write_bytes(b"PACK")
    crash_point(step, root)


def crash_whole_sync(step: str) -> None:
    """Kill the sync that runs this process (through git), the processes between and this one, at
    once, as a power cut would, if ``$CASEFLOW_CRASH_AT`` names ``step`` (tests only)."""
    wanted = os.environ.get(CRASH_ENV, "")
    if wanted.split(":")[0] != step:
        return
    sync = int(os.environ.get(SYNC_PID_ENV) or 0)
    chain: list[int] = []
    pid = os.getppid()
    while pid > 1 and len(chain) < 8:
        chain.append(pid)
        if pid == sync:
            break
        pid = _parent_of(pid)
    for ancestor in reversed(chain if sync in chain else []):  # the sync first: it must not go on
        with contextlib.suppress(ProcessLookupError):
            os.kill(ancestor, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


def _parent_of(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])  # after "pid (name) state": the parent's pid
