"""The write journal: what a write is about to do, kept so that the next command can finish or undo it.

A write (:meth:`caseflow.core.store.Store.transaction`) goes through steps: its files are written,
staged, made into a tree and a commit object, and HEAD is moved to that commit. A process killed
between two steps leaves a mix behind (new files, a half-staged index, a stale ``index.lock``,
temporary files beside the documents). So before it touches anything, a write records its intent
in ``.caseflow/journal/``: the paths, their bytes before and after, HEAD before, its commit message,
and then each step it reaches (the commit's id as soon as the commit object exists).

The next caseflow command, whichever it is, calls :func:`heal` first. If a journal is there and its
writer is gone (the writers' lock is free: a live writer holds it), the write is

- **rolled forward** when its commit object was made: HEAD moves to exactly that commit (signed
  as the person signed it) and the index follows; or when HEAD already points at it;
- **rolled back** otherwise: every file holds its old bytes again, the index HEAD's version,
  temporary files and the locks the write's git processes left are removed, and the new bytes
  are kept under ``.caseflow/drafts/recovered-<time>/`` (what a person typed is never thrown away).

The old bytes are kept as hard links to the old files (``old/<n>``), so that putting them back is a
rename: it needs no free space, and works on a full disk. A failed write is undone in process by
the same code (:func:`undo`).

Either way one line says what happened. ``CASEFLOW_CRASH_AT=<step>`` (tests only) kills the
process at a step (see :data:`STEPS`), as ``kill -9`` would.

``caseflow watch`` commits bytes already on disk without touching the working tree
(:func:`caseflow.core.git.plumbing.commit_files`): its intent says so (``files`` false), and its
steps are :data:`WATCH_STEPS`. Healing one never touches a file (what is on disk is what the person
saved, committed or not) nor the temporary files beside a document (an editor's, mid-save); it
finishes the commit when its commit object exists, and otherwise only clears what the commit left
(its scratch index, which lives in the journal folder, and the locks its git processes held).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import signal
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from caseflow.core import layout
from caseflow.core.git import commit as git_commit
from caseflow.core.git import locks
from caseflow.core.git.runner import GitFailed
from caseflow.core.git.runner import head as current_head
from caseflow.core.safefiles import atomic_write

#: The steps of a write, in order; a crash switch names one (``files-1``: after the first file).
STEPS = ("journal", "files-1", "files", "staged", "tree", "commit", "ref", "done")
#: The steps after which git's index holds the write's files.
STAGED_STEPS = frozenset({"staged", "tree", "commit", "ref", "done"})
#: The steps of ``caseflow watch``'s commit: intent recorded, blobs stored and a scratch index
#: built from HEAD (in the journal folder), tree made, commit object made, HEAD moved, git's own
#: index updated, journal removed.
WATCH_STEPS = ("watch-journal", "watch-blobs", "watch-tree", "watch-commit", "watch-ref", "watch-index", "done")
CRASH_ENV = "CASEFLOW_CRASH_AT"
FAIL_ENV = "CASEFLOW_FAIL_AT"
INTENT = "intent.json"
#: Beside the intent: the write failed in its own process and could not be undone there.
ABANDONED = "abandoned"


def crash_point(step: str, root: Path | None = None) -> None:
    """Die here, as ``kill -9`` would, if ``$CASEFLOW_CRASH_AT`` names this step (tests only).

    ``<step>:index-lock`` leaves ``.git/index.lock`` behind too, as a git process killed while it
    wrote the index does; ``<step>:ref-lock`` leaves ``HEAD.lock`` and the branch's lock.
    ``$CASEFLOW_FAIL_AT=<step>:<errno name>[,...]`` raises that error here instead (``files:ENOSPC``,
    ``undo:EIO``), as a full disk, a file-size limit or a failing drive would.
    """
    _fail_point(step)
    wanted = os.environ.get(CRASH_ENV)
    if not wanted or wanted.split(":")[0] != step:
        return
    if root is not None and wanted.endswith(":index-lock"):
        (locks.git_dir(root) / "index.lock").write_bytes(b"")
    if root is not None and wanted.endswith(":ref-lock"):
        for lock in locks.ref_lock_paths(root):
            lock.write_bytes(b"")
    os.kill(os.getpid(), signal.SIGKILL)


def _fail_point(step: str) -> None:
    for wanted in filter(None, os.environ.get(FAIL_ENV, "").split(",")):
        where, _, name = wanted.partition(":")
        if where == step:
            code = getattr(errno, name or "EIO", errno.EIO)
            raise OSError(code, os.strerror(code))


@dataclass
class Intent:
    """What one write set out to do (``intent.json``); old and new bytes are files beside it."""

    pid: int
    action: str
    client: str | None
    head: str | None
    message: str
    paths: list[str]
    #: path -> did it exist before (its old bytes are ``old/<n>``, n its place in ``paths``)
    existed: dict[str, bool] = field(default_factory=dict)
    #: path -> sha256 of the bytes the write puts there ("" for a removal)
    new: dict[str, str] = field(default_factory=dict)
    #: folders the write creates (removed again on a roll-back, if empty), outermost first
    created: list[str] = field(default_factory=list)
    step: str = "journal"
    commit: str | None = None
    started: str = ""
    #: False: a commit of files already on disk (``caseflow watch``); no file is written or put back
    files: bool = True


class Journal:
    """The journal of the write in progress in one clone (there is at most one: writers queue)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / layout.JOURNAL
        self.intent: Intent | None = None

    def begin(
        self,
        *,
        action: str,
        client: str | None,
        head: str | None,
        message: str,
        writes: Mapping[str, bytes | None],
        files: bool = True,
    ) -> None:
        """Record the intent before any file, the index or a ref is touched (made durable).
        ``files=False``: the commit of bytes already on disk, which touches no file."""
        if self.folder.exists():
            shutil.rmtree(self.folder)  # a finished write's leftovers (healed before this one began)
        paths = sorted(writes)
        (self.folder / "old").mkdir(parents=True)
        existed: dict[str, bool] = {}
        created: list[str] = []
        for number, rel in enumerate(paths if files else ()):
            target = self.root / rel
            existed[rel] = target.is_file()
            if existed[rel]:
                _keep_old(target, self.folder / "old" / str(number))
            parent = target.parent
            missing = []
            while parent != self.root and not parent.exists():
                missing.append(parent.relative_to(self.root).as_posix())
                parent = parent.parent
            created.extend(m for m in reversed(missing) if m not in created)
        self.intent = Intent(
            pid=os.getpid(),
            action=action,
            client=client,
            head=head,
            message=message,
            paths=paths,
            existed=existed,
            new={rel: _digest(writes[rel]) for rel in paths} if files else {},
            created=created,
            started=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            files=files,
        )
        self._save(durable=True)

    def interrupted(self) -> bool:
        """Is the journal of a write that never finished still here? Asked under the writers' lock
        before :meth:`begin` by a process that has run a while (``caseflow watch``): a write killed
        since it last healed, to heal (:func:`heal`) rather than replace."""
        return pending(self.root) is not None

    def reached(self, step: str, *, commit: str | None = None) -> None:
        """The write got this far (the commit's id as soon as its object exists: it can be finished)."""
        assert self.intent is not None
        self.intent.step = step
        if commit is not None:
            self.intent.commit = commit
        self._save(durable=commit is not None)  # only the commit's id must survive a power cut
        crash_point(step, self.root)

    def finish(self) -> None:
        """The write is complete (or undone): nothing to heal."""
        crash_point("done", self.root)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.intent = None

    def _save(self, *, durable: bool) -> None:
        assert self.intent is not None
        data = json.dumps(asdict(self.intent), indent=1).encode()
        if durable:
            atomic_write(self.folder / INTENT, data)
        else:
            temp = self.folder / f"{INTENT}.tmp"
            temp.write_bytes(data)
            os.replace(temp, self.folder / INTENT)


def _keep_old(target: Path, kept: Path) -> None:
    """The old file, kept under the journal: a second name for it (free), else a copy."""
    try:
        os.link(target, kept)
    except OSError:
        shutil.copyfile(target, kept)


def _digest(data: bytes | None) -> str:
    return "" if data is None else hashlib.sha256(data).hexdigest()


def pending(root: Path) -> Intent | None:
    """The journal's intent, if a write was interrupted (or is in progress)."""
    try:
        data = json.loads((root / layout.JOURNAL / INTENT).read_text(encoding="utf-8"))
        return Intent(**data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError):
        return Intent(pid=0, action="?", client=None, head=None, message="", paths=[])  # unreadable: undo


def undo(root: Path) -> None:
    """Undo the write in progress in this process, which failed: its files, the index, the locks its
    git processes left. Raises OSError or GitFailed if even that fails: the journal then stays,
    marked abandoned, and the next command undoes it (never finishes it: its person was told
    it failed)."""
    intent = pending(root)
    if intent is None:  # it failed while recording its intent: nothing else was touched
        shutil.rmtree(root / layout.JOURNAL, ignore_errors=True)
        return
    try:
        _undo_now(root, intent)
    except BaseException:
        with contextlib.suppress(OSError):  # an empty file: room for it even on a full disk, mostly
            (root / layout.JOURNAL / ABANDONED).touch()
        raise


def _undo_now(root: Path, intent: Intent) -> None:
    crash_point("undo", root)
    locks.clear_stale(root)
    if intent.files:
        _roll_back(root, intent, root / layout.JOURNAL, keep_drafts=False)
        _remove_temp_files(root, intent.paths)
    head = current_head(root)
    ours = head is not None and head != intent.head and (head == intent.commit or _made_by(root, head, intent))
    if ours and intent.head is not None:
        git_commit.move_head_from(root, head or "", intent.head, "undo a failed write")  # it must not stand
    if intent.paths and (intent.step in STAGED_STEPS or (ours and not intent.files)):  # else never changed
        git_commit.unstage(root, intent.paths)
    shutil.rmtree(root / layout.JOURNAL, ignore_errors=True)


def heal(root: Path) -> str | None:
    """Finish or undo an interrupted write (the caller holds the writers' lock); one line saying
    what was done, or None if there was nothing to do."""
    intent = pending(root)
    if intent is None:
        # Killed while recording its intent (``intent.json`` not yet renamed into place), before it
        # touched anything else: its folder is all there is to remove.
        shutil.rmtree(root / layout.JOURNAL, ignore_errors=True)
        return None
    folder = root / layout.JOURNAL
    what = f"'{intent.action} {intent.client}'" if intent.client else f"'{intent.action}'"
    locks.clear_stale(root)  # the write's own git processes are gone with it
    head = current_head(root)
    committed = True
    if (folder / ABANDONED).exists():  # it failed, and its person was told so: never finished now
        committed = False
        kept = _roll_back(root, intent, folder, keep_drafts=True) if intent.files else None
        ours = head is not None and head != intent.head and (head == intent.commit or _made_by(root, head, intent))
        if ours and intent.head is not None:
            git_commit.move_head_from(root, head or "", intent.head, "undo a failed write")
        message = f"undid the write {what} that failed: nothing of it was committed"
        if kept:
            message += f"; what it was writing is kept in {kept}"
    elif intent.commit and head == intent.commit:
        message = f"the interrupted write {what} was complete (commit {intent.commit[:8]}); cleaned up after it"
    elif intent.commit and head == intent.head:
        git_commit.move_head_from(root, head or "", intent.commit, intent.message)
        message = f"finished the interrupted write {what} (commit {intent.commit[:8]})"
    elif intent.head is not None and head != intent.head and _made_by(root, head, intent):
        message = f"the interrupted write {what} was complete (commit {(head or '')[:8]}); cleaned up after it"
    elif not intent.files:  # watch's commit: the files on disk are the person's, as saved
        committed = False
        message = f"the interrupted commit {what} was not made; its files are as they were saved, not yet committed"
    else:
        committed = False
        kept = _roll_back(root, intent, folder, keep_drafts=True)
        message = f"undid the interrupted write {what}: nothing of it was committed"
        if kept:
            message += f"; what it was writing is kept in {kept}"
    with contextlib.suppress(GitFailed):
        # The index: HEAD's version (watch's commit changes git's index only after HEAD has moved,
        # so an unfinished one leaves alone what a person staged).
        if intent.paths and (intent.files or committed):
            git_commit.unstage(root, intent.paths)
    if intent.files:  # watch writes no temporary file: one beside a document is an editor's, mid-save
        _remove_temp_files(root, intent.paths, None if committed else intent)
    shutil.rmtree(folder, ignore_errors=True)
    return message


def _made_by(root: Path, commit: str | None, intent: Intent) -> bool:
    """Is ``commit`` the write's own (``git commit`` made it: its id was never recorded)?"""
    if commit is None:
        return False
    found = git_commit.parent_and_message(root, commit)
    return found is not None and found[0] == intent.head and found[1].strip() == intent.message.strip()


def _roll_back(root: Path, intent: Intent, folder: Path, *, keep_drafts: bool) -> str | None:
    """Old bytes back where the write's new bytes are (a rename: no space needed); the new ones
    kept as drafts."""
    drafts = root / layout.DRAFTS / f"recovered-{time.strftime('%Y%m%d-%H%M%S')}"
    kept = False
    for number, rel in enumerate(intent.paths):
        target, old_file = root / rel, folder / "old" / str(number)
        current = target.read_bytes() if target.is_file() else None
        if _digest(current) != intent.new.get(rel):
            continue  # not the write's bytes (never written, or changed since): leave them
        if keep_drafts and current is not None:
            (drafts / rel).parent.mkdir(parents=True, exist_ok=True)
            (drafts / rel).write_bytes(current)
            kept = True
        if intent.existed.get(rel) and old_file.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(old_file, target)
        elif not intent.existed.get(rel):
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
    for created in reversed(intent.created):
        with contextlib.suppress(OSError):
            (root / created).rmdir()  # only if empty: the write's folder, nothing else in it
    if not kept:
        return None
    with contextlib.suppress(OSError):
        os.chmod(drafts, 0o700)
    return str(drafts.relative_to(root))


def _remove_temp_files(root: Path, paths: list[str], keep: Intent | None = None) -> None:
    """``.<name>.*.tmp`` beside each document: an atomic write killed before its rename. With
    ``keep``, one holding exactly the bytes that write meant to put there is moved to the drafts
    (killed between writing it and its rename, it is the only copy of what was being written)."""
    drafts = root / layout.DRAFTS / f"recovered-{time.strftime('%Y%m%d-%H%M%S')}"
    for rel in paths:
        target = root / rel
        if not target.parent.is_dir():
            continue
        for temp in target.parent.glob(f".{target.name}.*.tmp"):
            with contextlib.suppress(OSError):
                if keep is not None and _digest(temp.read_bytes()) == keep.new.get(rel) and not (drafts / rel).exists():
                    (drafts / rel).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(temp, drafts / rel)
                    continue
                temp.unlink()
