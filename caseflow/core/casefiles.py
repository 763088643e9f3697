"""Finding clients and their documents in the working tree, without following links."""

from __future__ import annotations

import marshal
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from caseflow.core.ids import CLIENT_ID_PATTERN, check_client_id
from caseflow.core.layout import CLIENT_FOLDERS, LOCAL_DIR
from caseflow.core.safefiles import replace_cache_file
from caseflow.errors import InvalidId

CLIENTS_DIR = "clients"
DOCUMENT_SUFFIXES = (".yaml", ".yml", ".md")
#: In a client folder: records of other clients merged into this one, kept as they were (not live
#: documents: listings, validation and the index pass over them). See caseflow.records.merging.
MERGED_DIR = "merged-from"


@dataclass(frozen=True)
class DocumentFile:
    """A document's place: repository-relative path, client, and path inside the client folder."""

    path: str
    client_id: str | None
    path_in_client: str | None


def client_ids(root: Path) -> list[str]:
    """Real client folders (never a link to one) whose names are valid ids, sorted."""
    return list(_client_folders(root)[0])


def stray_client_entries(root: Path) -> list[tuple[str, str]]:
    """Entries under ``clients/`` that are not client folders, with why (reported by ``validate``)."""
    return [(path, why) for path, why in _client_folders(root)[1]]


#: Changes when what :func:`_client_folders` keeps does.
_KEPT_FORM = 1
#: A folder changed this recently may change again within the clock's granularity (git's "racy"
#: rule): what was read of it is not kept.
_RACY_NS = 2_000_000_000


def _client_folders(root: Path) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The client ids and the stray entries of ``clients/``. Kept in ``.caseflow/`` by the folder's
    time of change, which an entry added, removed or renamed moves: at 50,000 clients, reading
    the folder and checking every name costs 0.2 s a command."""
    try:
        found = os.stat(root / CLIENTS_DIR)
    except (FileNotFoundError, NotADirectoryError):
        return (), ()
    stamp = (found.st_mtime_ns, found.st_ino, found.st_dev)
    kept_at = root / CLIENT_FOLDERS
    try:
        form, kept_stamp, ids, stray = marshal.loads(kept_at.read_bytes())
        if form == _KEPT_FORM and kept_stamp == stamp:
            return ids, stray
    except (OSError, EOFError, ValueError, TypeError):
        pass
    ids, stray = _read_client_folders(root)
    if time.time_ns() - found.st_mtime_ns > _RACY_NS and (root / LOCAL_DIR).is_dir():
        replace_cache_file(kept_at, marshal.dumps((_KEPT_FORM, stamp, ids, stray)))
    return ids, stray


def _read_client_folders(root: Path) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    ids, stray = [], []
    for name, kind in _client_entries(root):
        if kind == "folder" and _is_client_id(name):
            ids.append(name)
        elif kind == "link":
            stray.append((f"{CLIENTS_DIR}/{name}", "is a symbolic link; caseflow never follows links"))
        else:
            stray.append((f"{CLIENTS_DIR}/{name}", "is not a client folder (names look like C-7K2M9Q)"))
    return tuple(sorted(ids)), tuple(sorted(stray))


def _client_entries(root: Path) -> Iterator[tuple[str, str]]:
    try:
        entries = list(os.scandir(root / CLIENTS_DIR))
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_symlink():
            yield entry.name, "link"
        else:
            yield entry.name, "folder" if entry.is_dir(follow_symlinks=False) else "file"


def _is_client_id(name: str) -> bool:
    try:
        check_client_id(name)
    except InvalidId:
        return False
    return True


def client_documents(root: Path, client_id: str) -> list[DocumentFile]:
    """Every document file (``.yaml``/``.md``) in one client's folder, links included, sorted.

    Links are listed so that validation can refuse them; they are never followed.
    """
    base = root / CLIENTS_DIR / client_id
    if base.is_symlink():  # os.walk would descend into a linked top folder
        return [DocumentFile(f"{CLIENTS_DIR}/{client_id}", client_id, None)]
    found: list[DocumentFile] = []
    for directory, dirnames, filenames in os.walk(base, followlinks=False):
        relative_dir = os.path.relpath(directory, base)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not (relative_dir == "." and d == MERGED_DIR)
        )
        for name in filenames:
            if name.startswith(".") or not name.endswith(DOCUMENT_SUFFIXES):
                continue
            inner = name if relative_dir == "." else f"{relative_dir}/{name}"
            found.append(DocumentFile(f"{CLIENTS_DIR}/{client_id}/{inner}", client_id, inner))
        # A symlinked folder shows up in dirnames but is not walked; report it as a document.
        for name in list(dirnames):
            if os.path.islink(os.path.join(directory, name)):
                inner = name if relative_dir == "." else f"{relative_dir}/{name}"
                found.append(DocumentFile(f"{CLIENTS_DIR}/{client_id}/{inner}", client_id, inner))
    return sorted(found, key=lambda d: d.path)


__all__ = ["CLIENTS_DIR", "CLIENT_ID_PATTERN", "DocumentFile", "client_documents", "client_ids", "stray_client_entries"]


def is_merged_record(path_in_client: str) -> bool:
    """A path inside a client folder that holds a merged client's kept record, not a live document."""
    return path_in_client.startswith(MERGED_DIR + "/")


def merged_into(root: Path, client_id: str) -> str | None:
    """The client whose folder keeps ``client_id``'s record after a merge (None: never merged).

    Looked for only when ``client_id`` has no folder of its own, so a scan of the folders is fine."""
    for kept in sorted((root / CLIENTS_DIR).glob(f"*/{MERGED_DIR}/{client_id}/client.yaml")):
        keep = kept.parent.parent.parent
        if not keep.is_symlink() and _is_client_id(keep.name):
            return keep.name
    return None
