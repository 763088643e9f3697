"""Watch mode: check each document as soon as its save settles, and (optionally) commit valid
changes, one commit per client after a quiet period.

What is committed is always exactly the bytes that were read once and checked: right before the
commit, under the repository lock, the file on disk must still be those bytes (same size, mtime
and content), or it waits for the next quiet period. A document that does not pass is reported and
never committed. ``git status`` is consulted at start and every ``reconcile_every`` seconds, since
file system events can be dropped (or happened while no watch ran). Output names only paths,
client ids and problems: never what a document says.

A committed document that disappears is not taken for a deletion at once: editors save by renaming
the document away (vim, Emacs, JetBrains), by removing it and writing it again, or through a
temporary file, and a slow save can leave it missing for longer than the quiet period. It is a
deletion only if it is still gone when its client's folder has been quiet, still gone at a second
look one quiet period later, and no editor's backup, swap or temporary file made since it went
missing lies beside it (a save in progress: looked at again once the folder is next quiet). Each
look asks the file system itself, never git's listing: git's untracked cache can list a file that
is gone, or miss one that is there, when a folder changes twice within one second. Even then it is
committed only with ``allow_delete`` (``watch --allow-delete``); otherwise it is reported once and
left for the person (a deletion by hand is theirs to commit, with ``git rm``, or to undo).
"""

from __future__ import annotations

import os
import queue
import stat
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from caseflow.core.case import blob_id
from caseflow.core.casefiles import CLIENTS_DIR, DOCUMENT_SUFFIXES
from caseflow.core.git import listing
from caseflow.core.git.plumbing import InterruptedWrite
from caseflow.core.textpolicy import read_document_bytes
from caseflow.errors import CaseflowError, DocumentError, LockTimeout, Problem, StoreError
from caseflow.watch.settler import (
    SETTLE_SECONDS,
    Change,
    Observing,
    Settler,
    client_of,
    is_document,
    is_editor_temp,
    start_observer,
)

if TYPE_CHECKING:
    from caseflow.core.store import Author
    from caseflow.session import Session

RECONCILE_SECONDS = 30.0
#: An editor's file beside a missing document counts as a save in progress if it changed no more
#: than this before the document was found missing (the rename away and the event that told us of
#: it are moments apart; a backup left by a save minutes ago is no evidence).
SAVE_EVIDENCE_SECONDS = 5.0
#: How often the loop looks up from waiting for events (to notice a stop request promptly).
TICK_SECONDS = 0.1

Stamp = tuple[int, int, int]  # inode, size, mtime in ns: a save of any kind changes at least one


@dataclass(frozen=True)
class WatchEvent:
    """One thing watch mode reports: a document checked, removed, or committed."""

    #: "checked"; "removed" (found missing: maybe a save in progress); "deleted" (still gone after the
    #: quiet period and a second look, and left uncommitted); "committed"
    kind: str
    path: str
    client: str
    valid: bool | None  # None: the document is gone
    problems: tuple[Problem, ...] = ()
    commit: str | None = None
    fixed: bool = False  # valid again, after being reported invalid
    deleted: bool = False  # a deletion: committed ("committed"), or left for the person ("deleted")

    def as_json(self) -> dict[str, Any]:
        return {
            "event": self.kind,
            "path": self.path,
            "client": self.client,
            "valid": self.valid,
            "problems": [p.as_json() for p in self.problems],
            "commit": self.commit,
            "deleted": self.deleted,
        }


@dataclass
class Tally:
    """What a watch session did, for the summary when it stops."""

    checked: int = 0
    invalid: int = 0
    commits: int = 0
    uncommitted: list[str] = field(default_factory=list)  # valid changes still waiting when it stopped


@dataclass(frozen=True)
class _Pending:
    """A checked change waiting for its client's quiet period: the bytes read, or None (removed)."""

    data: bytes | None
    stamp: Stamp | None


@dataclass
class _Missing:
    """A committed document found missing, and how far the looks at it have got."""

    since_ns: int  # wall-clock time it was found missing (compared with editors' files' ctime)
    looked: bool = False  # still gone when its folder was quiet: one more look decides
    said: bool = False  # reported as a deletion left uncommitted


class Watcher:
    """Judges settled documents and commits valid changes; all work happens in :meth:`run`'s thread."""

    def __init__(
        self,
        repo: Session,
        report: Callable[[WatchEvent], None],
        notice: Callable[[str], None],
        *,
        author: Author | None = None,
        allow_delete: bool = False,
        quiet: float = 2.0,
        settle: float = SETTLE_SECONDS,
        reconcile_every: float = RECONCILE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repo = repo
        self.root = repo.root
        self.report = report
        self.notice = notice
        self.author = author  # None: check only, never commit
        self.allow_delete = allow_delete  # commit deletions that pass both looks (with an author)
        self.settler = Settler(settle, quiet)
        self.reconcile_every = reconcile_every
        self.clock = clock
        self.tally = Tally()
        self._changes: queue.SimpleQueue[Change] = queue.SimpleQueue()
        self._judged: dict[str, str | None] = {}  # path -> blob id of the bytes last judged; None: absent
        self._invalid: set[str] = set()
        self._pending: dict[str, dict[str, _Pending]] = {}  # client -> path -> change to commit
        self._missing: dict[str, _Missing] = {}  # committed documents found missing: deletions, maybe
        self._said: set[str] = set()  # notices given once
        self.observing: Observing | None = None

    def on_change(self, change: Change) -> None:
        """Called from the observer's thread; the work is done in :meth:`run`."""
        self._changes.put(change)

    def start(self, polling: bool = False) -> Observing:
        """Start watching ``clients/`` (inotify, else polling, saying why)."""
        self.observing = start_observer(self.root, self.on_change, polling=polling)
        if self.observing.fallback:
            self.notice(self.observing.fallback)
        return self.observing

    def stop_observing(self) -> None:
        if self.observing is not None:
            self.observing.stop()
            self.observing = None

    def run(self, stop: threading.Event) -> Tally:
        """Work until ``stop`` is set; a step under way (a commit) always finishes first."""
        if self.observing is None:
            self.start()
        self.reconcile()
        next_reconcile = self.clock() + self.reconcile_every
        while not stop.is_set():
            self._take_changes()
            now = self.clock()
            if self.settler.rescan_due(now) or now >= next_reconcile:
                self.reconcile()
                next_reconcile = now + self.reconcile_every
            for path in self.settler.settled(now):
                if stop.is_set():
                    break
                self.judge(path)
            for client in self.settler.quiet_clients(now):
                if stop.is_set():
                    break
                self.quiet(client)
            if self.observing is not None and not self.observing.observer.is_alive() and not stop.is_set():
                self._once("observer", "the file watcher stopped; watching by polling from now on")
                self.stop_observing()
                self.start(polling=True)
                self.reconcile()
        uncommitted = {p for batch in self._pending.values() for p in batch}
        if self.author is not None and self.allow_delete:
            uncommitted.update(self._missing)  # a deletion it would have committed
        self.tally.uncommitted = sorted(uncommitted)
        return self.tally

    def _take_changes(self) -> None:
        """Wait for events until something is due (at most one tick), and feed them all."""
        due = self.settler.next_due()
        wait = TICK_SECONDS if due is None else min(TICK_SECONDS, max(0.0, due - self.clock()))
        try:
            change = self._changes.get(timeout=wait) if wait > 0 else self._changes.get_nowait()
        except queue.Empty:
            return
        while True:
            self.settler.feed(change, self.clock())
            try:
                change = self._changes.get_nowait()
            except queue.Empty:
                return

    def reconcile(self) -> None:
        """Every document ``git status`` lists as changed or untracked is judged again once settled."""
        try:
            _, changed = self.repo.store.worktree_listing(CLIENTS_DIR)
        except StoreError as exc:
            self._once("reconcile", f"could not list changes with git status ({exc}); relying on events")
            return
        now = self.clock()
        for path in changed:
            if is_document(path):
                self.settler.touch(path, now)

    # -- judging ---------------------------------------------------------------------------------

    def judge(self, path: str) -> None:
        """Read the settled document once, check those bytes, report, and queue them if valid."""
        client = client_of(path)
        assert client is not None  # the settler only settles documents
        full = os.path.join(self.root, path)
        before = _stamp(full)
        if before is None:
            self._absent(path, client)
            return
        self._missing.pop(path, None)  # there (again): whatever removed it was a save
        raw: bytes | None = None
        try:
            raw = read_document_bytes(self.root, path)
            problems = self._check(client, path, raw)
        except DocumentError as exc:
            problems = list(exc.problems)
        after = _stamp(full)
        if after != before or (raw is not None and len(raw) != after[1]):
            self.settler.touch(path, self.clock())  # written to while read: judge it once it settles
            return
        digest = blob_id(raw) if raw is not None else f"unreadable {before}"
        valid = not problems
        was_invalid = path in self._invalid
        if self._judged.get(path) != digest or was_invalid == valid:
            self.tally.checked += 1
            self.tally.invalid += not valid
            self.report(WatchEvent("checked", path, client, valid, tuple(problems), fixed=valid and was_invalid))
        self._judged[path] = digest
        if valid:
            self._invalid.discard(path)
        else:
            self._invalid.add(path)
        pending = self._pending.setdefault(client, {})
        if valid and raw is not None and self.author is not None:
            pending[path] = _Pending(raw, before)
        else:
            pending.pop(path, None)  # an invalid document is never committed, nor an older version of it

    def _check(self, client: str, path: str, raw: bytes) -> list[Problem]:
        try:
            return self.repo.check_document(client, path, raw)
        except DocumentError as exc:
            return list(exc.problems)
        except CaseflowError as exc:  # a plugin's check failed: the document is not known to be valid
            return [Problem(path, 0, 0, str(exc))]

    def _absent(self, path: str, client: str) -> None:
        """Found missing: never committed now (see the module's notes); looked at again when quiet."""
        seen = self._judged.get(path, "never")
        self._judged[path] = None
        self._invalid.discard(path)
        self._pending.get(client, {}).pop(path, None)  # nor the bytes checked before it went
        tracked = self._tracked(path)
        if tracked:
            self._missing.setdefault(path, _Missing(time.time_ns()))
        else:
            self._missing.pop(path, None)  # never committed: there is nothing to delete
        if seen is not None and (tracked or seen != "never"):
            self.report(WatchEvent("removed", path, client, None))

    def _tracked(self, path: str) -> bool:
        """In the last commit or in git's index (a removal there is worth committing)."""
        return listing.tracked(self.repo.root, path)  # a repository without commits lists nothing

    # -- deletions -------------------------------------------------------------------------------

    def quiet(self, client: str) -> None:
        """The client's folder has been quiet: look at its missing documents again, then commit."""
        deleted = self.look_at_missing(client)
        committing = self.author is not None and self.allow_delete
        for path in deleted:
            missing = self._missing[path]
            if not committing and not missing.said:
                missing.said = True
                self.report(WatchEvent("deleted", path, client, None, deleted=True))
        self.commit(client, deleted if committing else ())

    def look_at_missing(self, client: str) -> list[str]:
        """The client's missing documents that are deletions: gone at the first look (now, its
        folder quiet) and at a second look one quiet period later, with no save in progress."""
        deleted: list[str] = []
        now = self.clock()
        for path in sorted(p for p in self._missing if client_of(p) == client):
            missing = self._missing[path]
            full = os.path.join(self.root, path)
            if os.path.lexists(full):  # back, and its event not seen (lost, or not yet settled)
                del self._missing[path]
                self.settler.touch(path, now)
            elif _save_in_progress(full, missing.since_ns - int(SAVE_EVIDENCE_SECONDS * 1e9)):
                missing.looked = False  # looked at again when the editor's next event has settled
            elif not missing.looked:
                missing.looked = True
                self.settler.wake(client, now)  # the second look, one quiet period from now
            else:
                deleted.append(path)
        return deleted

    # -- committing ------------------------------------------------------------------------------

    def commit(self, client: str, deletions: Sequence[str] = ()) -> None:
        """Commit the client's checked changes that are still exactly what is on disk, and the
        ``deletions`` (found by :meth:`look_at_missing`) of files still absent."""
        batch = self._pending.pop(client, {})
        if self.author is None:
            return
        batch.update((path, _Pending(None, None)) for path in deletions)
        if not batch:
            return
        store = self.repo.store
        if store.merge_head() or store.rebasing():
            self._keep_for_later(client, batch)  # committed after the merge, when the client is next quiet
            self._once("merge", "a merge or rebase is in progress; nothing is committed until it is finished")
            return
        changed_again: list[str] = []

        def keep(path: str, data: bytes | None) -> bool:
            if self._still_on_disk(path, batch[path]):
                return True
            changed_again.append(path)
            return False

        files = {path: pending.data for path, pending in batch.items()}
        try:
            commit = self._commit_files(client, files, keep)
        except LockTimeout as exc:
            self._keep_for_later(client, batch)
            self.settler.wake(client, self.clock())
            why = str(exc) if isinstance(exc, InterruptedWrite) else "another caseflow command holds the repository"
            self.notice(f"{client}: {why}; committing later")
            return
        except StoreError as exc:
            self.notice(f"{client}: {exc}")  # each says whether anything was committed
            return
        now = self.clock()
        for path in changed_again:  # it changed after it was checked: check it again
            self.settler.touch(path, now)
        for path in deletions:
            if path not in changed_again:
                self._missing.pop(path, None)  # committed (or HEAD had it deleted already)
        if commit is None:
            return
        self.tally.commits += 1
        for path, status in self._changes_in(commit, batch):
            if path in batch:
                deleted = status == "D"
                self.report(
                    WatchEvent("committed", path, client, None if deleted else True, (), commit, False, deleted)
                )

    def _commit_files(
        self, client: str, files: dict[str, bytes | None], keep: Callable[[str, bytes | None], bool]
    ) -> str | None:
        """``Store.commit_files``, after healing a write killed since watch started (its own, or
        another command's: the one line saying what was done is passed on)."""
        assert self.author is not None
        store = self.repo.store
        for _ in range(3):
            if healed := store.heal():
                self._once(f"healed: {healed}", healed)  # a heal that keeps failing is said once
            try:
                return store.commit_files(self.author, files, action="edit", client=client, keep=keep)
            except InterruptedWrite:  # killed while we waited for the lock: heal it, then commit
                continue
        raise InterruptedWrite("an interrupted write could not be put right yet")

    def _keep_for_later(self, client: str, batch: dict[str, _Pending]) -> None:
        """Back in the queue, but not the deletions: they stay missing (both looks done), and are
        taken again when the client is next quiet, if they are still gone."""
        self._pending[client] = {path: pending for path, pending in batch.items() if pending.data is not None}

    def _still_on_disk(self, path: str, pending: _Pending) -> bool:
        full = os.path.join(self.root, path)
        current = _stamp(full)
        if pending.data is None:
            return current is None and not os.path.lexists(full)
        if current != pending.stamp:
            return False
        try:
            return read_document_bytes(self.root, path) == pending.data
        except DocumentError:
            return False

    def _changes_in(self, commit: str, batch: dict[str, _Pending]) -> list[tuple[str, str]]:
        """(path, status letter) of each file the commit changed."""
        try:
            return listing.changes_in(self.repo.root, commit)
        except Exception:  # git itself interrupted (a Ctrl-C reaches it too): say what was asked for
            return [(path, "D" if pending.data is None else "M") for path, pending in batch.items()]

    def _once(self, key: str, message: str) -> None:
        if key not in self._said:
            self._said.add(key)
            self.notice(message)


def _save_in_progress(full: str, since_ns: int) -> bool:
    """Does an editor's backup, swap or temporary file lie beside this missing document, changed
    since ``since_ns``: its own (``plan.yaml~``, ``.plan.yaml.swp``, ``.#plan.yaml``) or one named
    after no document (vim's ``4913``, gedit's ``.goutputstream-*``)? Asked of the file system."""
    folder, name = os.path.split(full)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return False  # the folder is gone: so is every save in it
    for entry in entries:
        if not is_editor_temp(entry.name):
            continue
        if name not in entry.name and any(suffix in entry.name for suffix in DOCUMENT_SUFFIXES):
            continue  # another document's (a swap file open in another editor)
        try:
            if entry.stat(follow_symlinks=False).st_ctime_ns >= since_ns:
                return True
        except OSError:
            continue  # gone meanwhile
    return False


def _stamp(path: str) -> Stamp | None:
    """Identity, size and mtime of a regular file; None when there is no file (or not a regular one)."""
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return (st.st_ino, -1, st.st_mtime_ns)  # a link or folder: read_document_bytes says what is wrong
    return (st.st_ino, st.st_size, st.st_mtime_ns)
