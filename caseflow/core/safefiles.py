"""Writing files so that a crash or a link never leaves a case file half-written or elsewhere."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from caseflow.errors import StoreError


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` so that ``path`` holds either the old bytes or the new, never a mix.

    The file keeps its permissions (a new one gets the usual ones, as the umask says).
    """
    try:
        mode = stat.S_IMODE(os.lstat(path).st_mode)
    except FileNotFoundError:
        mode = _new_file_mode()
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600 files; keep the mode git and colleagues expect
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    _fsync_dir(path.parent)


def _new_file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def refuse_links(root: Path, rel: str) -> None:
    """Never write through a symbolic link: a linked folder would put case files outside the repo."""
    current = root
    for part in Path(rel).parts:
        current = current / part
        if current.is_symlink():
            raise StoreError(f"{current.relative_to(root)} is a symbolic link; caseflow never writes through links")


def make_parents(directory: Path, root: Path) -> list[Path]:
    """Create missing folders below ``root``; returns those created, outermost first."""
    missing = []
    current = directory
    while current != root and not current.exists():
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        folder.mkdir()
    return list(reversed(missing))


def remove_empty_parents(directory: Path, root: Path) -> None:
    """Folders a removal emptied go too (git does not track folders, so they would linger)."""
    while directory != root and directory.is_relative_to(root):
        try:
            directory.rmdir()
        except OSError:
            return  # not empty (or not ours to remove)
        directory = directory.parent


def replace_cache_file(path: Path, data: bytes) -> None:
    """Write a cache file whole or not at all (another command may write it at once), private to
    this user (0600), not synced to disk: a power cut loses a cache at worst, and its reader
    refuses a torn one. Quietly nothing where it cannot be written (a read-only folder)."""
    with contextlib.suppress(OSError):
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
