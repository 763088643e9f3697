"""Checking the access record (:mod:`caseflow.core.access_record`): ``caseflow audit --verify`` on a
clone, and the shared remote's hook on every push of ``refs/caseflow/access``.

The hash chain alone finds an entry edited, removed or reordered; these checks find the rest:

- **cut or rewritten**: every committed version of a chain must begin its version at the ref's tip,
  no commit may shorten or remove a chain, the local log must begin with what was committed, and
  the ref must descend from the copy last fetched from or pushed to the remote;
- **forged**: an entry is committed only by the person it names. A commit that adds entries must
  be authored by that member of staff (by email, as the staff list has it), and where the
  repository requires signing, signed with a key registered to them (after the recorded
  ``signing.access_baseline``); a join (a merge) adds no entry of its own, it only takes each
  chain's longer copy. So nobody can put a read in someone else's name: a chain file written by
  hand, correctly hashed, naming another person is refused here and at the remote.

What no check can find: entries forged or removed on a laptop before their first commit (between a
read and the next write or sync), by the person whose entries they are; and a whole ``.caseflow/``
folder deleted with them (the clone then starts a chain of its own; what was committed stays).
Without ``signing: required`` authorship is as git records it, which anyone can type: the checks
then say who the commits claim, not who made them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from caseflow.core.access_record import (
    ACCESS_LOG,
    ACCESS_REF,
    TRACKING_PREFIX,
    _chain_file,
    _flushed_size,
    _lines,
    _local_bytes,
    _parsed,
    chain_problems,
    tip_contents,
)
from caseflow.core.git.objects import blob_id

if TYPE_CHECKING:
    from caseflow.core.config import RepoConfig
    from caseflow.core.git.refs import Commit

ZERO = "0" * 40
#: Where the keys that may sign access-record commits are written for git (in the state folder).
ALLOWED_SIGNERS = "access_allowed_signers"


@dataclass(frozen=True)
class Signers:
    """Who may add entries to the record, as the case repository's history recognises them."""

    #: A commit's author email -> the staff id it is (every staff list in force at some commit).
    ids_by_email: Mapping[str, str] = field(default_factory=dict)
    #: staff id -> every public key registered to them at some commit.
    keys: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: Must a commit that adds entries be signed (``signing: required``)?
    required: bool = False
    #: The record's commit up to which it was accepted unsigned (``signing.access_baseline``).
    baseline: str | None = None

    @classmethod
    def from_configs(cls, configs: Iterable[RepoConfig], current: RepoConfig | None) -> Signers:
        """From every staff list in force at some commit, and the settings in force now."""
        ids: dict[str, str] = {}
        keys: dict[str, set[str]] = {}
        for config in configs:
            for member in config.staff:
                ids[member.email.lower()] = member.id
                keys.setdefault(member.id, set()).update(member.keys)
        return cls(
            ids,
            {who: frozenset(found) for who, found in keys.items()},
            bool(current and current.signing_required),
            current.signing_access_baseline if current else None,
        )

    def staff_id(self, email: str) -> str | None:
        return self.ids_by_email.get(email.lower())


def verify(root: Path, signers: Signers | None = None, state_dir: Path | None = None) -> list[str]:
    """Every sign of tampering, one line each ([] if none): the local chain, then the committed
    record (with ``signers``: whose entries each commit added, and its signature)."""
    problems = chain_problems(ACCESS_LOG, _raw_lines(root))
    if (root / ".git").exists():
        from caseflow.core.git.runner import GitFailed

        try:
            problems += _ref_problems(root, signers, state_dir)
        except GitFailed as exc:  # a missing object is itself a sign: said, not a traceback
            problems.append(f"{ACCESS_REF}: git could not read it ({exc.reason})")
    return problems


def push_problems(root: Path, old: str, new: str, signers: Signers, state_dir: Path | None) -> list[str]:
    """Why a push moving the record from ``old`` to ``new`` must be refused ([]: accept it): a
    chain broken, a version that does not begin the next, a chain removed or cut, or a new commit
    adding entries that are not its author's (or not signed by them)."""
    from caseflow.core.git import refs

    contents = tip_contents(root, new)
    problems = [
        p for name, data in sorted(contents.items()) for p in chain_problems(f"{ACCESS_REF}:{name}", _lines(data))
    ]
    fresh = {c.id for c in refs.history(root, [new, "--not", old])} if old != ZERO else None
    return problems + _history_problems(root, new, contents, signers, state_dir, fresh)


def _raw_lines(root: Path) -> list[str]:
    """The log's lines as they are (blank ones kept: line numbers must be the file's)."""
    target = root / ACCESS_LOG
    return target.read_text(encoding="utf-8").splitlines() if target.is_file() else []


def _ref_problems(root: Path, signers: Signers | None, state_dir: Path | None) -> list[str]:
    from caseflow.core.git import refs

    tip = refs.resolve(root, ACCESS_REF)
    tracking = {r: c for r, c in refs.refs_under(root, TRACKING_PREFIX).items() if r.endswith("/access")}
    own, local = _chain_file(root), _lines(_local_bytes(root))
    committed_here = bool(_flushed_size(root))  # this clone committed entries before
    if tip is None:
        problems = [f"{ACCESS_REF} is missing, but {ref} holds the record (deleted?)" for ref in sorted(tracking)]
        if committed_here and not problems:
            problems.append(f"{ACCESS_REF} is missing, but this clone committed its entries to it (deleted?)")
        return problems
    contents = tip_contents(root, tip)
    problems = []
    if committed_here and own not in contents:
        problems.append(f"{ACCESS_REF}: {own or 'this clone'}'s chain is gone, though this clone committed to it")
    for name, data in sorted(contents.items()):
        problems += chain_problems(f"{ACCESS_REF}:{name}", _lines(data))
    problems += _history_problems(root, tip, contents, signers, state_dir)
    if own in contents:
        problems += _begins_with(ACCESS_LOG, local, _lines(contents[own]), f"{ACCESS_REF}:{own}")
    for ref, commit in sorted(tracking.items()):
        if not refs.is_ancestor(root, commit, tip):
            problems.append(f"{ACCESS_REF} does not descend from {ref}: it was rewritten or cut back")
        theirs = refs.files(root, commit)
        if own in theirs:
            copy = _lines(refs.blob(root, theirs[own]))
            problems += _begins_with(f"{ACCESS_REF}:{own}", _lines(contents.get(own, b"")), copy, f"{ref}:{own}")
    return problems


def _begins_with(where: str, have: Sequence[str], committed: Sequence[str], source: str) -> list[str]:
    """Does ``have`` begin with every entry of ``committed`` (from ``source``)? One line if not."""
    for index, line in enumerate(committed):
        if index >= len(have):
            if not have:
                return [f"{where}: empty or deleted, but {source} holds entries 1..{len(committed)}"]
            return [
                f"{where}: ends at entry {index}, but {source} holds entries {index + 1}..{len(committed)} (cut off)"
            ]
        if have[index] != line:
            return [
                f"{where}: entry {index + 1} differs from {source} (changed, removed or forged after it was committed)"
            ]
    return []


def _history_problems(
    root: Path,
    tip: str,
    contents: Mapping[str, bytes],
    signers: Signers | None,
    state_dir: Path | None,
    only: set[str] | None = None,
) -> list[str]:
    """Every committed version of a chain must begin its version at the tip, and no commit may
    shorten or remove one. Checked by blob id and size, so no old version needs reading: a version
    of n bytes begins the tip's iff its id is git's id of the tip's first n bytes. With
    ``signers``, the entries each commit (of ``only``, or all) added must be its author's."""
    from caseflow.core.git import refs

    commits = refs.history(root, tip)
    trees = refs.trees_of(root, [c.id for c in commits])
    size = refs.sizes(root, {blob for tree in trees.values() for blob in tree.values()})
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for commit in commits:
        for name, blob in trees[commit.id].items():
            if (name, blob) not in seen:
                seen.add((name, blob))
                problems += _version_problems(root, commit.id, name, blob, size[blob], contents)
        for parent in commit.parents:
            problems += _edge_problems(commit.id, trees[parent], trees[commit.id], size)
    if signers is not None:
        judged = [c for c in commits if only is None or c.id in only]
        problems += _authorship_problems(root, judged, trees, size, contents, signers, state_dir)
    return list(dict.fromkeys(problems))


def _authorship_problems(
    root: Path,
    commits: Sequence[Commit],
    trees: Mapping[str, Mapping[str, str]],
    size: Mapping[str, int],
    contents: Mapping[str, bytes],
    signers: Signers,
    state_dir: Path | None,
) -> list[str]:
    """Each commit's new entries must name its author; a join adds none; signed where required."""
    problems: list[str] = []
    adding: dict[str, str] = {}  # commit -> the staff id its entries name (to check its signature)
    for commit in commits:
        if len(commit.parents) > 1:
            for name, blob in trees[commit.id].items():
                if all(trees[parent].get(name) != blob for parent in commit.parents):
                    problems.append(
                        f"{ACCESS_REF}:{name}: merge commit {commit.id[:10]} adds entries of its own "
                        "(a join only takes each chain's longer copy)"
                    )
            continue
        before = trees[commit.parents[0]] if commit.parents else {}
        added = list(_added_entries(trees[commit.id], before, size, contents))
        if not added:
            continue
        who = signers.staff_id(commit.author_email)
        if who is None:
            problems.append(
                f"{ACCESS_REF}: commit {commit.id[:10]} adds entries, but its author {commit.author_email} "
                "is not on the staff list"
            )
            continue
        for name, entry in added:
            if entry["who"] != who:
                problems.append(
                    f"{ACCESS_REF}:{name}: entry {entry['seq']} names {entry['who']}, but commit "
                    f"{commit.id[:10]} that added it is {who}'s (each person commits only their own entries)"
                )
        adding[commit.id] = who
    if signers.required and adding:
        problems += _signature_problems(root, adding, signers, state_dir)
    return problems


def _added_entries(
    after: Mapping[str, str], before: Mapping[str, str], size: Mapping[str, int], contents: Mapping[str, bytes]
) -> Iterable[tuple[str, dict]]:
    """The entries a commit appended to each chain, read from the tip's copy (a version that does
    not begin the tip's is reported already, and skipped here)."""
    for name, blob in after.items():
        if before.get(name) == blob:
            continue
        current = contents.get(name)
        start, end = size[before[name]] if name in before else 0, size[blob]
        if current is None or start > end or blob_id(current[:end], len(blob)) != blob:
            continue
        for line in _lines(current[start:end]):
            entry = _parsed(line)
            if entry is not None:
                yield name, entry


def _signature_problems(root: Path, adding: Mapping[str, str], signers: Signers, state_dir: Path | None) -> list[str]:
    from caseflow.core import signature_cache, signing
    from caseflow.core.git import refs

    accepted: set[str] = set()
    if signers.baseline and refs.resolve(root, signers.baseline):
        accepted = {c.id for c in refs.history(root, signers.baseline)}
    needing = [c for c in adding if c not in accepted]
    if not needing:
        return []
    if any(c not in signature_cache.load(state_dir) for c in needing):
        signing.require_ssh_keygen()
    verdicts = signature_cache.verdicts(root, needing, lambda: _allowed_signers(signers, state_dir), state_dir)
    problems = []
    for commit in needing:
        verdict = verdicts.get(commit)
        who = adding[commit]
        registered = {signing.fingerprint(key) for key in signers.keys.get(who, ())}
        if verdict is None or verdict.status == "N":
            problems.append(f"{ACCESS_REF}: commit {commit[:10]} is not signed, and this repository requires signing")
        elif verdict.status not in ("G", "U") or verdict.fingerprint not in registered:
            problems.append(
                f"{ACCESS_REF}: commit {commit[:10]} is signed with a key that is not {who}'s "
                f"({verdict.fingerprint or 'no key'})"
            )
    return problems


def _allowed_signers(signers: Signers, state_dir: Path | None) -> Path:
    from caseflow.core import signature_cache

    emails = {who: email for email, who in signers.ids_by_email.items()}
    lines = [f'{emails.get(who, who)} namespaces="git" {key}' for who, keys in signers.keys.items() for key in keys]
    return signature_cache.allowed_signers_file(lines, state_dir, ALLOWED_SIGNERS)


def _version_problems(
    root: Path, commit: str, name: str, blob: str, size: int, contents: Mapping[str, bytes]
) -> list[str]:
    from caseflow.core.git import refs

    where = f"{ACCESS_REF}:{name}"
    current = contents.get(name)
    if current is None:
        return [f"{where}: committed in {commit[:10]}, gone from the ref now (a chain was removed)"]
    if blob_id(current[:size], len(blob)) == blob:
        return []
    old, now = _lines(refs.blob(root, blob)), _lines(current)
    index = next((i for i, line in enumerate(old) if i >= len(now) or now[i] != line), len(old))
    return [f"{where}: entry {index + 1} as committed in {commit[:10]} was changed or removed later"]


def _edge_problems(
    commit: str, before: Mapping[str, str], after: Mapping[str, str], size: Mapping[str, int]
) -> list[str]:
    problems = []
    for name, blob in before.items():
        if name not in after:
            problems.append(f"{ACCESS_REF}:{name}: removed by commit {commit[:10]}")
        elif size[after[name]] < size[blob]:
            problems.append(f"{ACCESS_REF}:{name}: commit {commit[:10]} cut entries off the end")
    return problems
