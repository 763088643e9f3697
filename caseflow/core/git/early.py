"""The working tree's status, started as soon as a whole-caseload read starts.

A warm read of a caseload (``validate``, ``clients``, ``review``, ``due``) spends most of its time in
one ``git status`` of the working tree (1.1 s of 1.5 s at 50,000 clients), and, before starting it,
about 0.2 s loading caseflow, its plugins and the repository's settings. Nothing of that loading
changes what git will answer, so the ``caseflow`` command starts the status first
(:func:`start_status`) and the listing takes its output when it gets there (:func:`take_status`):
the two overlap, on a second core.

The status is the very one the listing would run (:mod:`.commandline`), under the same conditions:

- only where the read will go the way that asks for it: caseflow's kept listing of git's index
  is newer than git's index (else git's index moved on, after a write or a pull, and the read lists
  otherwise), and no interrupted write waits to be put right (the read does that first, under the
  writers' lock);
- git may refresh its index only while this process holds the writers' lock, taken without
  waiting, and only once that refresh lasts (git's index is at least a second old). The lock is
  held until the status is taken or given up, as the listing holds it while its status runs.

A status nobody takes (the read failed, or went another way) is stopped as the process ends: git
removes its own lock files when stopped, and caseflow's lock goes with the descriptor.

Standard library only: this runs before the rest of caseflow is imported.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import subprocess
import time
from pathlib import Path

from caseflow.core.git import commandline
from caseflow.core.layout import JOURNAL, LOCK, STAGED_LISTING

#: The folder whose status a whole-caseload read lists.
FOLDER = "clients"


class _Started:
    """A status under way: its process, its command line and the writers' lock held for it."""

    def __init__(self, process: subprocess.Popen[bytes], command: list[str], lock: int | None) -> None:
        self.process = process
        self.command = command
        self._lock = lock

    def release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # (closing the descriptor lets go of its flock)
            self._lock = None


_started: dict[str, _Started] = {}


def start_status(root: Path) -> bool:
    """Start the status of ``root``'s working tree, for a read about to take the whole caseload's
    snapshot; False where that read would not ask for it (nothing started)."""
    key = _key(root)
    if key in _started:
        return False
    git_index = root / ".git" / "index"  # (a linked worktree's .git is a file: not started)
    try:
        indexed = git_index.stat()
        if os.stat(root / STAGED_LISTING).st_mtime_ns < indexed.st_mtime_ns:
            return False
    except OSError:
        return False
    if (root / JOURNAL).exists():
        return False
    lock = _writers_lock(root)
    optional_locks = lock is not None and time.time() - indexed.st_mtime >= 1.0
    command = commandline.status(FOLDER, whole_tree=True)
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
    _started[key] = _Started(process, command, lock)
    return True


def take_status(root: Path, command: list[str]) -> str | None:
    """The output of the status started for ``root``, where it is ``command`` and git answered;
    None: none was started (or it failed), and the caller runs its own. The writers' lock held for
    it is let go either way."""
    started = _started.pop(_key(root), None)
    if started is None:
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
    if started.process.returncode != 0 or started.command != command:
        return None  # (git's reason, if it fails again, comes from the caller's own run)
    return out.decode("utf-8", "surrogateescape")


def give_up_all() -> None:
    """Stop every status nobody took (at exit)."""
    while _started:
        _, started = _started.popitem()
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
