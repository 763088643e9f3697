"""Committing bytes a caller has already read and checked, without touching the working tree.

What ``caseflow watch`` commits: the new tree is built in a scratch index from HEAD, HEAD moves by
compare-and-swap, then git's own index takes just those paths. Each step is recorded in the write
journal first (:class:`Steps`, which :class:`caseflow.core.journal.Journal` is), so that a process
killed halfway is finished or cleared by the next command, as an ordinary write is.
"""

from __future__ import annotations

import contextlib
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Protocol

from caseflow.core.git.commit import Author, commit_message
from caseflow.core.git.runner import GitFailed, git, run
from caseflow.errors import LockTimeout, StoreError


class InterruptedWrite(LockTimeout):
    """A write killed while this one waited for the lock left its journal: it is to be healed
    (:meth:`caseflow.core.store.Store.heal`) before anything else is committed."""


class Steps(Protocol):
    """Where a commit records its intent and each step it reaches (the write journal; a protocol,
    because the git package sits beneath the journal). ``folder`` is the journal's own folder:
    the scratch index lives there, so healing an interrupted commit removes it too."""

    folder: Path

    def begin(
        self,
        *,
        action: str,
        client: str | None,
        head: str | None,
        message: str,
        writes: Mapping[str, bytes | None],
        files: bool,
    ) -> None: ...

    def interrupted(self) -> bool: ...

    def reached(self, step: str, *, commit: str | None = None) -> None: ...

    def finish(self) -> None: ...


def commit_files(
    root: Path,
    author: Author,
    files: Mapping[str, bytes | None],
    *,
    scratch: Path,
    action: str,
    client: str | None,
    keep: Callable[[str, bytes | None], bool] | None = None,
    journal: Steps | None = None,
) -> str | None:
    """Commit exactly these bytes (None: the file's removal) in one commit without touching the
    working tree; returns the commit, or None when HEAD already holds them all.

    For a caller that has read and checked the bytes itself and holds the repository's lock
    (:meth:`caseflow.core.store.Store.commit_files`, used by ``caseflow watch``): the new tree is
    built in a scratch index (in a temporary folder under ``scratch``) from HEAD, so nothing a
    person staged for other paths is taken along; HEAD moves by compare-and-swap; then git's own
    index gets just these paths, so that ``git status`` shows them clean. ``keep(path, data)`` is
    asked right before committing; a path it refuses (its file changed again) is left out.

    With ``journal``, the intent is recorded before anything is made and each step as it is
    reached (``watch-journal``, ``watch-blobs``, ``watch-tree``, ``watch-commit`` with the
    commit's id, ``watch-ref``, ``watch-index``): a process killed at any of them is finished (its
    commit object exists) or cleared by the next command. The journal of another write, killed
    while this one waited for the lock, is never replaced: :class:`InterruptedWrite` asks the
    caller to heal it first. A failure before HEAD moved leaves nothing to heal; one after (git's
    index still locked) leaves the journal, and the next command updates git's index.
    """
    if journal is not None and journal.interrupted():
        raise InterruptedWrite("a write was interrupted while this one waited; it is to be put right first")
    with _signals_deferred():
        chosen = {rel: data for rel, data in files.items() if keep is None or keep(rel, data)}
        if not chosen:
            return None
        parent = _plumbing(root, "rev-parse", "--verify", "-q", "HEAD", check=False).strip() or None
        message = commit_message(action, client)
        commit: str | None = None
        moved = False  # HEAD points at the new commit: from here on it stands
        try:
            if journal is not None:
                journal.begin(action=action, client=client, head=parent, message=message, writes=chosen, files=False)
                journal.reached("watch-journal")
            with tempfile.TemporaryDirectory(dir=journal.folder if journal else scratch, prefix="commit-") as folder:
                scratch_index = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
                _plumbing(root, "read-tree", parent or "--empty", env=scratch_index)
                entries = _index_entries(root, chosen, scratch_index)
                _plumbing(root, "update-index", "-z", "--index-info", data=entries, env=scratch_index)
                _reached(journal, "watch-blobs")
                tree = _plumbing(root, "write-tree", env=scratch_index).strip()
            _reached(journal, "watch-tree")
            if parent is None or tree != _plumbing(root, "rev-parse", f"{parent}^{{tree}}").strip():
                parents = ["-p", parent] if parent else []
                commit = _plumbing(
                    root, "commit-tree", *author.sign_args, tree, *parents, data=message.encode(), env=author.env()
                ).strip()
                _reached(journal, "watch-commit", commit=commit)
                expected = parent or "0" * 40  # no HEAD yet: the ref must still not exist
                if _plumbing_status(root, "update-ref", "-m", f"caseflow: {action}", "HEAD", commit, expected):
                    raise StoreError("HEAD moved while committing (another git command?); nothing was committed")
                moved = True
                _reached(journal, "watch-ref")
            _sync_index(root, entries, commit)
            _reached(journal, "watch-index")
        except BaseException as exc:
            if journal is not None and not moved:
                with contextlib.suppress(OSError):
                    journal.finish()  # nothing but git objects was made: nothing to heal
            if not isinstance(exc, OSError):
                raise
            if moved:
                raise StoreError(
                    f"committed {(commit or '')[:12]}, but could not record it ({exc.strerror or exc}); "
                    "the next caseflow command finishes it"
                ) from None
            raise StoreError(f"could not commit ({exc.strerror or exc}); nothing was committed") from None
        if journal is not None:
            journal.finish()
        return commit


def _reached(journal: Steps | None, step: str, *, commit: str | None = None) -> None:
    if journal is not None:
        journal.reached(step, commit=commit)


def _index_entries(root: Path, files: Mapping[str, bytes | None], scratch_index: Mapping[str, str]) -> bytes:
    """``git update-index -z --index-info`` input: each file's bytes stored as a blob (keeping
    the mode the path has), or mode 0, which removes the path."""
    listed = _plumbing(root, "ls-files", "-s", "-z", "--", *files, env=scratch_index)
    modes = {}
    for entry in listed.split("\0"):
        if entry:
            info, _, path = entry.partition("\t")
            modes[path] = info.split(" ")[0]
    lines = []
    for rel, data in sorted(files.items()):
        if data is None:
            lines.append(f"0 {'0' * 40}\t{rel}")
            continue
        blob = _plumbing(root, "hash-object", "-w", "--no-filters", "--stdin", data=data).strip()
        lines.append(f"{modes.get(rel, '100644')} {blob}\t{rel}")
    return "".join(line + "\0" for line in lines).encode("utf-8", "surrogateescape")


def _sync_index(root: Path, entries: bytes, commit: str | None) -> None:
    """git's own index takes the committed paths; a git command holding its lock briefly
    (``git status`` refreshing) is waited for."""
    deadline = time.monotonic() + 3.0
    while True:
        failed = _plumbing_status(root, "update-index", "-z", "--index-info", data=entries)
        if not failed:
            return
        if "index.lock" not in failed or time.monotonic() >= deadline:
            done = f"committed {commit[:12]}, but " if commit else ""
            raise StoreError(
                f"{done}git's index could not be updated ({failed}); `git status` may list the files "
                "until the next caseflow command updates it"
            )
        time.sleep(0.05)


def _plumbing(
    root: Path, *args: str, data: bytes | None = None, env: Mapping[str, str] | None = None, check: bool = True
) -> str:
    """Output of a git plumbing command run in its own process group (a terminal's Ctrl-C is
    held for the whole commit by :func:`_signals_deferred`, so it must not reach git either)."""
    try:
        return git(root, *args, stdin=data, env=env, literal=True, own_group=True, timeout=120)
    except GitFailed as exc:
        if check:
            raise StoreError(f"git {args[0]} refused ({exc.reason}); nothing was committed") from None
        return ""


def _plumbing_status(root: Path, *args: str, data: bytes | None = None) -> str | None:
    """None when the git command succeeded, else git's reason."""
    done = run(root, *args, stdin=data, literal=True, own_group=True)
    return None if done.code == 0 else (done.reason or "no reason")


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while a commit and git's index are updated, then deliver them to
    whatever handler was there: the commit finishes, and the signal is not lost (unlike
    :func:`caseflow.core.store._uninterruptible`, which a long-running ``caseflow watch`` cannot afford)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(signum)
        if handler is not None and handler is not signal.SIG_IGN:  # None: set outside Python; leave it
            previous[signum] = signal.signal(signum, lambda number, _frame: caught.append(number))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for number in dict.fromkeys(caught):
            signal.raise_signal(number)
