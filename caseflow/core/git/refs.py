"""Refs of caseflow's own beside the branches: flat trees of files committed without a work tree.

Used by the access record (``refs/caseflow/access``): a tree is built with ``mktree`` from blob
ids, committed with ``commit-tree`` and the ref moved with ``update-ref``'s compare-and-swap, so
the working tree, HEAD and git's index are never touched. The history reads (``rev-list``,
``cat-file --batch``) take one process each, however many commits the ref has.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from caseflow.core.git.runner import GitFailed, git, run


@dataclass(frozen=True)
class Commit:
    """One commit of a ref's history: its id, its parents' ids and its author's email."""

    id: str
    parents: tuple[str, ...]
    author_email: str = ""


def resolve(root: Path, ref: str) -> str | None:
    """The commit ``ref`` names (None if it does not exist)."""
    done = run(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    return (done.text.strip() or None) if done.code == 0 else None


def refs_under(root: Path, prefix: str) -> dict[str, str]:
    """Every ref under ``prefix`` (``refs/caseflow/remotes/``) and the object it names."""
    out = git(root, "for-each-ref", "--format=%(refname) %(objectname)", prefix)
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def files(root: Path, commit: str) -> dict[str, str]:
    """The files at the top of ``commit``'s tree, name -> blob id (a flat tree: no folders)."""
    out = git(root, "ls-tree", "-z", commit)
    found = {}
    for record in out.split("\0"):
        if not record:
            continue
        info, name = record.split("\t", 1)
        _mode, kind, object_id = info.split()
        if kind == "blob":
            found[name] = object_id
    return found


def write_blob(root: Path, data: bytes) -> str:
    """Store ``data`` as a blob; its id."""
    return git(root, "hash-object", "-w", "--stdin", stdin=data).strip()


def make_tree(root: Path, blobs: Mapping[str, str]) -> str:
    """A flat tree of these files (name -> blob id); its id. Names are the caller's own,
    never a person's input: no slash, tab or newline."""
    for name in blobs:
        if not name or any(c in name for c in "/\t\n\0"):
            raise ValueError(f"not a file name for a flat tree: {name!r}")
    listing = "".join(f"100644 blob {blob}\t{name}\n" for name, blob in sorted(blobs.items()))
    return git(root, "mktree", stdin=listing).strip()


def commit_tree(
    root: Path,
    tree: str,
    parents: Sequence[str],
    message: str,
    env: Mapping[str, str],
    sign_args: Sequence[str] = (),
) -> str:
    """A commit of ``tree`` on ``parents`` by ``env``'s author (signed with ``sign_args``)."""
    parent_args = [arg for parent in parents for arg in ("-p", parent)]
    return git(root, "commit-tree", *sign_args, tree, *parent_args, env=env, stdin=message).strip()


def compare_and_swap(root: Path, ref: str, new: str, old: str | None, reason: str) -> bool:
    """Move ``ref`` to ``new`` only if it still names ``old`` (None: only if it does not exist).
    False if it moved meanwhile (another command got there first)."""
    no_commit = "0" * len(new)  # update-ref's "must not exist yet", as wide as the repository's ids
    done = run(root, "update-ref", "-m", reason, ref, new, old or no_commit)
    return done.code == 0


def is_ancestor(root: Path, older: str, newer: str) -> bool:
    """Does ``newer`` descend from ``older`` (or is it the same commit)?"""
    return run(root, "merge-base", "--is-ancestor", older, newer).code == 0


def history(root: Path, revisions: str | Sequence[str]) -> list[Commit]:
    """Every commit of ``revisions`` (a ref, or ``["OLD..NEW"]``), parents before children."""
    asked = [revisions] if isinstance(revisions, str) else list(revisions)
    # An email holds no NUL, and %H %P are hex: one NUL-separated record per commit.
    out = git(root, "log", "--topo-order", "--reverse", "-z", "--format=%H %P%x1f%ae", *asked, "--")
    commits = []
    for record in out.split("\0"):
        ids, _, email = record.strip("\n").partition("\x1f")
        if ids.split():
            commits.append(Commit(ids.split()[0], tuple(ids.split()[1:]), email))
    return commits


def trees_of(root: Path, commits: Iterable[str]) -> dict[str, dict[str, str]]:
    """The flat tree of each commit (name -> blob id), read in one ``cat-file`` process."""
    wanted = list(dict.fromkeys(commits))
    objects = _batch(root, [f"{c}^{{tree}}" for c in wanted])
    # a tree names objects by raw ids as wide as the commit's own (SHA-1 or SHA-256)
    return {commit: _parse_tree(data, len(commit) // 2) for commit, data in zip(wanted, objects, strict=True)}


def sizes(root: Path, blobs: Iterable[str]) -> dict[str, int]:
    """Each blob's size in bytes, without reading it (``cat-file --batch-check``)."""
    wanted = list(dict.fromkeys(blobs))
    if not wanted:
        return {}
    out = git(root, "cat-file", "--batch-check", stdin="".join(f"{b}\n" for b in wanted))
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "blob":
            found[parts[0]] = int(parts[2])
    return found


def blob(root: Path, blob_id: str) -> bytes:
    """A blob's bytes (GitFailed if git has no such blob)."""
    done = run(root, "cat-file", "blob", blob_id)
    if done.code != 0:
        raise GitFailed(done.reason or f"no blob {blob_id}", done.code)
    return done.stdout


def _batch(root: Path, specs: Sequence[str]) -> list[bytes]:
    """The contents of several objects by name, in one ``cat-file --batch``."""
    if not specs:
        return []
    done = run(root, "cat-file", "--batch", stdin="".join(f"{s}\n" for s in specs).encode())
    if done.code != 0:
        raise GitFailed(done.reason or "git cat-file failed", done.code)
    out, at, contents = done.stdout, 0, []
    for spec in specs:
        end = out.index(b"\n", at)
        header = out[at:end].split()
        if len(header) != 3:  # "<spec> missing"
            raise GitFailed(f"git has no object {spec}")
        size = int(header[2])
        contents.append(out[end + 1 : end + 1 + size])
        at = end + 1 + size + 1  # the content is followed by a newline
    return contents


def _parse_tree(data: bytes, width: int) -> dict[str, str]:
    """A tree object's blobs, name -> id: entries are ``<mode> <name>\\0<raw id>``."""
    found, at = {}, 0
    while at < len(data):
        space = data.index(b" ", at)
        nul = data.index(b"\0", space)
        mode, name = data[at:space], data[space + 1 : nul].decode("utf-8", "surrogateescape")
        if not mode.startswith(b"4"):  # a folder (mode 40000) is not one of the record's files
            found[name] = data[nul + 1 : nul + 1 + width].hex()
        at = nul + 1 + width
    return found
