"""What the server keeps between requests: the snapshot of the working tree and what pages
computed from it, refreshed by what a watcher saw change rather than read afresh per request.

A change inside a client's folder takes that client's folder again (one small listing); a change
to git's refs (a commit, a sync) takes again the folders of the clients the commits touched; any
other change that could matter (the settings, git's index moved without a commit, a watcher that
lost events) takes the whole tree again, as a command would. Pages memoize what they compute by
the keeper's generation, which moves whenever anything was taken again.

The keeper serves from the moment the server starts, before its watcher runs (watching every
folder of a large caseload takes seconds): a change by someone else in those seconds shows once
the watcher runs and :meth:`SnapshotKeeper.confirm` has taken the tree whole again.
"""

from __future__ import annotations

import concurrent.futures
import os
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from caseflow.core import write_notes
from caseflow.core.casefiles import CLIENTS_DIR
from caseflow.core.layout import LOCAL_DIR

if TYPE_CHECKING:
    from caseflow.index.snapshot import Snapshot
    from caseflow.session import Session

T = TypeVar("T")

#: git's files whose change means "commits moved" (a commit, a merge, a pull, a reset).
_REFS = (".git/HEAD", ".git/packed-refs", ".git/refs/")
#: Changes that never change what caseflow reads: its own local files, and in git's folder
#: everything but the refs. (git's index is rewritten by every `git status`, ours included, for
#: its stat cache; a commit moves a ref too, and what staging by hand alone changes, a file's
#: status and not its bytes, waits for the next change to that client's folder.)
_IGNORED = (LOCAL_DIR,)  # (as a prefix: the folder and all in it)


class SnapshotKeeper:
    """The working tree's snapshot and a memo of results, kept current by ``changed(path)`` calls."""

    def __init__(self, staging_matters: bool = False) -> None:
        #: Take the tree whole again when git's index moves without a commit (staging by hand):
        #: for a process whose answers must equal a command's to the byte (``caseflow daemon``),
        #: which runs its own git with ``GIT_OPTIONAL_LOCKS=0`` so as never to move the index itself.
        self.staging_matters = staging_matters
        self._index_moved = False
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._head: str | None = None
        self._clients: set[str] = set()
        self._refs_moved = False
        self._everything = True
        self._memo: dict[Any, Any] = {}
        #: Results carried from one generation to the next, checked by whoever uses them (digests).
        self.carried: dict[str, Any] = {}
        self._outside: tuple[tuple[str, int, int], ...] = ()
        self.generation = 0
        self.full_refreshes = 0
        self.partial_refreshes = 0

    def changed(self, path: str) -> bool:
        """A path (relative to the repository) changed: called from the watcher's thread. True if
        it may change what is kept (False: caseflow's own files, git's objects and locks)."""
        if path.startswith(_IGNORED) or path.endswith(".lock"):
            return False
        with self._lock:
            parts = path.split("/")
            if parts[0] == CLIENTS_DIR and len(parts) >= 2:
                self._clients.add(parts[1])
            elif path.startswith(_REFS):
                self._refs_moved = True
            elif path == ".git/index" and self.staging_matters:
                self._index_moved = True
            elif path.startswith(".git/") or path == ".git":
                return False
            else:  # caseflow.yaml, the clients folder itself, anything we cannot place
                self._everything = True
        return True

    def lost_track(self) -> None:
        """Take everything again next time (no watcher, or it failed)."""
        with self._lock:
            self._everything = True

    @property
    def up_to_date(self) -> bool:
        """Nothing changed since the snapshot was last taken (it would be given as it is)."""
        with self._lock:
            return self._snapshot is not None and not (
                self._everything or self._clients or self._refs_moved or self._index_moved
            )

    @property
    def head(self) -> str | None:
        """The commit HEAD named when the snapshot was last brought up to date."""
        return self._head

    def snapshot(self, repo: Session, full: Callable[[], Snapshot]) -> Snapshot:
        """The snapshot as the working tree is now: kept, partly taken again, or whole (``full()``)."""
        from caseflow.core.git import refs
        from caseflow.index.caseload import refresh_clients

        with self._lock:
            everything, clients, refs_moved = self._everything, self._clients, self._refs_moved
            index_alone = self._index_moved and not refs_moved  # staged by hand, or git's stat refresh
            self._everything, self._clients, self._refs_moved, self._index_moved = False, set(), False, False
        try:
            if index_alone and not everything:
                restaged = _restaged(repo, self._head, self._snapshot)
                if restaged is None:
                    everything = True
                else:
                    clients |= restaged
            between: concurrent.futures.Future[set[str]] | None = None
            if refs_moved and not everything:
                head = refs.resolve(repo.root, "HEAD")
                if self._head is None or head is None:
                    everything = True
                elif head != self._head:
                    noted = write_notes.paths_between(repo.root, self._head, head)
                    if noted is not None:  # caseflow's own writes: which clients they touched is noted
                        clients |= _clients_of(noted)
                    else:
                        # (a commit of files the watcher saw written, usually: those clients are
                        # listed while git says which the commits touched)
                        between = _BESIDE.submit(_clients_between, repo, self._head, head)
                        if not clients:
                            clients = between.result()
                self._head = head
            if everything or self._snapshot is None:
                self.carried.clear()  # the settings may have changed, which no digest of documents names
                self._head = refs.resolve(repo.root, "HEAD")
                self._outside = _outside_clients(repo)
                self._snapshot = full()
                self.full_refreshes += 1
            elif clients:
                self._snapshot = refresh_clients(repo, self._snapshot, sorted(clients))
                if between is not None and (more := between.result() - clients):
                    self._snapshot = refresh_clients(repo, self._snapshot, sorted(more))
                self.partial_refreshes += 1
            else:
                return self._snapshot
        except BaseException:
            self.lost_track()
            raise
        self.generation += 1
        self._memo.clear()
        return self._snapshot

    def confirm(self, repo: Session, full: Callable[[], Snapshot]) -> bool:
        """A watcher runs now: take the tree whole again, and keep what was kept (results too) if
        nothing changed since it was taken. True when nothing had."""
        from caseflow.core.git import refs

        with self._lock:
            self._everything = False  # what this takes covers every change seen until now
        head, outside, snapshot = refs.resolve(repo.root, "HEAD"), _outside_clients(repo), full()
        self.full_refreshes += 1
        if self._snapshot is not None and (head, outside, snapshot.entries) == (
            self._head,
            self._outside,
            self._snapshot.entries,
        ):
            return True
        self._head, self._outside, self._snapshot = head, outside, snapshot
        self.carried.clear()
        self.generation += 1
        self._memo.clear()
        return False

    def memo(self, key: Any, build: Callable[[], T]) -> T:
        """``build()`` once per generation of the snapshot (call after :meth:`snapshot`)."""
        if key not in self._memo:
            self._memo[key] = build()
        result: T = self._memo[key]
        return result


#: Runs the tree diff of a commit beside the listing of the clients the watcher named.
_BESIDE = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="caseflow-keeper")


def _clients_between(repo: Session, old: str, new: str) -> set[str]:
    """The clients whose folders differ between two commits (one tree diff)."""
    from caseflow.core.git import objects

    return _clients_of(objects.changed_paths(repo.root, old, new, CLIENTS_DIR))


def _clients_of(paths: Iterable[str]) -> set[str]:
    """The clients whose folders hold these paths."""
    prefix = f"{CLIENTS_DIR}/"
    return {path.split("/")[1] for path in paths if path.startswith(prefix) and path.count("/") >= 2}


def _restaged(repo: Session, head: str | None, snapshot: Snapshot | None) -> set[str] | None:
    """The clients whose files git's index stages otherwise than ``snapshot`` says, HEAD being
    ``head`` still (None: cannot tell). git rewrites its index for its own stat cache too (any
    ``git status`` after a commit does): that changes nothing staged, and takes nothing again."""
    from caseflow.errors import StoreError

    if head is None or snapshot is None:
        return None
    try:
        apart = repo.store.staged_apart(CLIENTS_DIR, head)
    except StoreError:
        return None
    # What the snapshot says is staged apart from HEAD: git's status "XY" with X neither blank
    # nor untracked or ignored; its blob is the staged one where the working tree matches (Y blank).
    known: dict[str, str | None] = {}
    for client_id, entries in snapshot.entries.items():
        for inner, blob, state in entries:
            if state and state[0] not in " ?!":
                known[f"{CLIENTS_DIR}/{client_id}/{inner}"] = blob if state[1] == " " else None
    differ = apart.keys() ^ known.keys()
    differ.update(path for path in apart.keys() & known.keys() if known[path] != apart[path])
    return {path.split("/")[1] for path in differ if path.count("/") >= 2}


def _outside_clients(repo: Session) -> tuple[tuple[str, int, int], ...]:
    """A stamp of the files at the top of the repository (the settings): the watcher sees them."""
    stamps = []
    with os.scandir(repo.root) as found:
        for entry in found:
            if entry.name not in (".git", LOCAL_DIR, CLIENTS_DIR) and entry.is_file(follow_symlinks=False):
                info = entry.stat(follow_symlinks=False)
                stamps.append((entry.name, info.st_mtime_ns, info.st_size))
    return tuple(sorted(stamps))
