"""What ``caseflow doctor`` asks git: where its folders are, which lock files exist, what the index
holds that HEAD does not (and what the working tree holds for those paths), and the durable
settings as git resolves them.

Read-only (unstaging is :func:`caseflow.core.git.commit.unstage`). Every question is cheap next to
a write; ``doctor`` runs seldom, so clarity wins over saving a process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from caseflow.core.git.runner import GitFailed, git, run

#: The id git writes for "no such blob" (a path added or removed).
_NONE = "0" * 40
#: The working tree's version of a path could not be read (a link, an unreadable file).
UNKNOWN = "?"


def folders(root: Path) -> tuple[Path, Path]:
    """The repository's git folder and its common folder (the same, except in a linked worktree,
    whose index and HEAD are its own while its refs and config are shared)."""
    lines = git(root, "rev-parse", "--git-dir", "--git-common-dir").splitlines()
    git_dir = (root / lines[0].strip()).resolve()
    common = (root / lines[1].strip()).resolve() if len(lines) > 1 else git_dir
    return git_dir, common


def lock_files(git_dir: Path, common: Path) -> list[Path]:
    """Every git lock file present: ``index.lock``, ``HEAD.lock`` and any other ``*.lock`` in the
    git folder, ``packed-refs.lock`` and ``config.lock`` in the common one, and each ref's lock
    (``refs/heads/main.lock``, ``refs/caseflow/access.lock``)."""
    found: list[Path] = []
    for folder in dict.fromkeys((git_dir, common)):  # once each, in order
        found.extend(sorted(p for p in folder.glob("*.lock") if p.is_file()))
    refs = common / "refs"
    if refs.is_dir():
        found.extend(sorted(p for p in refs.rglob("*.lock") if p.is_file()))
    if git_dir != common and (git_dir / "refs").is_dir():
        found.extend(sorted(p for p in (git_dir / "refs").rglob("*.lock") if p.is_file()))
    return found


@dataclass(frozen=True)
class StagedChange:
    """A path whose staged version is not HEAD's: blob ids in HEAD, in the index and in the working
    tree (None: the path is not there; :data:`UNKNOWN`: its working-tree version could not be read)."""

    path: str
    head: str | None
    index: str | None
    worktree: str | None

    @property
    def worktree_is_head(self) -> bool:
        """The working tree shows HEAD's version: the staged one is in neither of them."""
        return self.worktree != UNKNOWN and self.worktree == self.head


def staged_changes(root: Path) -> list[StagedChange]:
    """Paths staged differently from HEAD (none before the first commit; unmerged paths, which
    belong to a merge in progress, are left out)."""
    try:
        out = git(root, "diff-index", "--cached", "--raw", "-z", "--no-renames", "HEAD", "--")
    except GitFailed:
        return []  # no HEAD yet
    fields = out.split("\0")
    entries: list[tuple[str, str | None, str | None]] = []
    for info, path in zip(fields[0::2], fields[1::2], strict=False):
        parts = info.lstrip(":").split()
        if len(parts) < 5 or parts[4].startswith("U"):
            continue
        head, index = parts[2], parts[3]
        entries.append((path, None if head == _NONE else head, None if index == _NONE else index))
    worktree = worktree_blobs(root, [path for path, _, _ in entries])
    return [StagedChange(path, head, index, worktree[path]) for path, head, index in entries]


def worktree_blobs(root: Path, paths: list[str]) -> dict[str, str | None]:
    """The blob id each path's working-tree file would be stored as (git's filters applied),
    None for a missing file, :data:`UNKNOWN` where it cannot be told."""
    found: dict[str, str | None] = {}
    readable: list[str] = []
    for path in paths:
        target = root / path
        if target.is_symlink() or "\n" in path:
            found[path] = UNKNOWN
        elif not target.exists():
            found[path] = None
        elif not target.is_file():
            found[path] = UNKNOWN  # a folder where the index has a file
        else:
            readable.append(path)
    if readable:
        listing = "".join(f"{path}\n" for path in readable).encode("utf-8", "surrogateescape")
        done = run(root, "hash-object", "--stdin-paths", stdin=listing)
        ids = done.text.split() if done.code == 0 else []
        for path, blob in zip(readable, ids if len(ids) == len(readable) else [UNKNOWN] * len(readable), strict=True):
            found[path] = blob
    return found


def index_bytes(root: Path, path: str) -> bytes | None:
    """The bytes git's index holds for ``path`` (None if it holds none)."""
    done = run(root, "cat-file", "blob", f":{path}")
    return done.stdout if done.code == 0 else None


def merge_state(git_dir: Path) -> str | None:
    """What git is in the middle of, by the files it keeps meanwhile: ``merge``, ``rebase``,
    ``cherry-pick``, ``revert``, ``am`` (None: nothing)."""
    if (git_dir / "MERGE_HEAD").is_file():
        return "merge"
    if (git_dir / "rebase-merge").is_dir() or (git_dir / "rebase-apply" / "rebasing").exists():
        return "rebase"
    if (git_dir / "rebase-apply").is_dir():
        return "am"
    if (git_dir / "CHERRY_PICK_HEAD").is_file():
        return "cherry-pick"
    if (git_dir / "REVERT_HEAD").is_file():
        return "revert"
    return None


def unmerged_count(root: Path) -> int:
    """How many paths are left unmerged (conflicts not yet marked resolved)."""
    done = run(root, "diff", "--name-only", "--diff-filter=U", "-z")
    return len([p for p in done.text.split("\0") if p]) if done.code == 0 else 0


def settings(root: Path, names: list[str]) -> dict[str, str]:
    """Settings as git resolves them here (the clone's, the user's, the system's), by lower-case
    name; a setting nobody set is absent."""
    pattern = "^(" + "|".join(name.lower().replace(".", r"\.") for name in names) + ")$"
    done = run(root, "config", "--get-regexp", pattern)
    values: dict[str, str] = {}
    for line in done.text.splitlines() if done.code == 0 else []:
        key, _, value = line.partition(" ")
        values[key.lower()] = value  # set twice: the last one counts, as for git
    return values
