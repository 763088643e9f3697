"""Writing to the case repository: one lock, atomic files, one commit per action, or nothing.

git itself is run only through :mod:`caseflow.core.git` (this module decides what to write and
when; the git package turns that into git's commands). :class:`Store` is the session's handle
on the working tree: the lock, transactions, and typed questions about the repository's git
state, each answered by the git package.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from caseflow.core import journal, layout, sync_journal, write_notes
from caseflow.core.git import commit as git_commit
from caseflow.core.git import history, indexfile, listing, locks, merging, objects
from caseflow.core.git.commit import CONFLICT_MARKER, Author, commit_message
from caseflow.core.git.config import register_merge_driver
from caseflow.core.git.runner import GitFailed, require_repository
from caseflow.core.git.runner import head as _head
from caseflow.core.journal import Journal, crash_point
from caseflow.core.layout import LOCAL_DIR
from caseflow.core.safefiles import atomic_write, make_parents, refuse_links, remove_empty_parents
from caseflow.core.writelock import write_lock
from caseflow.errors import StoreError

LOCK_WAIT_SECONDS = 15.0


@dataclass
class Transaction:
    """The files one action writes; committed together when the ``with`` block ends."""

    root: Path
    action: str
    client: str | None = None
    writes: dict[str, bytes | None] = field(default_factory=dict)  # None: remove the file
    details: dict[str, str] = field(default_factory=dict)  # extra trailers, e.g. {"Stage": "a -> b"}
    commit: str | None = None  # set once committed

    def write(self, rel: str, data: bytes) -> None:
        self.writes[rel] = data

    def remove(self, rel: str) -> None:
        """Delete a tracked file in the same commit (replacing an imported directory's old files)."""
        self.writes[rel] = None

    def read(self, rel: str) -> bytes | None:
        if rel in self.writes:
            return self.writes[rel]
        try:
            return (self.root / rel).read_bytes()
        except FileNotFoundError:
            return None


class Store:
    """The git working tree of a case repository."""

    def __init__(self, root: Path) -> None:
        self.root = root
        #: Commits this store has made: what was read from history before one is out of date.
        self.generation = 0
        #: Who may commit another person's access-record entries on this clone (the session sets it).
        self.access_authors: Callable[[str], Author | None] | None = None
        #: ((HEAD, version of git's index file), the paths staged then): see :meth:`_staged`.
        self._staged_seen: tuple[tuple[str, tuple[int, ...] | None], frozenset[str]] | None = None

    @contextlib.contextmanager
    def lock(self, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
        """One writer at a time per clone, held across read-modify-write-commit; writers queue
        first come, first served (:mod:`caseflow.core.writelock`), each waiting ``wait`` seconds
        plus a few more for every writer ahead, and told who holds it when the wait is long."""
        with write_lock(self.root, wait=wait):
            if (self.root / layout.JOURNAL).exists():
                self._heal_under_lock()
            yield

    def _heal_under_lock(self) -> None:
        """A writer killed while this one waited for the lock left its journal: put it right
        before writing (beginning a journal would throw the other one away). Never this
        process's own write in progress (a lock taken again inside it)."""
        intent = journal.pending(self.root)
        if intent is not None and intent.pid == os.getpid():
            return
        try:
            healed = journal.heal(self.root)
        except (OSError, GitFailed) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else exc.reason
            raise StoreError(
                f"an interrupted write could not be put right ({reason}); nothing was changed (caseflow doctor)"
            ) from None
        if healed:
            sys.stderr.write(f"warning: {healed}\n")

    def uncommitted(self, paths: list[str]) -> list[str]:
        """Those of ``paths`` with changes not yet committed (a person's edit in progress).

        ``git status`` of a path reads git's index, refreshes it, scans for untracked files and may
        rewrite the index: a fifth of a write at 10,000 clients. So a file is first compared here
        with HEAD's blob (its bytes hashed as git does, its executable bit) and with what is staged
        (the list a write needs anyway, :meth:`_staged`); only a path that may differ, or that is no
        plain file, is asked of ``git status``, whose answer stays the one returned."""
        suspects = self._maybe_uncommitted(paths)
        return listing.uncommitted(self.root, suspects) if suspects else []

    def _maybe_uncommitted(self, paths: list[str]) -> list[str]:
        """Those of ``paths`` not shown to be exactly as committed (a file, or absent, in both)."""
        plain = [p for p in paths if _plain_path(p)]
        head = _head(self.root) if plain else None
        if head is None:
            return paths
        try:
            staged = self._staged(head, known_only=True)
            if staged is None:  # (what is staged and HEAD's files there, asked of git at once)
                staged, committed = listing.staged_and_committed(self.root, plain)
                self._staged_seen = ((head, _file_version(self.git_dir / "index")), staged)
            else:
                committed = listing.committed_entries(self.root, plain)
        except StoreError:
            return paths
        ask = [p for p in plain if p not in staged]
        return [p for p in paths if p not in ask or not self._as_committed(p, committed.get(p))]

    def _as_committed(self, rel: str, entry: tuple[str, str] | None) -> bool:
        """Does the working tree hold exactly HEAD's ``entry`` at ``rel`` (None: nothing there)?"""
        try:
            info = os.lstat(self.root / rel)
        except FileNotFoundError:
            return entry is None
        except OSError:
            return False
        if entry is None or not stat.S_ISREG(info.st_mode) or entry[0] not in ("100644", "100755"):
            return False  # untracked, a folder, a link or a submodule: git status says what it is
        if (entry[0] == "100755") != bool(info.st_mode & stat.S_IXUSR):
            return False
        try:
            data = (self.root / rel).read_bytes()
        except OSError:
            return False
        return objects.blob_id(data, len(entry[1])) == entry[1]

    def _staged(self, head: str, known_only: bool = False) -> frozenset[str] | None:
        """The paths staged differently from HEAD (:func:`caseflow.core.git.listing.staged_set`),
        kept while HEAD and git's index file stay the same (git replaces the index file whenever it
        changes it, so its inode, size and times name one version); None if git cannot tell (or,
        ``known_only``, if it is not known yet)."""
        key = (head, _file_version(self.git_dir / "index"))
        if self._staged_seen is not None and self._staged_seen[0] == key and key[1] is not None:
            return self._staged_seen[1]
        if known_only:
            return None
        try:
            staged = listing.staged_set(self.root)
        except StoreError:
            return None
        self._staged_seen = (key, staged)
        return staged

    def _lock_file(self) -> int:
        """The lock file's descriptor (``.caseflow/lock``, private); closing it releases the lock."""
        layout.local_dir(self.root).mkdir(exist_ok=True)
        return os.open(self.root / layout.LOCK, os.O_RDWR | os.O_CREAT, 0o600)

    def worktree_listing(
        self, folder: str, whole_tree: bool = True
    ) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
        """:func:`caseflow.core.git.listing.listing` of ``folder``; git may refresh its own index only
        while no caseflow command is writing."""
        with self.try_lock() as mine:
            return listing.listing(self.root, folder, mine and self._refresh_lasts(), whole_tree)

    def staged_under(self, folders: list[str]) -> tuple[dict[str, tuple[str, str]], bool]:
        """:func:`caseflow.core.git.listing.staged_under`: what git's index stages under ``folders``."""
        return listing.staged_under(self.root, folders)

    def status_under(self, folder: str, inner_rules: bool) -> dict[str, str]:
        """:func:`caseflow.core.git.listing.status_under`; git may refresh its own index only while
        no caseflow command is writing. Where the ``caseflow`` command started that status as it
        began (:mod:`caseflow.core.git.early`, under the same lock), its output is taken instead."""
        started = listing.started_status_under(self.root, folder, inner_rules)
        if started is not None:
            return started
        with self.try_lock() as mine:
            return listing.status_under(self.root, folder, mine and self._refresh_lasts(), inner_rules)

    def status_and_files_at(
        self, folder: str, inner_rules: bool, commit: str, folders: list[str], refresh: bool
    ) -> tuple[listing.HeadStatus, dict[str, tuple[str, str]]]:
        """:func:`caseflow.core.git.listing.status_and_files_at`; git may refresh its own index
        only where ``refresh`` asks it to and no caseflow command is writing. Where the ``caseflow``
        command started that status as it began (:mod:`caseflow.core.git.early`), it is taken."""
        started = listing.started_status_and_files_at(self.root, folder, inner_rules, commit, folders)
        if started is not None:
            return started
        with self.try_lock() as mine:
            refresh = refresh and mine and self._refresh_lasts()
            return listing.status_and_files_at(self.root, folder, inner_rules, commit, folders, refresh)

    def status_started_after_a_write(self) -> bool:
        """Did the ``caseflow`` command start, as it began, the status a read asks for after
        caseflow's own write (:mod:`caseflow.core.git.early`), still to be taken?"""
        return listing.started_after_a_write(self.root)

    def started_head_status(self, folder: str, inner_rules: bool) -> listing.HeadStatus | None:
        """:func:`caseflow.core.git.listing.started_head_status`: that status, once git answers."""
        return listing.started_head_status(self.root, folder, inner_rules)

    def leave_head_status(self, status: listing.HeadStatus) -> None:
        """:func:`caseflow.core.git.listing.leave_head_status`: that status, to be taken once more."""
        listing.leave_head_status(self.root, status)

    def _refresh_lasts(self) -> bool:
        """:func:`caseflow.core.git.indexfile.refresh_lasts` of this clone's index."""
        try:
            return indexfile.refresh_lasts((self.git_dir / "index").stat().st_mtime)
        except OSError:
            return True

    def head_and_entries(self, commit: str, folders: list[str]) -> tuple[str, dict[str, tuple[str, str]]]:
        """:func:`caseflow.core.git.listing.head_and_entries`."""
        return listing.head_and_entries(self.root, commit, folders)

    def rules_may_apply(self) -> bool:
        """:func:`caseflow.core.git.listing.rules_may_apply`."""
        return listing.rules_may_apply(self.root)

    def files_at_commit(self, commit: str, folders: list[str]) -> dict[str, tuple[str, str]]:
        """:func:`caseflow.core.git.listing.entries_at`: ``{path: (mode, blob)}`` under ``folders``."""
        return listing.entries_at(self.root, commit, folders)

    def staged_since(self, folder: str, since: str) -> list[str]:
        """:func:`caseflow.core.git.listing.staged_since`: what git's index changed under ``folder``."""
        return listing.staged_since(self.root, folder, since)

    def staged_apart(self, folder: str, commit: str) -> dict[str, str]:
        """:func:`caseflow.core.git.listing.staged_apart`: what git's index stages otherwise than ``commit``."""
        return listing.staged_apart(self.root, folder, commit)

    def head_if_staged_as_committed(self, folder: str) -> str | None:
        """:func:`caseflow.core.git.listing.head_if_staged_as_committed`."""
        return listing.head_if_staged_as_committed(self.root, folder)

    def index_stamp(self) -> bytes | None:
        """:func:`caseflow.core.git.indexfile.index_stamp`: names what git's index stages now."""
        return indexfile.index_stamp(self.root)

    @contextlib.contextmanager
    def try_lock(self) -> Iterator[bool]:
        """The writers' lock if it is free right now (True), else nothing (False): never waits."""
        try:
            fd = self._lock_file()
        except OSError:
            yield False  # a read-only clone: nobody writes here
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

    def is_revision(self, rev: str) -> bool:
        return objects.is_revision(self.root, rev)

    def files_at(self, rev: str, folder: str) -> list[str]:
        """The files under ``folder`` as committed at ``rev``."""
        return listing.files_at(self.root, rev, folder)

    def blob_at(self, rev: str, path: str) -> bytes | None:
        """A file's bytes as committed at ``rev`` (None if it did not exist there)."""
        return objects.blob_at(self.root, rev, path)

    def blob(self, blob_id: str) -> bytes | None:
        """The bytes git keeps under a blob id (an approved version), or None if it has none."""
        return objects.blob(self.root, blob_id)

    def last_change(self, path: str) -> tuple[str, str, str] | None:
        """(commit, author email, ISO date) of the last commit that changed ``path``."""
        return history.last_change(self.root, path)

    def last_changes(self, folder: str, revisions: str = "HEAD") -> dict[str, tuple[str, str, str]]:
        """:meth:`last_change` of every file under ``folder`` at once, in one walk of the history
        (of ``revisions``: ``A..HEAD`` for the commits since A)."""
        return history.last_changes(self.root, folder, revisions)

    def changes_since(self, since: str, folder: str, until: str = "HEAD") -> dict[str, tuple[str, str, str]] | None:
        """:meth:`last_changes` made by the commits after ``since`` up to ``until`` (None if
        ``until`` does not descend from it: history was rewritten, or went back, and nothing
        before can be trusted)."""
        if not history.is_ancestor(self.root, since, until):
            return None
        return self.last_changes(folder, f"{since}..{until}")

    @staticmethod
    def merge_text(base: str, mine: str, theirs: str) -> str | None:
        """Three-way text merge as ``git merge-file`` does it; None when both changed the same lines."""
        return merging.merge_file(base, mine, theirs)

    def mark_resolved(self, path: str) -> None:
        """Stage a file whose merge conflict is settled (git then lets the merge be committed)."""
        merging.mark_resolved(self.root, path)

    @functools.cached_property
    def git_dir(self) -> Path:
        """The repository's git folder (``.git``, or elsewhere for a worktree)."""
        return objects.git_dir(self.root)

    def merge_head(self) -> str | None:
        """The commit being merged in, during a merge."""
        return merging.merge_head(self.git_dir)

    def rebasing(self) -> bool:
        """A rebase (or cherry-pick) is replaying commits: git's "ours" is then the upstream."""
        return merging.rebasing(self.git_dir)

    def ensure_merge_driver(self, command: str) -> None:
        """Register caseflow's merge driver in this clone's git config (git never copies config)."""
        register_merge_driver(self.root, command)

    def last_author_email(self, path: str, rev: str = "HEAD") -> str | None:
        """Email of whoever made the last committed change to ``path`` (as of ``rev``)."""
        return history.last_author_email(self.root, path, rev)

    def head(self) -> str | None:
        return _head(self.root)

    @contextlib.contextmanager
    def transaction(
        self, author: Author, *, action: str, client: str | None, at: datetime | None = None
    ) -> Iterator[Transaction]:
        """Yield a :class:`Transaction`; on exit write its files and commit them as one commit.

        If anything fails (the block raises, a write fails, git refuses the commit), every file
        is restored, the index is as before and HEAD has not moved.
        """
        with self.lock():
            sync_journal.refuse_writes(self.root)  # never on top of a merge not finished
            tx = Transaction(self.root, action, client)
            yield tx
            if tx.writes:
                env = author.env()
                if at is not None:  # a back-dated commit (the demo's simulated weeks, imports)
                    env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = at.isoformat()
                tx.commit = self._apply(tx, env, commit_message(tx.action, tx.client, tx.details), author.sign_args)
                from caseflow.core.access_record import flush_after_write  # only a write pays its import

                flush_after_write(self.root, author, self.access_authors)  # the reads recorded since
                self.generation += 1

    def _apply(self, tx: Transaction, env: dict[str, str], message: str, sign_args: list[str]) -> str:
        for rel, data in tx.writes.items():
            refuse_links(self.root, rel)
            if data is not None and CONFLICT_MARKER.search(data):
                raise StoreError(f"{rel} holds git conflict markers; caseflow never commits them")
        require_repository(self.root)
        locks.clear_stale(self.root, self.git_dir)  # a git killed earlier (by us or another tool): nobody's lock now
        if (self.git_dir / "index.lock").exists():
            raise StoreError(
                "git's index is locked (.git/index.lock) by a git command running in this repository; "
                "try again when it has finished"
            )
        paths = sorted(tx.writes)
        journal = Journal(self.root)
        # Only git subprocesses, started inside _uninterruptible, so Ctrl-C cannot stop them halfway.
        with _uninterruptible():
            before_head = _head(self.root)
            direct = before_head is not None and self._commits_directly(before_head)
            try:
                journal.begin(action=tx.action, client=tx.client, head=before_head, message=message, writes=tx.writes)
                journal.reached("journal")
                for number, rel in enumerate(paths, 1):
                    target = self.root / rel
                    data = tx.writes[rel]
                    if data is None:
                        with contextlib.suppress(FileNotFoundError):
                            target.unlink()
                        remove_empty_parents(target.parent, self.root)
                    else:
                        make_parents(target.parent, self.root)
                        atomic_write(target, data)
                    if number == 1:
                        crash_point("files-1", self.root)
                journal.reached("files")
                git_commit.stage(self.root, paths)
                journal.reached("staged")
                if direct:
                    assert before_head is not None
                    tree = git_commit.write_tree(self.root)
                    journal.reached("tree")
                    commit = git_commit.commit_tree(self.root, tree, before_head, message, env, sign_args)
                    journal.reached("commit", commit=commit)
                    git_commit.move_head_from(self.root, before_head, commit, message)
                    stamp = indexfile.index_stamp(self.root)
                    if stamp is not None:  # git's index stages exactly this commit now: the next read need not ask
                        write_notes.record(self.root, write_notes.WriteNote(before_head, commit, stamp, tuple(paths)))
                else:
                    git_commit.commit_paths(self.root, message, paths, env)
                    commit = _head(self.root) or ""
                journal.reached("ref")
                journal.finish()
                return commit
            except BaseException as exc:
                self._undo(exc)
                raise

    def _undo(self, exc: BaseException) -> None:
        """Put back what a failed write changed (see :func:`caseflow.core.journal.undo`) and say
        why it failed in one line; a write that cannot even be undone (the disk is full) is left
        to the journal, which the next command heals."""
        why = "a write was interrupted"
        if isinstance(exc, GitFailed):
            why = f"git refused the commit ({exc.reason})"
        elif isinstance(exc, OSError):
            why = f"could not write ({exc.strerror or exc})"
        try:
            journal.undo(self.root)
        except (OSError, GitFailed) as second:
            reason = second.strerror if isinstance(second, OSError) else second.reason
            if isinstance(exc, OSError | GitFailed):
                raise StoreError(
                    f"{why}; nothing was committed, and undoing the written files failed too ({reason}): "
                    "the next caseflow command puts them back"
                ) from None  # the journal is marked abandoned: it is undone, never finished
            raise
        if isinstance(exc, OSError | GitFailed):
            raise StoreError(f"{why}; nothing was changed") from None

    def take_back(self, before: str, paths: list[str]) -> None:
        """Undo this clone's own last commits of an action made of several (an import, one
        commit per client, refused as a whole when one of them fails): HEAD points at ``before``
        again, and ``paths`` (files those commits added) leave the index and the working tree.
        Call it holding the lock (:meth:`lock`), with nothing else committed meanwhile."""
        with _uninterruptible():
            git_commit.move_head(self.root, before)
            git_commit.unstage(self.root, paths)
            for rel in paths:
                target = self.root / rel
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()
                remove_empty_parents(target.parent, self.root)
        self.generation += 1

    def heal(self) -> str | None:
        """Finish or undo a write that was interrupted (a killed process); one line saying what was
        done, or None. Never touches the write of a live process (it holds the writers' lock)."""
        if not (self.root / layout.JOURNAL).exists():
            return None  # the usual case: one stat
        with self.try_lock() as mine:
            if not mine:
                return None
            try:
                return journal.heal(self.root)
            except (OSError, GitFailed) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else exc.reason
                return f"an interrupted write could not be put right yet ({reason}); `caseflow doctor` says more"

    def _commits_directly(self, head: str) -> bool:
        """May a commit be made with git's plumbing? See :func:`caseflow.core.git.commit.commits_plainly`
        (what is staged, asked once per version of git's index: :meth:`_staged`)."""
        staged = self._staged(head)
        return git_commit.commits_plainly(self.root, self.git_dir, None if staged is None else not staged)

    def commit_files(
        self,
        author: Author,
        files: Mapping[str, bytes | None],
        *,
        action: str,
        client: str | None,
        keep: Callable[[str, bytes | None], bool] | None = None,
    ) -> str | None:
        """Commit exactly these bytes without touching the working tree (``caseflow watch``):
        see :func:`caseflow.core.git.plumbing.commit_files`, which this runs under the lock."""
        from caseflow.core.git.plumbing import commit_files  # only `caseflow watch` pays its import

        for rel, data in files.items():
            refuse_links(self.root, rel)
            if data is not None and CONFLICT_MARKER.search(data):
                raise StoreError(f"{rel} holds git conflict markers; caseflow never commits them")
        with self.lock():  # keep() is asked under it, right before committing
            sync_journal.refuse_writes(self.root)
            return commit_files(
                self.root,
                author,
                files,
                scratch=self.root / layout.SCRATCH,
                action=action,
                client=client,
                keep=keep,
                journal=Journal(self.root),  # journaled like any write: a killed commit is healed
            )


def _plain_path(rel: str) -> bool:
    """A path written as git lists it (relative, no ``.``/``..`` parts, no doubled or trailing ``/``)."""
    parts = rel.split("/")
    return bool(rel) and all(part not in ("", ".", "..") for part in parts)


def _file_version(path: Path) -> tuple[int, ...] | None:
    """What names one version of a file that is only ever replaced whole (None: no such file)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


@contextlib.contextmanager
def _uninterruptible() -> Iterator[None]:
    """Hold Ctrl-C while files are written, staged and committed: half an action is worse than a
    second's wait. SIG_IGN rather than a handler, because the git processes started meanwhile
    inherit an ignored signal (a terminal sends Ctrl-C to them too) but not a Python handler.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


__all__ = [
    "CONFLICT_MARKER",
    "LOCAL_DIR",
    "Author",
    "Store",
    "Transaction",
    "atomic_write",
    "commit_message",
]
