"""git's index file, as far as naming its content goes: standard library only (the ``caseflow``
command asks before the rest of caseflow loads: :mod:`.early`)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def index_stamp(root: Path) -> bytes | None:
    """What names the content of git's index (the staging area) now: the checksum git writes at
    the end of the file, with its size. None when there is none to trust (no index, another
    index file in use, a linked worktree, or ``index.skipHash``, which writes zeros)."""
    if os.environ.get("GIT_INDEX_FILE"):
        return None
    try:
        with open(root / ".git" / "index", "rb") as index:
            size = index.seek(0, os.SEEK_END)
            if size < 32:
                return None
            index.seek(-32, os.SEEK_END)
            tail = index.read(32)  # the checksum (SHA-1: 20 bytes, SHA-256: 32) and what precedes it
    except OSError:  # (a linked worktree's .git is a file: no stamp, everything is listed)
        return None
    if not tail[-20:].strip(b"\0"):
        return None
    return size.to_bytes(8, "big") + tail


def refresh_lasts(index_mtime: float) -> bool:
    """Would git's refresh of its stat cache last, for an index last written at ``index_mtime``?
    Not while its index is less than a second old: git tells a file changed in the second its index
    was written from one that was not by its contents alone ("racily clean"), and each ``git status``
    then would write the whole index again (10 MB at 10,000 clients, as much as the rest of a read);
    a second later, once."""
    return time.time() - index_mtime >= 1.0
