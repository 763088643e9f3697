"""Committing bytes a caller has already read and checked, without touching the working tree.

What ``caseflow watch`` commits: the new tree is built in a scratch index from HEAD, HEAD moves by
compare-and-swap, then git's own index takes just those paths.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from caseflow.core.git.runner import reason_of
from caseflow.core.safefiles import refuse_links
from caseflow.core.store import CONFLICT_MARKER, LOCAL_DIR, Author, commit_message
from caseflow.errors import StoreError

if TYPE_CHECKING:
    from caseflow.core.store import Store


def commit_files(
    store: Store,
    author: Author,
    files: Mapping[str, bytes | None],
    *,
    action: str,
    client: str | None,
    keep: Callable[[str, bytes | None], bool] | None = None,
) -> str | None:
    """Commit exactly these bytes (None: the file's removal) in one commit without touching the
    working tree; returns the commit, or None when HEAD already holds them all.

    For a caller that has read and checked the bytes itself (``caseflow watch``): the new tree
    is built in a scratch index from HEAD, so nothing a person staged for other paths is taken
    along; HEAD moves by compare-and-swap; then git's own index gets just these paths, so that
    ``git status`` shows them clean. ``keep(path, data)`` is asked under the repository lock
    right before committing; a path it refuses (its file changed again) is left out.
    """
    for rel, data in files.items():
        refuse_links(store.root, rel)
        if data is not None and CONFLICT_MARKER.search(data):
            raise StoreError(f"{rel} holds git conflict markers; caseflow never commits them")
    with store.lock(), _signals_deferred():
        chosen = {rel: data for rel, data in files.items() if keep is None or keep(rel, data)}
        if not chosen:
            return None
        parent = _plumbing(store.root, "rev-parse", "--verify", "-q", "HEAD", check=False).strip() or None
        with tempfile.TemporaryDirectory(dir=store.root / LOCAL_DIR, prefix="commit-") as scratch:
            scratch_index = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            _plumbing(store.root, "read-tree", parent or "--empty", env=scratch_index)
            entries = _index_entries(store.root, chosen, scratch_index)
            _plumbing(store.root, "update-index", "-z", "--index-info", data=entries, env=scratch_index)
            tree = _plumbing(store.root, "write-tree", env=scratch_index).strip()
        commit = None
        if parent is None or tree != _plumbing(store.root, "rev-parse", f"{parent}^{{tree}}").strip():
            message = commit_message(action, client)
            parents = ["-p", parent] if parent else []
            commit = _plumbing(store.root, "commit-tree", tree, *parents, data=message.encode(), env=author.env())
            commit = commit.strip()
            expected = parent or "0" * 40  # no HEAD yet: the ref must still not exist
            if _plumbing_status(store.root, "update-ref", "-m", f"caseflow: {action}", "HEAD", commit, expected):
                raise StoreError("HEAD moved while committing (another git command?); nothing was committed")
        _sync_index(store.root, entries, commit)
        return commit


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
            raise StoreError(f"{done}git's index could not be updated ({failed}); `git status` may list the files")
        time.sleep(0.05)


def _plumbing(
    root: Path, *args: str, data: bytes | None = None, env: Mapping[str, str] | None = None, check: bool = True
) -> str:
    """Output of a git plumbing command run in its own process group (a terminal's Ctrl-C is
    held for the whole commit by :func:`_signals_deferred`, so it must not reach git either)."""
    import subprocess

    done = subprocess.run(
        ["git", "--literal-pathspecs", *args],
        cwd=root,
        input=data,
        env={**os.environ, **(env or {})},
        capture_output=True,
        check=False,
        process_group=0,
        timeout=120,
    )
    if check and done.returncode != 0:
        raise StoreError(f"git {args[0]} refused ({_stderr_reason(done.stderr)}); nothing was committed")
    return done.stdout.decode("utf-8", "surrogateescape")


def _plumbing_status(root: Path, *args: str, data: bytes | None = None) -> str | None:
    """None when the git command succeeded, else git's reason."""
    import subprocess

    done = subprocess.run(
        ["git", "--literal-pathspecs", *args], cwd=root, input=data, capture_output=True, check=False, process_group=0
    )
    return None if done.returncode == 0 else _stderr_reason(done.stderr)


def _stderr_reason(stderr: bytes) -> str:
    return reason_of(stderr.decode("utf-8", "replace")) or "no reason"


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while a commit and git's index are updated, then deliver them to
    whatever handler was there: the commit finishes, and the signal is not lost (unlike
    :func:`_uninterruptible`, which a long-running ``caseflow watch`` cannot afford)."""
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
