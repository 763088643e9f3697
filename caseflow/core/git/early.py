"""The working tree's status, started as soon as a whole-caseload read starts.

A warm read of a caseload (``validate``, ``clients``, ``review``, ``due``) spends most of its time in
one ``git status`` of the working tree (1.1 s of 1.5 s at 50,000 clients), and, before starting it,
about 0.2 s loading caseflow, its plugins and the repository's settings. Nothing of that loading
changes what git will answer, so the ``caseflow`` command starts the status first
(:func:`start_status`) and the listing takes its output when it gets there (:func:`take_status`):
the two overlap, on a second core.

The status is the very one the listing would run (:mod:`.commandline`), under the same conditions,
and only where the read will ask for it; never while an interrupted write waits to be put right
(the read does that first, under the writers' lock):

- **warm** (caseflow's kept listing of git's index is newer than git's index): the status of
  :func:`caseflow.core.git.listing.status_under`. git may refresh its index only while this process
  holds the writers' lock, taken without waiting, and only once that refresh lasts (git's index is
  at least a second old). The lock is held until the status is taken or given up, as the listing
  holds it while its own status runs.
- **after caseflow's own write** (HEAD is the last write's commit, :mod:`caseflow.core.write_notes`):
  the status with HEAD of :func:`caseflow.core.git.listing.status_and_files_at`. Where git's index
  is the one the write left, git may not refresh it (the write left it fresh) and no lock is needed;
  where something refreshed it since (a ``git status`` run by hand or by an editor), as warm.

A status nobody takes (the read failed, or went another way) is stopped as the process ends: git
removes its own lock files when stopped, and caseflow's lock goes with the descriptor.

A read that answered ahead of the status after a write (:mod:`caseflow.index.snapshot`) and finds
that it says otherwise leaves its output to be taken once more (:func:`leave_status`): the read is
made again from it, without a second status.

Standard library only (and caseflow's own modules that are): this runs before the rest of caseflow is imported.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import subprocess
from pathlib import Path

from caseflow.core.git import commandline
from caseflow.core.git.headfile import head_commit
from caseflow.core.git.indexfile import index_stamp, refresh_lasts
from caseflow.core.layout import JOURNAL, LOCK, STAGED_LISTING
from caseflow.core.write_notes import last as last_noted_write


class _Started:
    """A status under way: its process, its command line and the writers' lock held for it."""

    def __init__(
        self, process: subprocess.Popen[bytes], command: list[str], optional_locks: bool, lock: int | None
    ) -> None:
        self.process = process
        self.command = command
        self.optional_locks = optional_locks
        self._lock = lock

    def release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # (closing the descriptor lets go of its flock)
            self._lock = None


_started: dict[str, _Started] = {}
#: Statuses taken and left to be taken once more (:func:`leave_status`): ``{root: (command, output)}``.
_left: dict[str, tuple[list[str], str]] = {}


def start_status(root: Path) -> bool:
    """Start the status of ``root``'s working tree that a read of the whole caseload is about to
    ask for; False where it would ask for none, or for another (nothing started)."""
    key = _key(root)
    if key in _started or key in _left or (root / JOURNAL).exists():
        return False
    try:
        indexed = (root / ".git" / "index").stat()  # (a linked worktree's .git is a file: not started)
        listed = os.stat(root / STAGED_LISTING)
    except OSError:
        return False
    if listed.st_mtime_ns >= indexed.st_mtime_ns:
        lock = _writers_lock(root)
        optional_locks = lock is not None and refresh_lasts(indexed.st_mtime)
        return _start(key, root, commandline.status("clients", whole_tree=True), optional_locks, lock)
    last = last_noted_write(root)
    if last is None or last.commit != head_commit(root):
        return False  # (HEAD moved otherwise than by caseflow's writes: the read lists everything)
    if last.stamp == index_stamp(root):  # git's index as the write left it: never refreshed
        return _start(key, root, commandline.status_v2(), False, None)
    lock = _writers_lock(root)  # (refreshed since, by a git status: the read lets git refresh it again)
    optional_locks = lock is not None and refresh_lasts(indexed.st_mtime)
    return _start(key, root, commandline.status_v2(), optional_locks, lock)


def _start(key: str, root: Path, command: list[str], optional_locks: bool, lock: int | None) -> bool:
    try:
        process = subprocess.Popen(
            [*commandline.git_with(optional_locks), *command],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError:  # (no git: the listing says so in its own words)
        if lock is not None:
            os.close(lock)
        return False
    if not _started:
        atexit.register(give_up_all)
    _started[key] = _Started(process, command, optional_locks, lock)
    return True


def after_a_write(root: Path) -> bool:
    """Is a status started for ``root`` the one a read asks for after caseflow's own write (still
    running, or not yet taken)? The read then replays the write's commit too: it can do so while
    git lists the working tree."""
    key = _key(root)
    started = _started.get(key)
    command = started.command if started is not None else _left.get(key, (None,))[0]
    return command == commandline.status_v2()


def take_status(root: Path, command: list[str]) -> str | None:
    """The output of the status started for ``root``, where it is ``command`` and git answered;
    None: none was started, another, or it failed, and the caller runs its own. The writers' lock
    held for it is let go either way."""
    left = _left.pop(_key(root), None)
    if left is not None:
        return left[1] if left[0] == command else None
    started = _started.pop(_key(root), None)
    if started is None:
        return None
    if started.command != command:
        _give_up(started)
        return None
    from caseflow.core.git.runner import DEFAULT_TIMEOUT

    try:
        out, _ = started.process.communicate(timeout=DEFAULT_TIMEOUT)
    except subprocess.TimeoutExpired:  # (stuck: the caller's own run says so, in its words)
        started.process.kill()
        started.process.communicate()
        return None
    finally:
        started.release()
    if started.process.returncode != 0:
        return None  # (git's reason, if it fails again, comes from the caller's own run)
    return out.decode("utf-8", "surrogateescape")


def leave_status(root: Path, command: list[str], output: str) -> None:
    """Leave a status taken (``command``'s ``output``) for the next :func:`take_status` of ``root``:
    a read made again from the same state of the working tree asks for the same status."""
    _left[_key(root)] = (command, output)


def give_up_all() -> None:
    """Stop every status nobody took (at exit)."""
    _left.clear()
    while _started:
        _give_up(_started.popitem()[1])


def _give_up(started: _Started) -> None:
    if started.process.poll() is None:
        started.process.terminate()
    started.process.communicate()
    started.release()


def _key(root: Path) -> str:
    return os.path.realpath(root)


def _writers_lock(root: Path) -> int | None:
    """``.caseflow/lock`` taken without waiting (as :meth:`caseflow.core.store.Store.try_lock`), or
    None: a write holds it, or the folder is read-only."""
    try:
        fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd
