"""Which bytes every client document holds now, asking git rather than reading the files.

``git ls-files -s`` gives the blob id of every tracked file as staged, and ``git status`` the few
paths whose working-tree bytes differ (changed, untracked). Only those few are read and hashed,
and their hashes are remembered in the index by a stat stamp (size, mtime, inode), as git's own
index does. A large caseload thus costs two git calls and a dictionary, not a read of every file.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from caseflow.core.case import blob_id
from caseflow.core.casefiles import CLIENTS_DIR, DOCUMENT_SUFFIXES, client_documents, client_ids
from caseflow.core.ids import CLIENT_ID_PATTERN
from caseflow.core.index import CaseIndex, document_key
from caseflow.core.store import Store
from caseflow.core.textpolicy import MAX_DOCUMENT_BYTES
from caseflow.errors import StoreError

_CLIENT_ID = re.compile(CLIENT_ID_PATTERN)
#: A file changed this recently may change again within the clock's granularity: never trust
#: its stat stamp (git's "racy" rule).
_RACY_SECONDS = 2.0


@dataclass(frozen=True)
class TreeFile:
    """A client document in the working tree and the blob id of its bytes now."""

    path: str
    client_id: str
    path_in_client: str
    blob: str  # "" for a link or anything else that is not a regular file: nothing to read
    #: git's status of the path ("" when the working tree, index and HEAD agree; " M", "??", ...):
    #: with the blob, it says whether the last commit that touched the path still describes it.
    state: str = ""

    @property
    def key(self) -> str:
        return document_key(self.path, self.blob)

    @property
    def readable(self) -> bool:
        return bool(self.blob)


@dataclass
class Snapshot:
    """Every client document of the working tree, by client."""

    by_client: dict[str, list[TreeFile]] = field(default_factory=dict)
    hashed: int = 0  # files read and hashed this time (changed since git or we last saw them)

    @cached_property
    def files(self) -> list[TreeFile]:
        return [f for client in sorted(self.by_client) for f in self.by_client[client]]

    def of(self, client_id: str) -> list[TreeFile]:
        return self.by_client.get(client_id, [])

    def digest(self, client_id: str, *extra: str) -> str:
        """Names one state of a client's documents (and of ``extra``, such as today's date)."""
        h = hashlib.sha1(usedforsecurity=False)
        for part in extra:
            h.update(part.encode() + b"\0")
        for f in self.of(client_id):
            h.update(f"{f.path_in_client}\0{f.blob}\0{f.state}\n".encode())
        return h.hexdigest()


def take_snapshot(store: Store, index: CaseIndex) -> Snapshot:
    """The documents under ``clients/`` as they are now (the index remembers what it hashed)."""
    try:
        staged, changed = store.worktree_listing(CLIENTS_DIR)
    except StoreError:  # not a git repository (an unpacked copy): every file is as good as untracked
        staged, changed = {}, {d.path: "??" for c in client_ids(store.root) for d in client_documents(store.root, c)}
    remembered = index.stats()
    stamps: dict[str, tuple[str, str]] = {}
    snapshot = Snapshot()
    found: dict[str, list[TreeFile]] = defaultdict(list)
    now = time.time()
    root = os.fspath(store.root)
    for path in sorted({*staged, *changed}):
        place = _document_place(path)
        if place is None:
            continue
        client_id, inner = place
        mode, staged_blob = staged.get(path, ("", None))
        if mode == "160000":
            continue  # a submodule is not a document
        if path not in changed:
            blob = "" if mode == "120000" else staged_blob or ""
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
        found[client_id].append(TreeFile(path, client_id, inner, blob, changed.get(path, "")))
    snapshot.by_client = dict(found)
    if stamps != remembered:
        index.put_stats(stamps)
    return snapshot


def _hash_file(path: str) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError:
        return ""  # a link put there since, or unreadable: reading it says why
    with os.fdopen(fd, "rb") as handle:
        return blob_id(handle.read())


def _document_place(path: str) -> tuple[str, str] | None:
    """``(client id, path in the client folder)`` of a document path, else None."""
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != CLIENTS_DIR or not path.endswith(DOCUMENT_SUFFIXES):
        return None
    if any(part.startswith(".") for part in parts[1:]) or not _CLIENT_ID.fullmatch(parts[1]):
        return None
    return parts[1], "/".join(parts[2:])
