"""The command's side: have a resident index answer, or say why not and let the command compute.

Standard library only (see :mod:`.wire`). A resident index is used only when everything about it
is right: a socket in the repository's ``.caseflow/`` owned by this user and by nobody else
readable, a process that accepts the question within :data:`ACCEPT_SECONDS`, of the same
caseflow version. Anything else, and the command computes the answer itself, silently unless
``--verbose`` asks why.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import sys
from collections.abc import Mapping, Sequence

from caseflow.resident import wire

TYPE_CHECKING = False  # (not typing's: see caseflow/__init__.py)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, BinaryIO

#: How long a resident index may take to accept a question before the command computes its own
#: answer (it accepts at once unless it is busy with another, or stuck).
ACCEPT_SECONDS = 0.5


class NotAnswered(Exception):
    """Why the resident index did not answer (the command computes the answer itself)."""


def answer(argv: Sequence[str], version: str, environ: Mapping[str, str] | None = None) -> int | None:
    """Have a resident index answer ``argv``: its output is written here as it comes, and the
    exit code returned. None: no resident index answered, and nothing was written to stdout."""
    environ = os.environ if environ is None else environ
    if environ.get(wire.RESIDENT_ENV, "").lower() in ("0", "off", "no", "false"):
        return None
    shape = wire.servable(argv)
    if isinstance(shape, str):
        return None  # not a read command: nothing to say, even with --verbose
    try:
        return _ask(argv, version, environ, shape)
    except NotAnswered as why:
        if shape.verbose:
            print(f"caseflow: computing the answer here: {why}", file=sys.stderr)
        return None


def _ask(argv: Sequence[str], version: str, environ: Mapping[str, str], shape: wire.Servable) -> int:
    try:
        cwd = os.getcwd()
    except FileNotFoundError:
        raise NotAnswered("the current folder no longer exists") from None
    root = wire.find_repository(shape.repo, environ, cwd)
    if root is None:
        raise NotAnswered("not in a case repository")
    path = wire.socket_path(root)
    _check_owner(path)
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.settimeout(ACCEPT_SECONDS)
        try:
            with wire.address(path) as where:
                connection.connect(where)
        except OSError as exc:
            raise NotAnswered(f"no resident index answers on {path} ({exc.strerror or exc})") from None
        question = wire.Question(
            argv=list(argv),
            cwd=cwd,
            environ=dict(environ),
            stdout_tty=_isatty(sys.stdout),
            stderr_tty=_isatty(sys.stderr),
            columns=_columns(),
            version=version,
        )
        try:
            wire.send_frame(connection, wire.QUESTION, question.encode())
            kind, payload = wire.read_frame(connection)
        except (OSError, ConnectionError) as exc:  # socket.timeout is an OSError
            raise NotAnswered(f"the resident index did not accept the question ({exc})") from None
        if kind == wire.DECLINED:
            raise NotAnswered(f"the resident index declined: {payload.decode(errors='replace')}")
        if kind != wire.ACCEPTED:
            raise NotAnswered("the resident index answered something else")
        connection.settimeout(None)  # accepted: the answer takes as long as the command would
        code = _relay(connection)
        if shape.verbose:
            print(f"caseflow: answered by the resident index (pid {payload.decode(errors='replace')})", file=sys.stderr)
        return code
    finally:
        connection.close()


def _check_owner(path: os.PathLike[str]) -> None:
    """Only a socket of this user's, that nobody else may reach, is ever used: another user's
    could answer anything, and see the question's environment."""
    try:
        found = os.lstat(path)
    except OSError:
        raise NotAnswered("no resident index runs (caseflow daemon start starts one)") from None
    if not stat.S_ISSOCK(found.st_mode):
        raise NotAnswered(f"{path} is not a socket")
    if found.st_uid != os.getuid():
        raise NotAnswered(f"{path} belongs to another user; it is not used")
    if found.st_mode & 0o077:
        raise NotAnswered(f"{path} may be reached by other users; it is not used")


def _relay(connection: socket.socket) -> int:
    """Write the answer's output as it comes; the exit code at the end. Once output has been
    written the command cannot start over: a resident index that stops mid-answer is an error."""
    out, err = _binary(sys.stdout), _binary(sys.stderr)
    try:
        while True:
            kind, payload = wire.read_frame(connection)
            if kind == wire.STDOUT:
                out.write(payload)
                out.flush()
            elif kind == wire.STDERR:
                err.write(payload)
                err.flush()
            elif kind == wire.EXIT:
                return int(payload or b"0")
    except BrokenPipeError:  # our own output was closed (`caseflow due --all | head`): nothing more to say
        with contextlib.suppress(OSError, ValueError):  # (and nothing for the interpreter to flush there at exit)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (OSError, ConnectionError):
        print("caseflow: the resident index stopped before it finished; run the command again", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # as click says it when the command runs here
        print("\nAborted!", file=sys.stderr)
        return 1


def _binary(stream: object) -> BinaryIO:
    buffer = getattr(stream, "buffer", None)
    return buffer if buffer is not None else stream  # type: ignore[return-value]


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


def _columns() -> int | None:
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return None


def ask(root: Path, kind: bytes, timeout: float = 2.0) -> dict[str, Any] | None:
    """Send a status or stop question to the resident index of ``root``; None if none answers."""
    path = wire.socket_path(root)
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.settimeout(timeout)
        with wire.address(path) as where:
            connection.connect(where)
        wire.send_frame(connection, kind)
        reply_kind, payload = wire.read_frame(connection)
    except (OSError, ConnectionError):
        return None
    finally:
        connection.close()
    if reply_kind == wire.STATUS:
        found = json.loads(payload)
        return found if isinstance(found, dict) else None
    return {"stopping": True} if reply_kind == wire.STOP else None
