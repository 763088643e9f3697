"""Which bytes every client document holds now, asking git rather than reading the files.

``git ls-files -s`` gives the blob id of every tracked file as staged, and ``git status`` the few
paths whose working-tree bytes differ (changed, untracked). Only those few are read and hashed,
and their hashes are remembered in the index by a stat stamp (size, mtime, inode), as git's own
index does. A large caseload thus costs two git calls and a dictionary, not a read of every file.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import stat
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from caseflow.core.case import blob_id
from caseflow.core.casefiles import CLIENTS_DIR, DOCUMENT_SUFFIXES, client_documents, client_ids
from caseflow.core.ids import CLIENT_ID_PATTERN
from caseflow.core.store import Store
from caseflow.core.textpolicy import MAX_DOCUMENT_BYTES
from caseflow.errors import StoreError
from caseflow.index.database import CaseIndex, document_key

_CLIENT_ID = re.compile(CLIENT_ID_PATTERN)
_PREFIX = f"{CLIENTS_DIR}/"
#: A file changed this recently may change again within the clock's granularity: never trust
#: its stat stamp (git's "racy" rule).
_RACY_SECONDS = 2.0


class TreeFile:
    """A client document in the working tree and the blob id of its bytes now.

    ``blob`` is "" for a link or anything else that is not a regular file: nothing to read.
    ``state`` is git's status of the path ("" when working tree, index and HEAD agree; " M", "??",
    ...): with the blob, it says whether the last commit that touched the path still describes it.
    """

    # A plain slotted class: a large caseload makes hundreds of thousands of these per command.
    __slots__ = ("blob", "client_id", "key", "path", "path_in_client", "state")

    def __init__(self, path: str, client_id: str, path_in_client: str, blob: str, state: str = "") -> None:
        self.path = path
        self.client_id = client_id
        self.path_in_client = path_in_client
        self.blob = blob
        self.state = state
        self.key = document_key(path, blob)  # where the index keeps its parsed data

    @property
    def readable(self) -> bool:
        return bool(self.blob)

    def __repr__(self) -> str:
        return f"TreeFile({self.path!r}, blob={self.blob[:12]!r}, state={self.state!r})"


Entry = tuple[str, str, str]  # (path in the client folder, blob, git status)


@dataclass
class Snapshot:
    """Every client document of the working tree, by client.

    Kept as plain tuples; :meth:`of` makes :class:`TreeFile` objects only for the clients a
    command actually reads (a warm command reads none: it compares digests).
    """

    entries: dict[str, list[Entry]] = field(default_factory=dict)
    hashed: int = 0  # files read and hashed this time (changed since git or we last saw them)
    _files: dict[str, list[TreeFile]] = field(default_factory=dict, repr=False)

    @property
    def clients(self) -> list[str]:
        return sorted(self.entries)

    @cached_property
    def files(self) -> list[TreeFile]:
        return [f for client in self.clients for f in self.of(client)]

    def of(self, client_id: str) -> list[TreeFile]:
        found = self._files.get(client_id)
        if found is None:
            base = f"{_PREFIX}{client_id}/"
            entries = self.entries.get(client_id, [])
            found = self._files[client_id] = [TreeFile(base + i, client_id, i, b, s) for i, b, s in entries]
        return found

    def keys(self) -> set[str]:
        """The index key of every readable document."""
        return {
            ("md:" if inner.endswith(".md") else "yaml:") + blob
            for entries in self.entries.values()
            for inner, blob, _ in entries
            if blob
        }

    def digest(self, client_id: str, *extra: str) -> str:
        """Names one state of a client's documents (and of ``extra``, such as today's date)."""
        text = "\0".join(extra) + "\n" + "\n".join("\0".join(e) for e in self.entries.get(client_id, ()))
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def take_snapshot(store: Store, index: CaseIndex, client_ids_only: Sequence[str] = ()) -> Snapshot:
    """The documents under ``clients/`` as they are now (the index remembers what it hashed).

    ``client_ids_only``: of those clients' folders alone (what changed since a kept snapshot);
    the remembered hashes of other files are left as they are."""
    if client_ids_only:
        return _of_clients(store, index, client_ids_only)
    try:
        staged, changed = store.worktree_listing(CLIENTS_DIR)
    except StoreError:  # not a git repository (an unpacked copy): every file is as good as untracked
        staged, changed = {}, {d.path: "??" for c in client_ids(store.root) for d in client_documents(store.root, c)}
    remembered = index.stats() if changed else {}
    snapshot, stamps = _entries(store, staged, changed, remembered)
    if stamps != remembered:
        index.put_stats(stamps)
    return snapshot


def _entries(
    store: Store,
    staged: dict[str, tuple[str, str]],
    changed: dict[str, str],
    remembered: dict[str, tuple[str, str]],
) -> tuple[Snapshot, dict[str, tuple[str, str]]]:
    """The snapshot of what git listed, and the stat stamps worth remembering of files hashed."""
    stamps: dict[str, tuple[str, str]] = {}
    snapshot = Snapshot()
    found: dict[str, list[Entry]] = defaultdict(list)
    now = time.time()
    root = os.fspath(store.root)
    paths = sorted({*staged, *changed}) if changed else staged  # git lists in path order
    last_client, client_ok = "", False
    for path in paths:
        # Inlined rather than a helper per path: this loop runs once per document of the caseload.
        parts = path.split("/", 2)
        if len(parts) < 3 or parts[0] != CLIENTS_DIR or "/." in path:
            continue
        _, client_id, inner = parts
        if client_id != last_client:  # git lists a client's files together
            last_client, client_ok = client_id, _is_client_id(client_id)
        if not client_ok:
            continue
        mode, staged_blob = staged.get(path, ("", ""))
        if mode == "160000":
            continue  # a submodule is not a document
        state = changed.get(path, "") if changed else ""
        if not path.endswith(DOCUMENT_SUFFIXES):
            # A link to a folder is listed, as reading the folders lists it, so that it is refused.
            if (mode == "120000" or state) and _links_to_folder(f"{root}/{path}"):
                found[client_id].append((inner, "", state))
            continue
        if not state:
            blob = "" if mode == "120000" else staged_blob
        else:
            try:
                st = os.lstat(f"{root}/{path}")
            except (FileNotFoundError, NotADirectoryError):
                continue  # deleted in the working tree
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_DOCUMENT_BYTES:
                blob = ""
            else:
                stamp = f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}:{st.st_ctime_ns}"
                known = remembered.get(path)
                if known is not None and known[0] == stamp:
                    blob = known[1]
                else:
                    hashed = _hash_file(f"{root}/{path}")
                    snapshot.hashed += 1
                    if hashed is None:
                        continue  # gone between the listing and the read
                    blob = hashed
                if blob and now - st.st_mtime > _RACY_SECONDS:
                    stamps[path] = (stamp, blob)
        found[client_id].append((inner, blob, state))
    snapshot.entries = dict(found)
    return snapshot, stamps


def _of_clients(store: Store, index: CaseIndex, wanted: Sequence[str]) -> Snapshot:
    """The snapshot of a few clients' folders (one listing of each)."""
    merged = Snapshot()
    remembered = index.stats()
    for client_id in sorted(set(wanted)):
        if not _is_client_id(client_id):
            continue
        staged, changed = store.worktree_listing(f"{CLIENTS_DIR}/{client_id}", whole_tree=False)
        part, _ = _entries(store, staged, changed, remembered)
        merged.entries.update(part.entries)
        merged.hashed += part.hashed
    return merged


def _hash_file(path: str) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError:
        return ""  # a link put there since, or unreadable: reading it says why
    with os.fdopen(fd, "rb") as handle:
        return blob_id(handle.read())


def _links_to_folder(path: str) -> bool:
    return os.path.islink(path) and os.path.isdir(path)


@functools.cache
def _is_client_id(name: str) -> bool:
    """(Cached: a caseload has few client folders and many files.)"""
    return _CLIENT_ID.fullmatch(name) is not None
