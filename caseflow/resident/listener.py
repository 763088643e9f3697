"""The resident index's socket: one per repository, private to the user who runs it."""

from __future__ import annotations

import os
import socket
import struct
from pathlib import Path

from caseflow.errors import CaseflowError
from caseflow.resident import wire

_PEER = struct.Struct("3i")  # struct ucred: pid, uid, gid


class AlreadyRunning(CaseflowError):
    """A resident index answers on this repository's socket already."""


def listen(path: Path) -> socket.socket:
    """Bind the socket, private to this user (0600, in a folder of the repository's), unless a
    resident index answers there already; a socket left by one that died is replaced."""
    path.parent.mkdir(exist_ok=True)
    if path.exists() or path.is_symlink():
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.settimeout(1.0)
            with wire.address(path) as where:
                probe.connect(where)
            raise AlreadyRunning(f"a resident index runs for this repository already ({path})")
        except OSError:
            path.unlink()  # nobody listens: left by one that died
        finally:
            probe.close()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)  # created 0600: never a moment when others could connect
    try:
        with wire.address(path) as where:
            listener.bind(where)
    finally:
        os.umask(old_umask)
    listener.listen(16)
    return listener


def same_user(connection: socket.socket) -> bool:
    """The asker runs as this user (the socket's mode says so too; this holds whatever the mode)."""
    try:
        _pid, uid, _gid = _PEER.unpack(connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEER.size))
    except (OSError, AttributeError):  # no SO_PEERCRED here: the socket's 0600 mode alone
        return True
    return uid == os.getuid()
