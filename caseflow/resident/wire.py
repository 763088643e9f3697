"""What travels between a command and the resident index, and which command lines it may answer.

Standard library only: the ``caseflow`` command imports this before anything else, and a command
the resident index answers must not pay for importing the rest of caseflow.

Over the socket, each message is a frame: one kind byte, a 4-byte big-endian length, the payload.
The command sends one :data:`QUESTION` (JSON: its command line, folder, environment, and whether
its output goes to a terminal); the resident index answers :data:`ACCEPTED` at once (or
:data:`DECLINED`, saying why), then the command's output as it is written (:data:`STDOUT`,
:data:`STDERR`), then :data:`EXIT` with the exit code.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from caseflow.core.layout import DAEMON_SOCKET

#: Changes whenever a frame's meaning does: a command and a resident index of different protocols
#: never talk (the resident index declines).
PROTOCOL = 1
#: Set to ``0`` (or ``off``): never ask a resident index (the command always computes its answer).
RESIDENT_ENV = "CASEFLOW_RESIDENT"

QUESTION = b"Q"
ACCEPTED = b"A"
DECLINED = b"D"
STDOUT = b"O"
STDERR = b"E"
EXIT = b"X"
#: Frame kinds other than a question's: "are you there, and what are you" (JSON back), and "stop".
STATUS = b"S"
STOP = b"T"

_HEADER = struct.Struct(">cI")
#: No single frame is larger: a longer output comes in several.
MAX_FRAME = 1 << 20


def socket_path(root: Path) -> Path:
    """The socket, in the repository's local folder (never committed)."""
    return root / DAEMON_SOCKET


@contextlib.contextmanager
def address(path: Path) -> Iterator[str]:
    """What to bind or connect to for the socket at ``path``: the path itself where it fits the
    ~107 bytes a Unix socket's address may have, else the same file through a descriptor of its
    folder (Linux's ``/proc/self/fd``): a repository may lie deep in someone's folders."""
    if len(os.fsencode(path)) < 100:
        yield str(path)
        return
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{folder}/{path.name}"
    finally:
        os.close(folder)


def send_frame(sock: socket.socket, kind: bytes, payload: bytes = b"") -> None:
    for start in range(0, max(len(payload), 1), MAX_FRAME):
        chunk = payload[start : start + MAX_FRAME]
        sock.sendall(_HEADER.pack(kind, len(chunk)) + chunk)


def read_frame(reader: socket.socket) -> tuple[bytes, bytes]:
    """The next frame; ``ConnectionError`` if the other side went away."""
    kind, length = _HEADER.unpack(_read_exactly(reader, _HEADER.size))
    if length > MAX_FRAME:
        raise ConnectionError(f"a frame of {length} bytes: not a caseflow resident index")
    return kind, _read_exactly(reader, length)


def _read_exactly(reader: socket.socket, size: int) -> bytes:
    parts = []
    while size:
        chunk = reader.recv(min(size, 1 << 16))
        if not chunk:
            raise ConnectionError("the resident index closed the connection")
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)


class Question:
    """One command line to answer, as its own process would run it.

    (Plain classes here, not dataclasses: importing ``dataclasses`` costs the ``caseflow`` command
    a fifth of the time a resident index takes to answer it.)"""

    def __init__(
        self,
        argv: list[str],
        cwd: str,
        environ: dict[str, str],
        stdout_tty: bool,
        stderr_tty: bool,
        columns: int | None,
        version: str,
        protocol: int = PROTOCOL,
    ) -> None:
        self.argv = argv
        self.cwd = cwd
        self.environ = environ
        self.stdout_tty = stdout_tty
        self.stderr_tty = stderr_tty
        self.columns = columns
        self.version = version
        self.protocol = protocol

    def encode(self) -> bytes:
        return json.dumps(self.__dict__).encode()

    @classmethod
    def decode(cls, payload: bytes) -> Question:
        fields = json.loads(payload)
        if not isinstance(fields, dict) or fields.get("protocol") != PROTOCOL:
            raise ValueError("another protocol")
        return cls(**fields)


# -- which command lines a resident index answers -------------------------------------------------


class Shape:
    """A read command's options, as far as telling a plain read from anything else needs."""

    def __init__(self, valued: frozenset[str], flags: frozenset[str], arguments: bool = False) -> None:
        self.valued = valued  # options that take a value (``--worker X`` / ``--worker=X``)
        self.flags = flags  # options that take none
        self.arguments = arguments  # positional arguments allowed (``validate C-1 C-2``)


_EVERY_COMMAND = frozenset({"--repo", "--as"})
#: The read commands a resident index answers, and their options. Anything else on their command
#: line (``--help``, an unknown option, ``review CLIENT --approve``: a decision is a write) is run by
#: the command itself. tests/resident pin this table to the commands' own options. None of them
#: shows a name or writes to the access record: the resident index answers them again ahead of
#: being asked, and an entry would then say someone read what they did not.
SERVED: Mapping[str, Shape] = {
    "clients": Shape(_EVERY_COMMAND | {"--stage", "--worker"}, frozenset({"--json"})),
    "due": Shape(_EVERY_COMMAND | {"--worker", "--within"}, frozenset({"--all", "--json"})),
    "review": Shape(_EVERY_COMMAND | {"--worker"}, frozenset({"--json"})),
    "validate": Shape(_EVERY_COMMAND, frozenset({"--json"}), arguments=True),
}
#: Options of the ``caseflow`` group itself (before the command).
GROUP_VALUED = frozenset({"--repo", "--as"})
GROUP_FLAGS = frozenset({"--traceback", "--no-color", "--verbose"})


class Servable:
    """A command line a resident index answers: the command, the last ``--repo`` given (as click
    would take it), and whether ``--verbose`` was."""

    def __init__(self, command: str, repo: str | None, verbose: bool) -> None:
        self.command = command
        self.repo = repo
        self.verbose = verbose

    def _fields(self) -> tuple[str, str | None, bool]:
        return (self.command, self.repo, self.verbose)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Servable) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return f"Servable(command={self.command!r}, repo={self.repo!r}, verbose={self.verbose!r})"


def servable(argv: Sequence[str]) -> Servable | str:
    """What a resident index would answer for this command line, or why it would not."""
    repo: str | None = None
    verbose = False
    command: str | None = None
    shape: Shape | None = None
    index = 0
    while index < len(argv):
        arg = argv[index]
        name, has_value, _ = arg.partition("=")
        valued = shape.valued if shape is not None else GROUP_VALUED
        flags = shape.flags if shape is not None else GROUP_FLAGS
        if command is None and not arg.startswith("-"):
            if arg not in SERVED:
                return f"`{arg}` is not a read command a resident index answers"
            command, shape = arg, SERVED[arg]
        elif name in valued:
            if has_value:
                value = arg.split("=", 1)[1]
            elif index + 1 < len(argv):
                index += 1
                value = argv[index]
            else:
                return f"{arg} without a value"
            if name == "--repo":
                repo = value
        elif arg in flags:
            verbose = verbose or arg == "--verbose"
        elif arg == "--" or arg.startswith("-") or shape is None or not shape.arguments:
            return f"{arg} is not answered by a resident index"
        index += 1
    if command is None:
        return "no command"
    return Servable(command, repo, verbose)


def find_repository(start: str | None, environ: Mapping[str, str], cwd: str) -> Path | None:
    """The repository a command would use (as ``caseflow.core.config.find_root`` finds it), or None."""
    start = start if start is not None else environ.get("CASEFLOW_REPO") or None
    if start is not None:
        root = Path(cwd, os.path.expanduser(start)).resolve()
        return root if (root / "caseflow.yaml").is_file() else None
    here = Path(cwd).resolve()
    for folder in (here, *here.parents):
        if (folder / "caseflow.yaml").is_file():
            return folder
    return None
