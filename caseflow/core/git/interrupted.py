"""What a killed ``git fetch``, ``merge``, ``commit`` or ``push`` leaves behind, and putting it right.

A write's git commands touch the index and HEAD only (:mod:`caseflow.core.git.locks` knows their
locks). A sync's touch more: a fetch locks ``refs/remotes/...``, writes ``objects/pack/tmp_*`` and
a ``.keep`` beside its pack, and starts git's maintenance (``objects/maintenance.lock``); a merge
writes the working tree, the index and ``MERGE_HEAD``, and hands each case document to caseflow's
merge driver as ``.merge_file_*`` temporary files in the top folder (which hold client data); a
push locks the tracking ref. :func:`leftovers` finds all of these and :func:`remove_leftovers`
removes them, only while no git process works in the repository.

:func:`undo_merge` takes back a merge that git was making when it was killed: see its docstring.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from caseflow.core.git import locks
from caseflow.core.git.runner import GitFailed, git, run
from caseflow.core.layout import is_local

#: git's state files of a merge in progress (``git reset`` removes them too).
MERGE_STATE = ("MERGE_HEAD", "MERGE_MSG", "MERGE_MODE", "AUTO_MERGE")
_HEX = frozenset("0123456789abcdef")


def leftovers(root: Path, git_dir: Path) -> list[Path]:
    """Lock and temporary files that git processes left here (whether or not they are alive)."""
    found = sorted(_locks(git_dir))
    objects = git_dir / "objects"
    if (objects / "pack").is_dir():
        found.extend(sorted((objects / "pack").glob("tmp_*")))
        found.extend(sorted(p for p in (objects / "pack").glob("pack-*.keep") if _transfer_keep(p)))
    if objects.is_dir():
        found.extend(sorted(objects.glob("incoming-*")))  # a quarantine a receive or fetch was killed in
    found.extend(sorted(root.glob(".merge_file_*")))  # the merge driver's files: git's own temporaries
    found.extend(sorted(root.glob("..merge_file_*.tmp")))  # the driver's atomic write of one, killed
    return found


def _transfer_keep(path: Path) -> bool:
    """A ``.keep`` a fetch (or a receive) writes while it moves refs, and removes after: killed, it
    would keep its pack from every repack for ever. (One a person made says something else.)"""
    try:
        return path.read_bytes().startswith((b"fetch-pack ", b"receive-pack "))
    except OSError:
        return False


def _locks(git_dir: Path) -> Iterator[Path]:
    """Every ``*.lock`` in the git folder: the index, refs, packed-refs, config, a fetch's
    ``FETCH_HEAD``, maintenance's ``objects/maintenance.lock``, a commit graph's... (the loose
    object folders, which hold none, are not listed: there can be thousands of files there)."""
    objects = str(git_dir / "objects")
    for folder, subfolders, files in os.walk(git_dir):
        if folder == objects:
            subfolders[:] = [d for d in subfolders if not (len(d) == 2 and set(d) <= _HEX)]
        yield from (Path(folder) / name for name in files if name.endswith(".lock"))


def remove_leftovers(root: Path, git_dir: Path) -> list[Path] | None:
    """Remove :func:`leftovers` if no git process is working here (None if one is: they are its own)."""
    found = leftovers(root, git_dir)
    if not found:
        return []
    if not _nobody_working(root, found):
        return None
    import shutil

    for path in found:
        with contextlib.suppress(FileNotFoundError):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    return found


def _nobody_working(root: Path, found: list[Path]) -> bool:
    live = locks.live_git_processes(root)
    if live is not None:
        return not live
    # This system cannot list processes: only what is too old to belong to a running git.
    now = time.time()
    return all(now - p.stat().st_mtime > locks.STALE_AFTER_SECONDS for p in found if p.exists())


def nobody_working(root: Path) -> bool | None:
    """No git process works in this repository now (None: this system cannot tell)."""
    live = locks.live_git_processes(root)
    return None if live is None else not live


def clear_merge_state(git_dir: Path) -> None:
    """Forget a merge that was committed after all (git was killed before it removed MERGE_HEAD)."""
    for name in MERGE_STATE:
        with contextlib.suppress(FileNotFoundError):
            (git_dir / name).unlink()


def merge_base(root: Path, one: str, other: str) -> str | None:
    done = run(root, "merge-base", one, other)
    return (done.text.strip() or None) if done.code == 0 else None


def parents(root: Path, commit: str) -> list[str]:
    return git(root, "rev-list", "--parents", "-n", "1", commit).split()[1:]


def undo_merge(root: Path, head: str, theirs: str, drafts: Path) -> list[str]:
    """Take back a merge of ``theirs`` into ``head`` that git was making when it was killed.

    HEAD must still be ``head``: nothing was committed. The merge can have got anywhere: files
    being written (some new, some old, one cut short), the index old or new, ``MERGE_HEAD``
    written or not. A sync merges only into a clean working tree, so whatever differs from
    ``head`` in a path ``theirs`` changed is the merge's doing, and both sides are still whole
    in their commits: putting ``head``'s version back loses nothing, and merging again makes the
    same result. Only bytes that are not git's own (git wrote every version it merged as an
    object first) could be a person's typing since: those are copied under ``drafts`` first.

    Paths ``theirs`` did not change are left as they are (a person's edit: the sync will say so).
    Returns the paths kept as drafts.
    """
    base = merge_base(root, head, theirs)
    touched = set(_names(root, "diff", "--name-only", "-z", "--no-renames", base or _empty_tree(root), theirs))
    touched |= set(_names(root, "diff", "--cached", "--name-only", "-z", "--no-renames", head))  # incl. unmerged
    git(root, "reset", "-q", head)  # the index: head's, and git's merge state gone
    kept: list[str] = []
    restore: list[str] = []
    for rel in sorted(p for p in touched if not is_local(p)):
        target = root / rel
        current = target.read_bytes() if target.is_file() and not target.is_symlink() else None
        old = _blob(root, f"{head}:{rel}")
        if current == old:
            continue
        if current is not None and not _known_to_git(root, current):
            copy = drafts / rel
            copy.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            copy.write_bytes(current)
            kept.append(rel)
        if old is None:
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            _remove_empty_parents(target.parent, root)
        else:
            restore.append(rel)
    if restore:
        git(root, "checkout", "-q", head, "--", *restore, literal=True)
    return kept


def _names(root: Path, *args: str) -> Iterable[str]:
    return [p for p in git(root, *args).split("\0") if p]


def _empty_tree(root: Path) -> str:
    return git(root, "hash-object", "-t", "tree", "--stdin", stdin=b"").strip()


def _blob(root: Path, spec: str) -> bytes | None:
    done = run(root, "cat-file", "blob", spec)
    return done.stdout if done.code == 0 else None


def _known_to_git(root: Path, data: bytes) -> bool:
    """Are these bytes a blob git already keeps (written by the merge, or committed once)?"""
    try:
        blob = git(root, "hash-object", "--stdin", stdin=data).strip()
    except GitFailed:
        return False
    return run(root, "cat-file", "-e", blob).code == 0


def _remove_empty_parents(folder: Path, root: Path) -> None:
    while folder != root and folder.is_dir():
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
