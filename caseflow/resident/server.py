"""The resident index's side: answer read commands by running them here, over a kept snapshot.

A question is a whole command line; the answer is what that command prints and its exit code,
made by the very same code in this process (:mod:`caseflow.cli`), with the asker's environment,
folder and terminal, so that it cannot differ from the answer the command would compute itself.
What is kept between questions is what cannot have changed: the plugins, the snapshot of the
working tree and the history's ledger (:class:`~caseflow.resident.keeper.SnapshotKeeper`, taken
again where the watcher saw change), the index's open database.

Before answering, a cookie file is written into ``.caseflow/`` and the answer waits until the
watcher has seen it: one inotify queue over the whole repository delivers events in order, so
every change made before the question (by any process) has been taken into account.

Questions are answered one at a time; one that comes while another is answered waits, and its
command, if it tires of waiting (:data:`caseflow.resident.client.ACCEPT_SECONDS`), computes the
answer itself.

After a change (a write's commit, a document saved), once no caseflow command holds the writers'
lock and the repository has been quiet for a moment, the last few questions asked are answered
again into nothing (:mod:`caseflow.resident.ahead`): what they read is taken again and their
results are made while the writer's process ends and the next command starts, so that the next
question finds them made. A question that comes meanwhile waits only for the one being answered
ahead.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import select
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow import __version__
from caseflow.core import writelock
from caseflow.core.layout import LOCK, LOCK_QUEUE, RESIDENT_COOKIE
from caseflow.errors import CaseflowError
from caseflow.resident import wire
from caseflow.resident.ahead import AHEAD_PAUSE_SECONDS, AnsweredAhead
from caseflow.resident.frames import FrameWriter
from caseflow.resident.keeper import SnapshotKeeper
from caseflow.resident.listener import listen, same_user
from caseflow.watch.settler import EVENTS_LOST, observe_repository

if TYPE_CHECKING:
    from caseflow.repo import CaseRepo

#: How long the watcher may take to report the cookie before the snapshot is taken whole again.
SETTLE_SECONDS = 1.0
#: How often to look whether a write let go of the writers' lock, while one holds it (its leaving
#: the queue wakes the loop at once; this is in case that event is missed).
_LOCK_POLL_SECONDS = 0.05
#: The writers' lock's files: a change to them wakes the loop (a write may have ended).
_WRITERS_LOCK = (LOCK, LOCK_QUEUE)


class Cookies:
    """Written into ``.caseflow/`` and waited for, to know the watcher has seen everything before."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._prefix = f"{RESIDENT_COOKIE}{os.getpid()}-"
        self._seen: set[str] = set()
        self._count = 0
        self._changed = threading.Condition()

    def saw(self, path: str) -> bool:
        """Called for every event: True for a cookie (nothing else to do with it)."""
        if not path.startswith(RESIDENT_COOKIE):
            return False
        with self._changed:
            self._seen.add(path)
            self._changed.notify_all()
        return True

    def settle(self, timeout: float = SETTLE_SECONDS) -> bool:
        """Write a cookie and wait until the watcher reports it. False if it did not in time."""
        self._count += 1
        name = f"{self._prefix}{self._count}"
        target = self.root / name
        try:
            target.write_bytes(b"")
        except OSError:
            return False
        try:
            with self._changed:
                seen = self._changed.wait_for(lambda: name in self._seen, timeout)
                self._seen.discard(name)
            return seen
        finally:
            with contextlib.suppress(OSError):
                target.unlink()


class ResidentIndex:
    """One repository's resident index: the socket, the watcher and what is kept."""

    def __init__(self, root: Path, log: Any = None) -> None:
        from caseflow.cli import make_cli

        self.root = root
        self.socket_path = wire.socket_path(root)
        self.keeper = SnapshotKeeper(staging_matters=True)
        self.cookies = Cookies(root)
        self.started = time.time()
        self.answered = 0
        self._log = log if log is not None else sys.stderr
        self._cli = make_cli(argv=["--repo", str(root)])
        self._startup: Any = self._cli.startup
        self._stamp = CodeStamp()
        self._observing: Any = None
        self._listener: socket.socket | None = None
        self._opened: list[CaseRepo] = []
        self.ahead = AnsweredAhead()
        self.stopping = threading.Event()

    # -- starting and stopping ------------------------------------------------------------------

    def start(self) -> None:
        """Listen on the socket, start watching, and take the snapshot once (before the first question)."""

        self._listener = listen(self.socket_path)
        try:
            self._observing = observe_repository(self.root, self._changed, whole=True)
            if self._observing is None:
                raise CaseflowError(_why_unwatched(self.root))
            self._load_commands()
            with self._request_environment(dict(os.environ)):
                self._open().snapshot()
            self._close_opened()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._observing is not None:
            with contextlib.suppress(Exception):
                self._observing.stop()
            self._observing = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()
        self.ahead.close()

    def serve(self) -> None:
        """Answer questions until :attr:`stopping` is set (``caseflow daemon stop``, a signal)."""
        listener = self._listener
        assert listener is not None, "start() first"
        listener.settimeout(0.2)  # to notice a stop promptly
        while not self.stopping.is_set():
            timeout = 0.2
            settled = self.ahead.wait()
            if settled == 0:
                if writelock.holder(self.root) is not None:
                    timeout = _LOCK_POLL_SECONDS  # a write goes on: its end wakes the loop
                elif self._answer_ahead(listener):
                    timeout = 0.0  # someone asks: answered before the rest are answered ahead
                else:
                    continue
            elif settled is not None:
                timeout = settled
            try:
                ready, _, _ = select.select([listener.fileno(), self.ahead.wakes], [], [], timeout)
            except OSError:
                if self.stopping.is_set():
                    break
                raise
            if self.ahead.wakes in ready:
                self.ahead.drained()
            if listener.fileno() not in ready:
                continue
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                if self.stopping.is_set():
                    break
                raise
            # (a command that went away, interrupted or its output closed, needs telling nothing)
            with connection, contextlib.suppress(OSError, ConnectionError):
                self._handle(connection)

    # -- one question ---------------------------------------------------------------------------

    def _handle(self, connection: socket.socket) -> None:
        if not same_user(connection):
            return
        connection.settimeout(5.0)
        kind, payload = wire.read_frame(connection)
        if kind == wire.STATUS:
            wire.send_frame(connection, wire.STATUS, json.dumps(self.status()).encode())
            return
        if kind == wire.STOP:
            self.stopping.set()
            wire.send_frame(connection, wire.STOP)
            return
        try:
            question = wire.Question.decode(payload)
        except (ValueError, TypeError):
            wire.send_frame(connection, wire.DECLINED, b"a question of another protocol")
            return
        why_not = self._why_not(question)
        if why_not is not None:
            wire.send_frame(connection, wire.DECLINED, why_not.encode())
            return
        if not self.cookies.settle():
            self.keeper.lost_track()  # the watcher may lag: take everything again, as a command would
        wire.send_frame(connection, wire.ACCEPTED, str(os.getpid()).encode())
        connection.settimeout(None)
        began = time.perf_counter()
        code = self._answer(question, connection)
        wire.send_frame(connection, wire.EXIT, str(code).encode())
        self.answered += 1
        self.ahead.asked(question)
        command = wire.servable(question.argv)
        name = command.command if isinstance(command, wire.Servable) else "?"
        print(f"answered {name} (exit {code}) in {time.perf_counter() - began:.3f} s", file=self._log, flush=True)

    def _why_not(self, question: wire.Question) -> str | None:
        """Why this resident index must not answer (None: it may)."""
        from caseflow.core.configfile import plugin_settings
        from caseflow.plugins import PluginPolicy

        if question.version != __version__:
            return f"it runs caseflow {__version__}, the command is {question.version}"
        if self._stamp.changed():
            self.stopping.set()
            return "caseflow or a plugin was installed or changed since it started; it stops"
        shape = wire.servable(question.argv)
        if isinstance(shape, str):
            return shape
        if wire.find_repository(shape.repo, question.environ, question.cwd) != self.root:
            return "the command is for another repository"
        try:
            policy = PluginPolicy.from_config(plugin_settings(self.root), question.environ)
        except CaseflowError as exc:
            return f"caseflow.yaml: {exc}"
        if policy != self._startup.policy:
            return "the plugins allowed differ (caseflow.yaml or CASEFLOW_PLUGINS changed)"
        return None

    def _answer_ahead(self, listener: socket.socket) -> bool:
        """Answer the latest questions again, into nothing, until one is asked for real (then True).

        After the first, the latest question, the rest wait a moment for a real one: a command run
        right after a write asks within it, and would otherwise wait behind an answer nobody asked
        for yet (``due``'s, while it asks ``validate``)."""
        question = self.ahead.next()
        pause = AHEAD_PAUSE_SECONDS
        while question is not None:
            name = getattr(wire.servable(question.argv), "command", "?")
            if self._why_not(question) is not None:
                self.ahead.forget(question)
            else:
                began = time.perf_counter()
                try:
                    code = self._answer(question, None)
                except OSError as exc:  # (its folder is gone, say: it is not asked again)
                    self.ahead.forget(question)
                    print(f"not answering {name} ahead: {exc.strerror or exc}", file=self._log, flush=True)
                else:
                    self.ahead.answered += 1
                    took = time.perf_counter() - began
                    print(f"answered {name} ahead (exit {code}) in {took:.3f} s", file=self._log, flush=True)
            if self.ahead.pending():
                return False  # changed again: all answered again once it settles
            if self._asked_within(listener, pause):
                return True  # someone asks: them first
            if self.ahead.pending():
                return False
            pause = 0.0
            question = self.ahead.next()
        return False

    def _asked_within(self, listener: socket.socket, seconds: float) -> bool:
        """Does someone ask within ``seconds``? (A wake meanwhile that changed nothing, such as a
        write letting go of its lock, does not cut the wait short; a change does.)"""
        deadline = time.monotonic() + seconds
        while True:
            ready, _, _ = select.select(
                [listener.fileno(), self.ahead.wakes], [], [], max(0.0, deadline - time.monotonic())
            )
            if listener.fileno() in ready:
                return True
            if self.ahead.wakes not in ready or self.ahead.pending():
                return False
            self.ahead.drained()

    def _answer(self, question: wire.Question, connection: socket.socket | None) -> int:
        """Run the question's command with its output sent back over ``connection`` (None: nowhere)."""
        from caseflow.cli import context

        out = FrameWriter(connection, wire.STDOUT, question.stdout_tty)
        err = FrameWriter(connection, wire.STDERR, question.stderr_tty)
        environ = dict(question.environ)
        if question.columns and "COLUMNS" not in environ:
            environ["COLUMNS"] = str(question.columns)  # for click's wrapping and progress bars
        saved_streams = sys.stdout, sys.stderr
        context.resident_repo = self._kept_repo
        try:
            with self._request_environment(environ), _folder(question.cwd):
                sys.stdout, sys.stderr = out, err
                code = self._run(question.argv, err)
        finally:
            sys.stdout, sys.stderr = saved_streams
            context.resident_repo = None
            self._close_opened()
            out.flush()
            err.flush()
        return code

    def _run(self, argv: list[str], err: io.TextIOBase) -> int:
        try:
            self._cli.main(args=argv, prog_name="caseflow")
        except SystemExit as exc:
            return _exit_code(exc.code, err)
        except Exception:  # what the command's own process would print on its way out
            err.write(traceback.format_exc())
            return 1
        return 0

    # -- what is kept ---------------------------------------------------------------------------

    def _kept_repo(self, root: Path) -> CaseRepo | None:
        return self._open() if root == self.root else None

    def _open(self) -> CaseRepo:
        """The repository as it is now, over the kept plugins and snapshot (settings read again)."""
        from caseflow.resident.kept import KeptRepo
        from caseflow.session import open_parts

        root, config, host = open_parts(self.root, os.environ, (), self._startup.host)
        repo = KeptRepo(root, config, host, os.environ)
        repo.keeper = self.keeper
        self._opened.append(repo)
        return repo

    def _close_opened(self) -> None:
        """The index connections of the repositories opened for a question, closed once it is answered."""
        for repo in self._opened:
            with contextlib.suppress(Exception):
                repo.index.close()
        self._opened.clear()

    def _load_commands(self) -> None:
        import click

        with click.Context(self._cli) as ctx:
            self._cli.list_commands(ctx)  # loads them, and the plugin host they come through
        if self._startup.host is None:
            raise CaseflowError("the commands did not load")

    def _changed(self, path: str) -> None:
        if path == EVENTS_LOST:
            self.keeper.lost_track()
            self.ahead.noticed()
        elif self.cookies.saw(path):
            return
        elif self.keeper.changed(path):
            self.ahead.noticed()
        elif path.startswith(_WRITERS_LOCK) and self.ahead.pending():
            self.ahead.wake()  # a write may have let go of the lock: answer ahead now

    @contextlib.contextmanager
    def _request_environment(self, environ: dict[str, str]) -> Iterator[None]:
        """The asker's environment for the command; this process's git never moves git's index
        (an optional lock: a refreshed index would look like someone staging)."""
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(environ)
        os.environ["GIT_OPTIONAL_LOCKS"] = "0"
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def status(self) -> dict[str, Any]:
        return {
            "running": True,
            "pid": os.getpid(),
            "root": str(self.root),
            "version": __version__,
            "since": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(self.started)),
            "answered": self.answered,
            "answered_ahead": self.ahead.answered,
            "snapshot_generation": self.keeper.generation,
            "snapshots_taken_whole": self.keeper.full_refreshes,
            "snapshots_taken_in_part": self.keeper.partial_refreshes,
        }


def _why_unwatched(root: Path) -> str:
    """Why the repository cannot be watched, and what to do about it, in one line."""
    from caseflow.core.casefiles import CLIENTS_DIR
    from caseflow.watch.settler import RAISE_WATCH_LIMIT, watch_limit

    limit = watch_limit(root / CLIENTS_DIR)
    if limit is not None:
        return (
            f"cannot watch this repository: its client folders number more than the {limit:,} inotify "
            f"watches this user may have (fs.inotify.max_user_watches); to raise the limit: {RAISE_WATCH_LIMIT} "
            "(and add fs.inotify.max_user_watches=524288 to /etc/sysctl.conf to keep it)"
        )
    return "cannot watch this repository (inotify is not available here): a resident index could not know what changed"


def _exit_code(code: Any, err: io.TextIOBase) -> int:
    """As the interpreter turns ``sys.exit(code)`` into a process's exit status."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    err.write(f"{code}\n")
    return 1


@contextlib.contextmanager
def _folder(path: str) -> Iterator[None]:
    saved = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(saved)


class CodeStamp:
    """When every module loaded at start and every folder of sys.path last changed: a plugin
    installed, or caseflow upgraded or edited, since then makes the resident index another version."""

    def __init__(self) -> None:
        self._stamps = {name: self._mtime(name) for name in self._names()}

    def changed(self) -> bool:
        return any(self._mtime(name) != mtime for name, mtime in self._stamps.items())

    @staticmethod
    def _names() -> set[str]:
        files = {getattr(module, "__file__", None) for module in list(sys.modules.values())}
        return {name for name in (*files, *sys.path) if name}

    @staticmethod
    def _mtime(name: str) -> int | None:
        try:
            return os.stat(name).st_mtime_ns
        except OSError:
            return None
