"""The writers' lock of one clone, taken first come, first served.

Every write (and ``caseflow watch --autocommit``'s commits) holds it across read, modify, write and
commit. A plain ``flock`` is not fair: whoever happens to ask at the moment it is released wins,
so under load one process can lose again and again until it gives up. Here each writer takes a
ticket first, and only the oldest ticket still alive may take the lock:

* ``.caseflow/lock-queue/`` holds one file per ticket, named by its number (``000000000042``), with
  the waiter's pid, its command (``caseflow visit``: never a client's name
  nor the command's arguments) and when it arrived. Numbers come from ``counter`` beside them,
  read and incremented under an ``flock`` of that file; a ticket file appears (by rename) already
  ``flock``-ed by its owner, who holds that lock until it leaves the queue.
* A ticket is alive while its file is ``flock``-ed. The kernel drops the locks of a process that
  dies however it dies, so a killed waiter never blocks the queue, and the pid is never asked
  (``os.kill(pid, 0)`` would be fooled by a pid reused since, or by a killed process its parent
  has not reaped yet). Whoever finds a dead ticket removes it.
* The ticket at the head takes ``.caseflow/lock`` itself with ``flock``: that is the lock other
  code tests without waiting (:meth:`caseflow.core.store.Store.try_lock`), and the one an older
  caseflow takes, so both stay excluded. ``lock-queue/holder`` (a symbolic link to the holder's
  ticket) says who holds it, for the waiters and ``caseflow doctor`` (:func:`holder`).

The wait is bounded by a timeout that scales with the queue: ``wait`` seconds plus
``per_waiter`` seconds for each waiter ahead, renewed each time the queue moves. A long wait
(over :data:`LONG_WAIT_SECONDS`) prints one line saying who holds the lock.

Standard library only, and cheap: an uncontended lock costs well under a millisecond.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from caseflow.core import layout
from caseflow.errors import LockTimeout, StoreError

#: Seconds a writer waits for the lock when nobody else is waiting (the holder's own write).
WAIT_SECONDS = 15.0
#: Seconds more for each writer waiting ahead.
PER_WAITER_SECONDS = 5.0
#: A wait longer than this prints one line saying who holds the lock.
LONG_WAIT_SECONDS = 2.0
#: Test-only: append one JSON line per lock held (arrival, acquisition, release) to this file.
LOG_ENV = "CASEFLOW_LOCK_LOG"

_COUNTER = "counter"
_HOLDER = "holder"
_TMP = ".tmp."
_DIGITS = 12


@dataclass(frozen=True)
class LockHolder:
    """A process in the writers' queue: the holder, or a waiter."""

    pid: int
    #: What it is doing: the command (``caseflow visit``), never its arguments.
    command: str
    #: Its place in the queue (arrival order).
    ticket: int
    #: When it arrived (seconds since the epoch).
    arrived: float
    #: When it took the lock (None: still waiting).
    since: float | None = None

    def describe(self, now: float | None = None) -> str:
        """``pid 4242 (caseflow visit) has held it for 3 s`` (or ``has waited``, for a waiter)."""
        now = time.time() if now is None else now
        if self.since is None:
            return f"pid {self.pid} ({self.command}) has waited for {_seconds(now - self.arrived)}"
        return f"pid {self.pid} ({self.command}) has held it for {_seconds(now - self.since)}"

    def as_json(self) -> dict[str, object]:
        return {
            "pid": self.pid,
            "command": self.command,
            "ticket": self.ticket,
            "arrived": self.arrived,
            "since": self.since,
        }


def queue_dir(root: Path) -> Path:
    return root / layout.LOCK_QUEUE


def holder(root: Path) -> LockHolder | None:
    """Who holds the writers' lock of the clone at ``root`` now (None: nobody that caseflow knows
    of; a holder that died is nobody). Never waits and never changes the queue."""
    folder = queue_dir(root)
    try:
        name = os.readlink(folder / _HOLDER)
        since = os.lstat(folder / _HOLDER).st_mtime
    except OSError:
        return None
    if not _is_ticket(name):
        return None
    entry = _read_entry(folder / name)
    if entry is None or _liveness(folder / name, remove=False) is not True:
        return None
    return LockHolder(entry.pid, entry.command, entry.ticket, entry.arrived, since)


def queue(root: Path) -> list[LockHolder]:
    """Every live process in the queue, oldest first (the holder, if any, first)."""
    folder = queue_dir(root)
    current = holder(root)
    found = []
    for ticket in _tickets(folder):
        path = folder / _name(ticket)
        entry = _read_entry(path)
        if entry is None or _liveness(path, remove=False) is not True:
            continue
        if current is not None and entry.ticket == current.ticket:
            found.append(current)
        else:
            found.append(LockHolder(entry.pid, entry.command, entry.ticket, entry.arrived))
    return found


def clear_dead(root: Path) -> int:
    """Remove the tickets of processes that are gone (the queue does this itself as it moves;
    ``caseflow doctor --fix`` for a queue nobody has used since). Returns how many."""
    folder = queue_dir(root)
    removed = 0
    for ticket in _tickets(folder):
        if _liveness(folder / _name(ticket), remove=True) is False:
            removed += 1
    with contextlib.suppress(OSError):
        name = os.readlink(folder / _HOLDER)
        if not (folder / name).exists():
            (folder / _HOLDER).unlink()
    return removed


@contextlib.contextmanager
def write_lock(
    root: Path,
    wait: float = WAIT_SECONDS,
    *,
    per_waiter: float = PER_WAITER_SECONDS,
    command: str | None = None,
    notify: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the writers' lock of the clone at ``root`` for the ``with`` block, first come, first served.

    Raises :class:`~caseflow.errors.LockTimeout` (one line, saying who holds it) if the queue does
    not move for ``wait`` seconds plus ``per_waiter`` seconds per writer waiting ahead;
    :class:`~caseflow.errors.StoreError` if the lock cannot be taken at all (a read-only clone).
    ``command``: what the holder is doing, as others are told (default: the running caseflow
    command, ``caseflow visit``); ``notify``: where the one line about a long wait goes (default:
    standard error). Re-entrant within one thread.
    """
    lock = WriteLock(root, wait, per_waiter=per_waiter, command=command, notify=notify)
    lock.acquire()
    try:
        yield
    finally:
        lock.release()


#: Locks held, by (clone, thread): a thread that already holds a clone's lock takes it again freely.
_HELD: dict[tuple[str, int], int] = {}
_HELD_GUARD = threading.Lock()


class WriteLock:
    """The lock itself (:func:`write_lock` is the usual way in): :meth:`acquire`, then :meth:`release`."""

    def __init__(
        self,
        root: Path,
        wait: float = WAIT_SECONDS,
        *,
        per_waiter: float = PER_WAITER_SECONDS,
        command: str | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.root = root
        self.wait = wait
        self.per_waiter = per_waiter
        self.command = command
        self.notify = notify or _to_stderr
        self._key = (os.path.realpath(root), threading.get_ident())
        self._ticket: int | None = None
        self._ticket_fd: int | None = None
        self._lock_fd: int | None = None
        self._reentered = False
        self._log: dict[str, float | int] = {}

    # -- taking it -----------------------------------------------------------------------------

    def acquire(self) -> None:
        with _HELD_GUARD:
            if self._key in _HELD:
                _HELD[self._key] += 1
                self._reentered = True
                return
        started = time.monotonic()
        folder = queue_dir(self.root)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._lock_fd = os.open(self.root / layout.LOCK, os.O_RDWR | os.O_CREAT, 0o600)
            self._enqueue(folder, started + max(self.wait, 1.0))
            self._wait_turn(folder, started)
        except BaseException as exc:
            self._leave(folder)
            if isinstance(exc, OSError):
                raise StoreError(f"cannot take the writers' lock in {layout.LOCAL_DIR}/ ({_why(exc)})") from None
            raise
        with _HELD_GUARD:
            _HELD[self._key] = 1

    def _enqueue(self, folder: Path, deadline: float) -> None:
        """Take the next ticket: its file, ``flock``-ed by us before anyone can see it."""
        counter = os.open(folder / _COUNTER, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _flock_until(counter, deadline, self._timeout_message)
            names = os.listdir(folder)
            for name in names:  # half-made tickets of processes killed while making one (nobody
                if name.startswith(_TMP):  # makes one now: we hold the counter)
                    with contextlib.suppress(OSError):
                        (folder / name).unlink()
            present = [int(name) for name in names if _is_ticket(name)]
            try:
                number = int(os.pread(counter, 32, 0).decode("ascii").strip() or 1)
            except (UnicodeDecodeError, ValueError):
                number = 1  # a counter cut short by a kill: the tickets present say where we are
            number = max(number, max(present) + 1 if present else 1)
            temporary = folder / f"{_TMP}{os.getpid()}.{threading.get_ident()}.{number}"
            fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                entry = {"pid": os.getpid(), "command": self.command or _current_command(), "arrived": time.time()}
                os.write(fd, json.dumps(entry).encode())
                os.rename(temporary, folder / _name(number))
            except BaseException:
                os.close(fd)
                with contextlib.suppress(OSError):
                    temporary.unlink()
                raise
            self._ticket, self._ticket_fd = number, fd  # ours from here on: _leave removes it
            text = f"{number + 1}\n".encode()
            os.pwrite(counter, text, 0)
            os.ftruncate(counter, len(text))
            self._log.update(ticket=number, arrived=time.time())
        finally:
            os.close(counter)  # releases its flock

    def _wait_turn(self, folder: Path, started: float) -> None:
        """Wait until every older ticket is gone, then take ``.caseflow/lock``.

        Waiting costs nothing while the queue stands still: a helper thread blocks on the ``flock``
        of the ticket just ahead of ours, which its owner lets go of when it leaves the queue (or
        the kernel does, when it dies), and wakes us at that very moment. Besides, the queue is
        looked at twice a second (the timeout, the line about a long wait)."""
        assert self._ticket is not None and self._lock_fd is not None
        deadline = 0.0
        last_ahead: int | None = None
        first_ahead: int | None = None
        noted = False
        watched: tuple[int, threading.Event] | None = None
        spurious = 0  # wakings with the same ticket still alive ahead
        busy = 0  # looks at a free queue whose lock another process holds (a non-waiting test of it)
        polling = False  # flock does not wake anyone here (a network file system): look every while
        while True:
            ahead, nearest = self._live_ahead(folder)
            now = time.monotonic()
            if first_ahead is None:
                first_ahead = ahead
            if last_ahead is None or ahead < last_ahead:  # the queue moved: a new allowance
                waiting = max(0, ahead - 1)  # the oldest ticket ahead is the holder's (or about to be)
                deadline = max(deadline, now + self.wait + self.per_waiter * waiting)
                last_ahead = ahead
            if nearest is None:
                try:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    busy += 1  # tested without waiting (held for milliseconds), or an older caseflow
                else:
                    self._log.update(ahead=first_ahead, acquired=time.time(), waited=now - started)
                    self._announce(folder)
                    return
            if now >= deadline:
                raise LockTimeout(self._timeout_message(now - started, ahead))
            if not noted and now - started >= LONG_WAIT_SECONDS:
                noted = True
                self.notify(self._long_wait_message(ahead))
            pause = min(deadline - now, 0.5)
            if not noted:
                pause = min(pause, max(0.0, started + LONG_WAIT_SECONDS - now))
            if nearest is None:
                time.sleep(min(pause, 0.001 * min(busy, 10)))
                continue
            busy = 0
            if polling:
                time.sleep(min(pause, 0.01))
                continue
            if watched is not None and watched[0] == nearest and watched[1].is_set():
                spurious += 1  # woken, yet the same ticket is alive (another waiter was looking at it)
                polling = spurious >= 3  # or flock does not block here
                watched = None
                continue
            if watched is None or watched[0] != nearest:
                if watched is not None:
                    spurious = 0
                watched = (nearest, _watch(folder / _name(nearest)))
            watched[1].wait(pause)

    def _live_ahead(self, folder: Path) -> tuple[int, int | None]:
        """How many tickets are older than ours, and the nearest of them. Only the nearest is
        checked for life (whoever is behind a dead ticket finds it, so each dead one is found and
        removed as soon as the queue reaches it): a look costs one directory listing and one
        ``flock``, whatever the length of the queue."""
        assert self._ticket is not None
        older = [ticket for ticket in _tickets(folder) if ticket < self._ticket]
        while older and _liveness(folder / _name(older[-1]), remove=True) is not True:
            older.pop()  # gone meanwhile, or its process is: look at the one before it
        return len(older), (older[-1] if older else None)

    def _announce(self, folder: Path) -> None:
        """Point ``holder`` at our ticket (only the holder ever writes it: no two writers race)."""
        assert self._ticket is not None
        link = folder / _HOLDER
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        with contextlib.suppress(OSError):  # who holds it is news, not the lock itself
            os.symlink(_name(self._ticket), link)

    def _long_wait_message(self, ahead: int) -> str:
        current = holder(self.root)
        who = current.describe() if current is not None else "another process holds it"
        queued = f"; {ahead - 1} more waiting ahead of this command" if ahead > 1 else ""
        return f"waiting for the repository's writers' lock: {who}{queued}"

    def _timeout_message(self, waited: float, ahead: int = 0) -> str:
        current = holder(self.root)
        who = f": {current.describe()}" if current is not None else ""
        queued = f", {ahead - 1} more waiting ahead" if ahead > 1 else ""
        return (
            f"another caseflow command is writing to this repository{who}{queued}; waited {_seconds(waited)}; try again"
        )

    # -- letting go ----------------------------------------------------------------------------

    def release(self) -> None:
        if self._reentered:
            with _HELD_GUARD:
                _HELD[self._key] -= 1
            self._reentered = False
            return
        with _HELD_GUARD:
            _HELD.pop(self._key, None)
        self._log["released"] = time.time()
        self._leave(queue_dir(self.root))
        self._write_log()

    def _leave(self, folder: Path) -> None:
        """Leave the queue: the holder link, the lock, then the ticket (whose ``flock`` wakes the
        next in line, who finds the lock free already)."""
        name = _name(self._ticket) if self._ticket is not None else None
        if name is not None:
            with contextlib.suppress(OSError):
                if os.readlink(folder / _HOLDER) == name:
                    (folder / _HOLDER).unlink()
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
        if name is not None:
            with contextlib.suppress(OSError):
                (folder / name).unlink()
        if self._ticket_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._ticket_fd)
        self._ticket = self._ticket_fd = self._lock_fd = None

    def _write_log(self) -> None:
        path = os.environ.get(LOG_ENV)
        if not path or "acquired" not in self._log:
            return
        line = json.dumps({"pid": os.getpid(), **self._log}) + "\n"
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)


# -- the queue's files ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    pid: int
    command: str
    ticket: int
    arrived: float


def _name(ticket: int) -> str:
    return f"{ticket:0{_DIGITS}d}"


def _is_ticket(name: str) -> bool:
    return len(name) == _DIGITS and name.isdigit()


def _tickets(folder: Path) -> list[int]:
    """The ticket numbers in the queue, oldest first (alive or not)."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(int(name) for name in names if _is_ticket(name))


def _read_entry(path: Path) -> _Entry | None:
    try:
        data = json.loads(path.read_bytes())
        return _Entry(
            int(data["pid"]),
            str(data.get("command") or "?"),
            int(path.name),
            float(data.get("arrived") or 0.0),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _liveness(path: Path, *, remove: bool) -> bool | None:
    """Is the ticket at ``path`` alive (True), its process gone (False), or the file gone (None)?
    Alive while its owner holds its ``flock``: the kernel lets go of it when the process ends, so
    neither a pid reused since nor a process left unreaped (a zombie) looks alive. ``remove``: take
    a dead ticket out of the queue."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True  # its owner holds it
        if remove:
            with contextlib.suppress(OSError):
                if os.stat(path).st_ino == os.fstat(fd).st_ino:  # still that file, not a new one
                    path.unlink()
        return False
    finally:
        os.close(fd)


def _watch(path: Path) -> threading.Event:
    """An event set when the ticket at ``path`` is let go of (its owner leaves the queue or dies):
    a daemon thread blocks on a shared ``flock`` of it. (If the waiter gives up first, the thread
    stays blocked until then, holding nothing anyone else waits for.)"""
    gone = threading.Event()

    def wait() -> None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            gone.set()
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
        except OSError:
            pass
        finally:
            os.close(fd)  # releases it at once
            gone.set()

    threading.Thread(target=wait, name="caseflow-writelock-watch", daemon=True).start()
    return gone


def _flock_until(fd: int, deadline: float, message: Callable[[float], str]) -> None:
    """``flock`` the counter; held for microseconds, but a stopped process must not hang us."""
    started = time.monotonic()
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockTimeout(message(time.monotonic() - started)) from None
            time.sleep(0.001)


def _current_command() -> str:
    """The running command as others may be told it: ``caseflow visit`` (click's command path),
    never its arguments (a client id, a note's text)."""
    click = sys.modules.get("click")
    if click is not None:
        with contextlib.suppress(Exception):
            context = click.get_current_context(silent=True)
            if context is not None and context.command_path:
                return str(context.command_path)
    program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if program in ("", "-c", "__main__.py", "-m"):
        program = "python"
    return program


def _seconds(value: float) -> str:
    value = max(0.0, value)
    return f"{value:.1f} s" if value < 10 else f"{value:.0f} s"


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _to_stderr(message: str) -> None:
    print(f"caseflow: {message}", file=sys.stderr, flush=True)


__all__ = [
    "LONG_WAIT_SECONDS",
    "PER_WAITER_SECONDS",
    "WAIT_SECONDS",
    "LockHolder",
    "WriteLock",
    "clear_dead",
    "holder",
    "queue",
    "write_lock",
]
