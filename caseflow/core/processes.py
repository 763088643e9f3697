"""Which live processes hold a file: open, or ``flock``-ed (``caseflow doctor`` asks before it removes
anything another program may be using).

Read from Linux's ``/proc`` without starting a process: ``/proc/<pid>/fd/*`` name every file a
process has open, ``/proc/locks`` every ``flock`` with its owner. Where ``/proc`` cannot be read
(another system, or a process of another user) the answer is None or leaves that process out, and
callers decide as if someone might hold the file (by its age, say). Only a process's short name
(``/proc/<pid>/comm``: ``git``, ``python3``) is ever read, never its arguments: they may hold a
client's id or a note's text.

Standard library only.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterable
from pathlib import Path

_PROC = "/proc"


def can_tell() -> bool:
    """Can this system list other processes' open files (Linux's ``/proc``)?"""
    return os.path.isdir(f"{_PROC}/self/fd")


def holders(paths: Iterable[Path]) -> dict[Path, list[int]] | None:
    """For each of ``paths``, the ids of the other processes that have it open now (None: this
    system cannot tell). One pass over every process's open files, whatever the number of paths."""
    wanted = {os.path.realpath(path): path for path in paths}
    if not can_tell():
        return None
    found: dict[Path, list[int]] = {path: [] for path in wanted.values()}
    if not wanted:
        return found
    me = os.getpid()
    for pid in _pids():
        if pid == me:
            continue
        folder = f"{_PROC}/{pid}/fd"
        try:
            descriptors = os.listdir(folder)
        except OSError:
            continue  # gone meanwhile, or another user's
        for fd in descriptors:
            try:
                target = os.readlink(f"{folder}/{fd}")
            except OSError:
                continue
            path = wanted.get(target)
            if path is not None and pid not in found[path]:
                found[path].append(pid)
    return found


def flock_owner(path: Path) -> int | None:
    """The process that holds an ``flock`` of ``path`` now, as ``/proc/locks`` names it (None: nobody,
    or this system cannot tell: ask :func:`is_flocked`)."""
    try:
        status = os.stat(path)
        text = Path(f"{_PROC}/locks").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    device = f"{os.major(status.st_dev):02x}:{os.minor(status.st_dev):02x}:{status.st_ino}"
    for line in text.splitlines():
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 4242 fe:00:2146571 0 EOF" (a waiter's line starts "1: ->")
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == device and fields[4].isdigit():
            pid = int(fields[4])
            return pid if pid > 0 else None
    return None


def is_flocked(path: Path) -> bool:
    """Does some process hold an ``flock`` of ``path`` now? (Tested by asking for it without
    waiting, and letting go at once; a file that does not exist is held by nobody.)"""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return False
    finally:
        os.close(fd)  # releases what we took


def name(pid: int) -> str | None:
    """A process's short name (``git``, ``python3``), never its arguments; None if it is gone."""
    with contextlib.suppress(OSError):
        return Path(f"{_PROC}/{pid}/comm").read_text(encoding="utf-8", errors="replace").strip() or None
    return None


def _pids() -> list[int]:
    try:
        return [int(entry) for entry in os.listdir(_PROC) if entry.isdigit()]
    except OSError:
        return []
