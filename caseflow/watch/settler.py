"""Watching ``clients/``: raw file system events in, settled document paths out.

The only module that imports watchdog. Editors save in many ways: writing in place, writing a temp
file and renaming it over the document (an atomic save), vim renaming the document away to
``name~`` and writing a new one (after probing the folder with a file named ``4913``), gedit's
``.goutputstream-*`` files, swap files, Emacs's ``.#name`` and ``#name#``. Every one of them ends
with the document in place and the folder quiet; so a document is judged only once no event has
touched it for a short settle delay, and temp files are never judged at all (they only count as
activity in their client's folder, which holds back that client's commit).

:class:`Settler` is the pure part (events and a clock in, settled paths and quiet clients out);
:func:`start_observer` runs watchdog and feeds it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from caseflow.core.casefiles import CLIENTS_DIR, DOCUMENT_SUFFIXES, MERGED_DIR
from caseflow.core.ids import CLIENT_ID_PATTERN

#: How long a document must go without an event before it is read and checked: long enough to
#: cover the steps of one editor save (rename away, write, close), short enough to feel immediate.
SETTLE_SECONDS = 0.15
#: Polling is the fallback when inotify cannot watch every folder; this keeps results prompt.
POLL_SECONDS = 0.25
RAISE_WATCH_LIMIT = "sudo sysctl fs.inotify.max_user_watches=524288"
WATCH_LIMIT_FILE = "/proc/sys/fs/inotify/max_user_watches"

_CLIENT_ID = re.compile(CLIENT_ID_PATTERN)
#: Temp and backup files of common editors: vim's write probe (``4913``, or a later number if that
#: exists) and swap files, backups (``name~``), Emacs locks and autosaves, gedit's output streams,
#: JetBrains' safe-write files (``name___jb_tmp___``, ``name___jb_old___``), Kate's swap files,
#: and generic ``.tmp`` files.
_EDITOR_TEMP = re.compile(
    r"^(?:\d+|.*~|\.#.*|#.*#|.*\.sw[a-p]|.*\.swx|\.goutputstream-.*|.*\.tmp|.*___jb_(?:tmp|old|bak)___|.*\.kate-swp)$"
)
#: What the settler listens to; opening and reading (caseflow's own reads, git's) never count.
EVENT_KINDS = ("created", "modified", "closed", "moved", "deleted")


@dataclass(frozen=True)
class Change:
    """One file system event, with repository-relative POSIX paths (``dest`` for a rename)."""

    kind: str
    path: str
    dest: str | None = None
    directory: bool = False


def client_of(rel: str) -> str | None:
    """The client whose folder holds ``rel`` (``clients/<ID>/...``), or None."""
    parts = rel.split("/")
    if len(parts) < 3 or parts[0] != CLIENTS_DIR or not _CLIENT_ID.fullmatch(parts[1]):
        return None
    return parts[1]


def is_editor_temp(name: str) -> bool:
    """A file name an editor uses while saving, never a document."""
    return bool(_EDITOR_TEMP.fullmatch(name))


def is_document(rel: str) -> bool:
    """``clients/<ID>/**/*.yaml|yml|md``, no hidden part, not an editor's temp file."""
    if client_of(rel) is None:
        return False
    inner = rel.split("/")[2:]
    if any(part.startswith(".") or not part for part in inner):
        return False
    if inner[0] == MERGED_DIR:
        return False  # a merged client's record, kept as it was
    return inner[-1].endswith(DOCUMENT_SUFFIXES) and not is_editor_temp(inner[-1])


class Settler:
    """Turns events into work, given the time of each (any monotonic clock, in seconds).

    * a document settles ``settle`` seconds after the last event that named it;
    * a client is quiet ``quiet`` seconds after the last event anywhere in its folder (temp files
      included: a save in progress) once none of its documents is still unsettled;
    * a folder created, removed or renamed asks for a rescan (its files have no events of their own).
    """

    def __init__(self, settle: float = SETTLE_SECONDS, quiet: float = 2.0) -> None:
        self.settle = min(settle, quiet)
        self.quiet = quiet
        self._documents: dict[str, float] = {}
        self._clients: dict[str, float] = {}
        self._rescan_at: float | None = None

    def feed(self, change: Change, now: float) -> None:
        if change.kind not in EVENT_KINDS or (change.directory and change.kind in ("modified", "closed")):
            return  # a folder is "modified" by every change of its files, which have events of their own
        for rel in (change.path, change.dest):
            if rel is None:
                continue
            client = client_of(rel) if not change.directory else _client_folder(rel)
            if change.directory:
                if client is not None or rel == CLIENTS_DIR:
                    self._rescan_at = now
                if client is not None:
                    self._clients[client] = now
                continue
            if client is None:
                continue
            self._clients[client] = now
            if is_document(rel):
                self._documents[rel] = now

    def touch(self, rel: str, now: float) -> None:
        """Judge ``rel`` again once it settles (found by a rescan, or read mid-write)."""
        client = client_of(rel)
        if client is not None and is_document(rel):
            self._documents[rel] = now
            self._clients[client] = now

    def wake(self, client: str, now: float) -> None:
        """Ask for the client's quiet period again (a commit that had to wait)."""
        self._clients[client] = now

    def settled(self, now: float) -> list[str]:
        """Documents untouched for the settle delay, oldest first; each is returned once."""
        ready = sorted((at, rel) for rel, at in self._documents.items() if now - at >= self.settle)
        for _, rel in ready:
            del self._documents[rel]
        return [rel for _, rel in ready]

    def quiet_clients(self, now: float) -> list[str]:
        """Clients quiet for the quiet period with every document settled; each is returned once."""
        busy = {client_of(rel) for rel in self._documents}
        ready = sorted(c for c, at in self._clients.items() if now - at >= self.quiet and c not in busy)
        for client in ready:
            del self._clients[client]
        return ready

    def rescan_due(self, now: float) -> bool:
        """A folder changed and has settled: the caller should list what changed (``git status``)."""
        if self._rescan_at is not None and now - self._rescan_at >= self.settle:
            self._rescan_at = None
            return True
        return False

    def next_due(self) -> float | None:
        """When something next becomes ready (for how long the caller may sleep)."""
        times = [at + self.settle for at in self._documents.values()]
        times += [at + self.quiet for at in self._clients.values()]
        if self._rescan_at is not None:
            times.append(self._rescan_at + self.settle)
        return min(times, default=None)

    @property
    def idle(self) -> bool:
        return not (self._documents or self._clients or self._rescan_at is not None)


def _client_folder(rel: str) -> str | None:
    """The client a folder event concerns: the client folder itself or one inside it."""
    parts = rel.split("/")
    if len(parts) >= 2 and parts[0] == CLIENTS_DIR and _CLIENT_ID.fullmatch(parts[1]):
        return parts[1]
    return None


@dataclass
class Observing:
    """A running observer; ``fallback`` says why polling is used instead of inotify, if it is."""

    observer: Any
    polling: bool
    fallback: str | None = None

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(timeout=5)


def start_observer(
    root: Path,
    sink: Callable[[Change], None],
    *,
    polling: bool = False,
    make_observer: Callable[[], Any] | None = None,
) -> Observing:
    """Watch ``root/clients`` recursively, calling ``sink`` (from watchdog's thread) per event.

    inotify is used unless ``polling`` is asked for, or inotify runs out of watches or instances:
    then the reason, with the setting to raise, is in ``fallback`` and polling takes over.
    """
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    folder = root / CLIENTS_DIR
    folder.mkdir(exist_ok=True)  # git keeps no empty folder; a new repository has none yet
    handler = _handler(root, sink)
    fallback = None
    if not polling:
        fallback = _too_many_folders(folder)
    if not polling and fallback is None:
        _pair_renames_promptly()
        observer = (make_observer or Observer)()
        try:
            _schedule(observer, handler, folder)
            observer.start()
            return Observing(observer, polling=False)
        except OSError as exc:
            fallback = _inotify_problem(exc)
            if fallback is None:
                raise
            with contextlib.suppress(Exception):
                observer.stop()
    observer = PollingObserver(timeout=POLL_SECONDS)
    _schedule(observer, handler, folder)
    observer.start()
    return Observing(observer, polling=True, fallback=fallback)


def _schedule(observer: Any, handler: Any, folder: Path) -> None:
    from watchdog.events import (
        DirCreatedEvent,
        DirDeletedEvent,
        DirMovedEvent,
        FileClosedEvent,
        FileCreatedEvent,
        FileDeletedEvent,
        FileModifiedEvent,
        FileMovedEvent,
    )

    kinds = [FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileMovedEvent, FileDeletedEvent]
    kinds += [DirCreatedEvent, DirDeletedEvent, DirMovedEvent]
    observer.schedule(handler, str(folder), recursive=True, event_filter=kinds)


def _handler(root: Path, sink: Callable[[Change], None]) -> Any:
    from watchdog.events import FileSystemEvent, FileSystemEventHandler

    base = os.fspath(root)

    def relative(path: bytes | str) -> str | None:
        rel = os.path.relpath(os.fsdecode(path), base).replace(os.sep, "/")
        return None if rel.startswith("../") or rel == ".." else rel

    class Forward(FileSystemEventHandler):
        def dispatch(self, event: FileSystemEvent) -> None:
            path = relative(event.src_path)
            dest = relative(event.dest_path) if event.dest_path else None
            if path is not None:
                sink(Change(event.event_type, path, dest, bool(event.is_directory)))

    return Forward()


def _inotify_problem(exc: OSError) -> str | None:
    if exc.errno == errno.ENOSPC:
        return (
            "inotify watch limit reached (fs.inotify.max_user_watches); watching by polling instead, "
            f"which is slower. To raise the limit: {RAISE_WATCH_LIMIT} "
            "(add fs.inotify.max_user_watches=524288 to /etc/sysctl.conf to keep it)"
        )
    if exc.errno == errno.EMFILE:
        return (
            "inotify instance limit reached (fs.inotify.max_user_instances); watching by polling instead. "
            "To raise it: sudo sysctl fs.inotify.max_user_instances=1024"
        )
    return None


def _too_many_folders(folder: Path, limit_file: str | None = None) -> str | None:
    """inotify needs a watch per folder, and watchdog silently skips sub-folders it cannot watch;
    so a tree with more folders than the whole limit is known to fail before it is tried."""
    if watch_limit(folder, limit_file) is None:
        return None
    return _inotify_problem(OSError(errno.ENOSPC, "inotify watch limit reached"))


def watch_limit(folder: Path, limit_file: str | None = None) -> int | None:
    """The limit of inotify watches, where ``folder`` holds as many folders or more (else None)."""
    try:
        limit = int(Path(limit_file or WATCH_LIMIT_FILE).read_text().strip())
    except (OSError, ValueError):
        return None
    folders = 1
    for _, dirs, _ in os.walk(folder):
        folders += len(dirs)
        if folders >= limit:
            return limit
    return None


#: What ``observe_repository`` tells its sink when events were lost (not a path: everything may
#: have changed, and whatever keeps what it read takes it all again).
EVENTS_LOST = ":events-lost:"


#: How long watchdog holds the first half of a rename, waiting for the second, holding back every
#: event after it meanwhile. Its default, half a second, held a resident index's answer that long
#: now and then after a write: the cookie it waits for was queued behind a rename whose halves
#: the reader thread took apart. Both halves of a rename within the watched tree are made at once;
#: one out of it is passed on as a deletion (which says the same to what watches here).
RENAME_PAIRING_SECONDS = 0.02


def _pair_renames_promptly() -> None:
    from watchdog.observers.inotify_move_event_grouper import InotifyMoveEventGrouper

    InotifyMoveEventGrouper.delay = RENAME_PAIRING_SECONDS


def observe_repository(root: Path, sink: Callable[[str], object], whole: bool = False) -> Observing | None:
    """Tell ``sink`` (from watchdog's thread) the repository path of every change that could change
    what caseflow reads: client documents, the settings at the top, git's index and refs. For a
    process that keeps what it read between requests (``caseflow serve``, ``caseflow daemon``).
    None where inotify is not available: polling every file of a large caseload would cost more
    than reading afresh.

    ``whole``: one watch over the whole repository (git's objects too), so that every event comes
    through one inotify queue, in the order it happened: a file this process writes anywhere in
    it (a cookie) is then seen only after every change made before it.
    """
    from watchdog.events import (
        DirCreatedEvent,
        DirDeletedEvent,
        DirMovedEvent,
        EventsLostEvent,
        FileClosedEvent,
        FileCreatedEvent,
        FileDeletedEvent,
        FileMovedEvent,
        FileSystemEvent,
        FileSystemEventHandler,
    )
    from watchdog.observers import Observer

    base = os.fspath(root)
    whole_repository_events = [
        FileCreatedEvent,
        FileClosedEvent,
        FileMovedEvent,
        FileDeletedEvent,
        DirCreatedEvent,
        DirDeletedEvent,
        DirMovedEvent,
        EventsLostEvent,
    ]

    # Reading a file (opened, closed without writing) changes nothing; a folder's "modified" is
    # the file inside it, reported on its own.
    writes = {"created", "modified", "moved", "deleted", "closed"}

    class Forward(FileSystemEventHandler):
        def dispatch(self, event: FileSystemEvent) -> None:
            if event.event_type == "events_lost":  # the kernel's queue overflowed: anything may have changed
                sink(EVENTS_LOST)
                return
            if event.event_type not in writes or (event.is_directory and event.event_type == "modified"):
                return
            for path in (event.src_path, event.dest_path):
                if path:
                    sink(os.path.relpath(os.fsdecode(path), base).replace(os.sep, "/"))

    (root / CLIENTS_DIR).mkdir(exist_ok=True)
    if _too_many_folders(root / CLIENTS_DIR) is not None:
        return None
    _pair_renames_promptly()
    observer = Observer()
    handler = Forward()
    try:
        if whole:
            # Not "modified": a file written in place is closed after writing too, and a database
            # kept open (the index) would otherwise flood the queue until it overflows.
            observer.schedule(handler, base, recursive=True, event_filter=whole_repository_events)
            observer.start()
            return Observing(observer, polling=False)
        observer.schedule(handler, str(root / CLIENTS_DIR), recursive=True)
        observer.schedule(handler, base, recursive=False)
        observer.schedule(handler, str(root / ".git"), recursive=False)
        if (root / ".git" / "refs").is_dir():
            observer.schedule(handler, str(root / ".git" / "refs"), recursive=True)
        observer.start()
    except OSError:
        with contextlib.suppress(Exception):
            observer.stop()
        return None
    return Observing(observer, polling=False)
