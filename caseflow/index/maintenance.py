"""``caseflow index``: the index's state, a rebuild from nothing, and a check against a full reparse."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.core.case import blob_id
from caseflow.core.documents import load_plain
from caseflow.core.parallel import chunked, map_chunks
from caseflow.core.textpolicy import read_document_bytes
from caseflow.errors import CaseflowError, DocumentError
from caseflow.index.database import INDEX_FILE
from caseflow.index.snapshot import TreeFile

if TYPE_CHECKING:
    from caseflow.session import Session

Progress = Callable[[int, int], None]


@dataclass
class IndexState:
    clients: int
    documents: int
    unreadable: int  # links, and documents that do not parse
    changed: int  # files git has no blob for (changed or untracked): hashed by caseflow
    size_bytes: int
    seconds: float
    mismatches: list[str] = field(default_factory=list)
    verified: bool = False

    def as_json(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "file": INDEX_FILE,
            "clients": self.clients,
            "documents": self.documents,
            "unreadable": self.unreadable,
            "changed_in_working_tree": self.changed,
            "size_bytes": self.size_bytes,
            "seconds": round(self.seconds, 3),
        }
        if self.verified:
            state["ok"] = not self.mismatches
            state["mismatches"] = self.mismatches
        return state


def status(repo: Session, progress: Progress | None = None) -> IndexState:
    """Bring the index up to date and say what it holds."""
    started = time.perf_counter()
    snapshot = repo.snapshot(progress)
    parsed = repo.index.forms([f.key for f in snapshot.files if f.readable])
    unreadable = sum(1 for f in snapshot.files if f.key not in parsed)
    changed = sum(1 for f in snapshot.files if f.state)
    return IndexState(
        len(snapshot.entries), len(snapshot.files), unreadable, changed, _size(repo), time.perf_counter() - started
    )


def rebuild(repo: Session, progress: Progress | None = None) -> IndexState:
    """Delete the index and build it again: every document parsed, and checked against its form."""
    started = time.perf_counter()
    repo.index.reset()
    # What the history proves first, while this process holds little: a replay of a whole
    # history (a fresh clone's) runs in a child process and leaves only its result here. (Only a
    # head start: settings that cannot be read are validate's to report, as they always were.)
    with contextlib.suppress(CaseflowError):
        repo.ledger(progress)
    repo.validate(progress=progress)  # parses every document, then checks each: the documents' validity
    state = status(repo)
    state.seconds = time.perf_counter() - started
    return state


def verify(repo: Session, progress: Progress | None = None) -> IndexState:
    """Compare what the index holds for every document with a full reparse of the working tree."""
    started = time.perf_counter()
    snapshot = repo.snapshot()
    files = snapshot.files
    stored = {key for key in repo.index.forms([f.key for f in files if f.readable])}
    root = os.fspath(repo.root)
    mismatches: list[str] = []
    done = 0
    for batch, found in zip(
        chunks := chunked(files, 500),
        map_chunks(lambda chunk: _compare(repo, root, chunk, stored), chunks, items=len(files)),
        strict=True,
    ):
        mismatches.extend(found)
        done += len(batch)
        if progress is not None:
            progress(done, len(files))
    state = status(repo)
    state.mismatches, state.verified = mismatches, True
    state.seconds = time.perf_counter() - started
    return state


def _compare(repo: Session, root: str, files: Sequence[TreeFile], stored: set[str]) -> list[str]:
    """What differs between the index and the files themselves (run in a worker)."""
    from caseflow.index.database import as_rows, check_key

    held = repo.index.stored([f.key for f in files if f.key in stored])
    checked = repo.index.checks(check_key(f.path, f.blob) for f in files if f.readable)
    found = []
    for f in files:
        try:
            raw = read_document_bytes(Path(root), f.path)
        except DocumentError:
            if f.readable and f.key in stored:
                found.append(f"{f.path}: the index holds it, but it cannot be read")
            continue
        if blob_id(raw) != f.blob:
            found.append(f"{f.path}: the index has blob {f.blob[:12] or '(none)'}, the file is {blob_id(raw)[:12]}")
            continue
        try:
            fresh = load_plain(f.path, raw)
        except DocumentError:
            if f.key in stored:
                found.append(f"{f.path}: the index holds data for a document that does not parse")
            continue
        kept = held.get(f.key)
        if kept is None:
            found.append(f"{f.path}: parses, but the index has nothing for it")
        elif json.dumps(kept, sort_keys=True) != json.dumps(list(fresh), sort_keys=True):
            found.append(f"{f.path}: the index's data differs from a fresh parse")
        problems = checked.get(check_key(f.path, f.blob))
        if problems is not None:
            again = as_rows(repo.check_document(f.client_id, f.path, raw))
            if again != problems:
                found.append(f"{f.path}: the index's problems differ from checking it again")
    return found


def _size(repo: Session) -> int:
    total = 0
    for suffix in ("", "-wal"):
        with contextlib.suppress(OSError):
            total += (repo.root / f"{INDEX_FILE}{suffix}").stat().st_size
    return total
