"""What caseflow's own writes left in git's index: a note per commit, so that the next read need
not ask git what changed.

A write that commits with git's plumbing (nothing else staged: see
:func:`caseflow.core.git.commit.commits_plainly`) leaves git's index staging exactly the new
commit's tree. It notes the commit it went on from, the new commit, the paths it wrote and git's
index checksum afterwards (:func:`caseflow.core.git.indexfile.index_stamp`). A read holding a listing
of an earlier commit (:mod:`caseflow.index.staged_listing`) then knows, while git's index is still
the one the last note names, which client folders changed and what their files are (the new
commit's), without reading git's index: at 10,000 clients each read of it costs 20-30 ms.

A cache beside the others in ``.caseflow/`` (:mod:`marshal`, a few notes): anything wrong with it
means asking git, as without it.
"""

from __future__ import annotations

import contextlib
import marshal
from pathlib import Path
from typing import NamedTuple

from caseflow.core.layout import WRITE_NOTES, local_dir

#: Changes when what a note holds does.
_FORMAT = 1
#: Notes kept: the writes a read can catch up with (more since its listing: git is asked).
KEPT = 32


class WriteNote(NamedTuple):
    parent: str  #: the commit the write went on from
    commit: str  #: the commit it made (git's index stages exactly its tree afterwards)
    stamp: bytes  #: git's index checksum right after the write
    paths: tuple[str, ...]  #: the paths it wrote or removed


def record(root: Path, note: WriteNote) -> None:
    """Note a write (under the writers' lock: one writer at a time appends)."""
    from caseflow.core.safefiles import replace_cache_file  # (reading the notes stays light: see early.py)

    notes = [n for n in _load(root) if n.commit != note.commit][-(KEPT - 1) :]
    notes.append(note)
    with contextlib.suppress(OSError):
        local_dir(root).mkdir(exist_ok=True)
    with contextlib.suppress(ValueError):
        replace_cache_file(root / WRITE_NOTES, marshal.dumps((_FORMAT, [tuple(n) for n in notes])))


def since(root: Path, base: str, stamp: bytes | None = None) -> list[WriteNote] | None:
    """The writes from the commit ``base`` on, each going on from the one before: up to the one
    that left git's index as it is now (``stamp``) where one did, else up to the last one that
    leads there. None where no noted write went on from ``base``.

    Whether HEAD is still the last one's commit, and git's index still stages it, is the caller's
    to check (``git status`` says both: a refresh by git itself changes the checksum alone)."""
    if not base:
        return None
    notes = _load(root)
    ends = [i for i in range(len(notes) - 1, -1, -1) if notes[i].stamp == stamp]
    ends += [i for i in range(len(notes) - 1, -1, -1) if i not in ends]
    for last in ends:
        chain = [notes[last]]
        for note in reversed(notes[:last]):  # back along the parents, to ``base``
            if chain[-1].parent == base:
                break
            if note.commit == chain[-1].parent:
                chain.append(note)
        if chain[-1].parent == base:
            return chain[::-1]
    return None


def last(root: Path) -> WriteNote | None:
    """The last write noted (None: none)."""
    notes = _load(root)
    return notes[-1] if notes else None


def paths_between(root: Path, since: str, until: str) -> set[str] | None:
    """The paths caseflow's own writes changed from the commit ``since`` to ``until`` (one after
    another, as noted), without asking git; None where the notes do not lead from one to the other."""
    changed: set[str] = set()
    reached = until
    for note in reversed(_load(root)):
        if reached == since:
            break
        if note.commit == reached:
            changed.update(note.paths)
            reached = note.parent
    return changed if reached == since else None


def _load(root: Path) -> list[WriteNote]:
    try:
        form, notes = marshal.loads((root / WRITE_NOTES).read_bytes())
        if form != _FORMAT:
            return []
        return [WriteNote(str(p), str(c), bytes(s), tuple(paths)) for p, c, s, paths in notes]
    except (OSError, EOFError, ValueError, TypeError):
        return []
