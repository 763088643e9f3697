"""An answer's output, written by the command that makes it as to a terminal or a pipe, and sent to
the asker as frames (:data:`~caseflow.resident.wire.STDOUT`, :data:`~caseflow.resident.wire.STDERR`)."""

from __future__ import annotations

import io
import socket
from typing import Any

from caseflow.resident import wire


class FrameWriter(io.TextIOBase):
    """A text stream whose writes go to the asker as frames; a terminal if the asker's was.
    (With no connection, nowhere: an answer given ahead.)"""

    def __init__(self, connection: socket.socket | None, kind: bytes, tty: bool) -> None:
        self._connection = connection
        self._kind = kind
        self._tty = tty
        self._pending: list[bytes] = []
        self._size = 0
        self.buffer = _BinaryFrames(self)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "strict"

    def isatty(self) -> bool:
        return self._tty

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.write_bytes(text.encode("utf-8"))
        return len(text)

    def write_bytes(self, data: bytes) -> None:
        if self._connection is None:
            return
        self._pending.append(data)
        self._size += len(data)
        if self._size >= 1 << 16 or self._tty:  # a terminal sees lines as they come (progress bars)
            self.flush()

    def flush(self) -> None:
        if self._pending and self._connection is not None:
            data = b"".join(self._pending)
            self._pending, self._size = [], 0
            wire.send_frame(self._connection, self._kind, data)


class _BinaryFrames(io.RawIOBase):
    def __init__(self, text: FrameWriter) -> None:
        self._text = text

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._text.write_bytes(bytes(data))
        return len(data)

    def flush(self) -> None:
        self._text.flush()
