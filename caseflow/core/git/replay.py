"""Reading history for a replay of the rules: every commit with what it changed, its trailers,
its signature, and the bytes of many blobs at once.

Works in a bare repository too (the server's pre-receive hook): ``root`` is then the git folder.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from caseflow.core.git.runner import GitFailed, git

_FIELD, _RECORD = "\x1f", "\x1e"  # for git's own fields (ids, signature letters): never in a message
TRAILERS = ("Caseflow-Action", "Caseflow-Client", "Caseflow-Stage")
ZERO = "0" * 40


@dataclass(frozen=True)
class Change:
    """One path a commit changed against its first parent (blob ids; ZERO where absent)."""

    path: str
    old: str
    new: str


@dataclass(frozen=True)
class CommitFacts:
    """What the rules need to know about one commit."""

    id: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    committer_email: str
    time: int  # the committer's, seconds since the epoch
    subject: str
    message: str
    action: str
    client: str
    stage: str  # the Caseflow-Stage trailer: "planning -> active"
    changes: tuple[Change, ...] = field(default=())

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


@dataclass(frozen=True)
class Signature:
    """git's verdict on a commit's signature: ``G`` good, ``U`` good but not an allowed signer,
    ``B`` bad, ``N`` none, ``E`` cannot be checked; the signing key's fingerprint."""

    status: str
    fingerprint: str


def walk(root: Path, revisions: Sequence[str]) -> list[CommitFacts]:
    """The commits of ``revisions`` (``["HEAD"]``, ``["A..B"]``, ``["NEW", "--not", "--all"]``),
    oldest first, parents before children, each with its changes against its first parent."""
    # A message may hold any character: the separators carry a token no commit can know in advance.
    token = secrets.token_hex(12)
    field_mark, record_mark = f"\x1f{token}\x1f", f"\x1e{token}\x1e"
    asked = "".join(f"{field_mark}%(trailers:key={key},valueonly,separator=%x2c)" for key in TRAILERS)
    out = git(
        root,
        "-c",
        "core.quotePath=false",
        # git keeps up to 96 MB of objects it undeltified by default: 260 MB for a whole history
        # of 10,000 clients (--reverse holds it all) instead of 80 MB, for no time saved here
        "-c",
        "core.deltaBaseCacheLimit=8m",
        "log",
        "--reverse",
        "--topo-order",
        "--no-renames",
        "--raw",
        "--no-abbrev",
        "-z",
        "--diff-merges=first-parent",
        f"--format={record_mark}%H{field_mark}%P{field_mark}%an{field_mark}%ae{field_mark}%ce{field_mark}%ct"
        f"{asked}{field_mark}%B{field_mark}",
        *revisions,
        "--",
    )
    return [_facts(chunk, field_mark) for chunk in out.split(record_mark)[1:]]


def _facts(chunk: str, field_mark: str) -> CommitFacts:
    commit, parents, name, email, committer, time, action, client, stage, message, raw = chunk.split(field_mark, 10)
    return CommitFacts(
        commit,
        tuple(parents.split()),
        name,
        email,
        committer,
        int(time or 0),
        message.split("\n", 1)[0],
        message,
        action.strip(),
        client.strip(),
        stage.strip(),
        tuple(_changes(raw)),
    )


def _changes(raw: str) -> Iterable[Change]:
    """``--raw -z`` records: ``:MODE MODE OLD NEW STATUS\\0PATH\\0`` each."""
    parts = raw.lstrip("\n").split("\0")
    index = 0
    while index + 1 < len(parts):
        header = parts[index].strip()
        if not header.startswith(":"):
            index += 1
            continue
        fields = header[1:].split()
        if len(fields) >= 4:
            yield Change(parts[index + 1], fields[2], fields[3])
        index += 2


def signatures(root: Path, commits: Sequence[str], allowed_signers: Path) -> dict[str, Signature]:
    """Each commit's signature as git checks it against ``allowed_signers`` (about 15 ms a
    signed commit: ``ssh-keygen`` runs once per commit)."""
    if not commits:
        return {}
    out = git(
        root,
        "-c",
        "gpg.format=ssh",
        "-c",
        f"gpg.ssh.allowedSignersFile={allowed_signers}",
        "log",
        "--no-walk=unsorted",
        "--stdin",
        f"--format={_RECORD}%H{_FIELD}%G?{_FIELD}%GF",
        stdin="\n".join(commits) + "\n",
    )
    found = {}
    for chunk in out.split(_RECORD)[1:]:
        commit, status, fingerprint = [*chunk.strip("\n").split(_FIELD), "", ""][:3]
        found[commit] = Signature(status or "N", fingerprint.strip())
    return found


def merge_base(root: Path, first: str, second: str) -> str | None:
    """The best common ancestor of two commits (None: unrelated histories)."""
    try:
        return git(root, "merge-base", first, second).strip() or None
    except GitFailed:
        return None


def reachable(root: Path, rev: str) -> set[str]:
    """Every commit ``rev`` reaches (itself included)."""
    return set(git(root, "rev-list", rev).split())


def count(root: Path, rev: str) -> int:
    """How many commits ``rev`` reaches (itself included)."""
    return int(git(root, "rev-list", "--count", rev).strip() or 0)


def blobs(root: Path, ids: Iterable[str]) -> dict[str, bytes]:
    """The bytes of each blob id git has (``cat-file --batch``, one process for all)."""
    wanted = sorted({i for i in ids if i and i != ZERO})
    if not wanted:
        return {}
    from caseflow.core.git.runner import run

    done = run(root, "cat-file", "--batch", stdin=("\n".join(wanted) + "\n").encode())
    if done.code != 0:
        raise GitFailed(done.reason or "git cat-file failed", done.code)
    found, data, position = {}, done.stdout, 0
    while position < len(data):
        end = data.index(b"\n", position)
        header = data[position:end].decode().split()
        position = end + 1
        if len(header) < 3 or header[1] == "missing":
            continue
        size = int(header[2])
        found[header[0]] = data[position : position + size]
        position += size + 1
    return found


def blob_id_at(root: Path, rev: str, path: str) -> str | None:
    """The blob id of ``path`` in commit ``rev`` (None if absent)."""
    try:
        return git(root, "rev-parse", "-q", "--verify", f"{rev}:{path}").strip() or None
    except GitFailed:
        return None


def resolve(root: Path, rev: str) -> str | None:
    """The commit ``rev`` names, or None."""
    try:
        return git(root, "rev-parse", "-q", "--verify", f"{rev}^{{commit}}").strip() or None
    except GitFailed:
        return None


def is_ancestor(root: Path, older: str, newer: str) -> bool:
    """Does ``newer`` descend from ``older``? Remembered when it does, between commits named by
    their ids (a commit's ancestry never changes): a long-running process asks after each commit."""
    from caseflow.core.git.runner import succeeds

    asked = (str(root), older, newer)
    if asked in _DESCENDS:
        return True
    descends = succeeds(root, "merge-base", "--is-ancestor", older, newer)
    if descends and _COMMIT_ID.fullmatch(older) and _COMMIT_ID.fullmatch(newer):
        if len(_DESCENDS) >= _MOST_REMEMBERED:
            _DESCENDS.clear()
        _DESCENDS.add(asked)
    return descends


_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_DESCENDS: set[tuple[str, str, str]] = set()
_MOST_REMEMBERED = 4096
