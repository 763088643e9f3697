"""The access record: every identified read or disclosure (``caseflow show``, a referral packet, an
identified report, an export), chained, committed and shared.

1. At once, on this clone: :func:`record` appends one JSON object a line to ``.caseflow/access.log``
   (who, when, what, which client ids, under which consent; never a client's name), fsync'd under a
   lock. Each entry carries the hash of the one before it and its own hash over both, so editing,
   removing or reordering an entry breaks the chain there. A read stays a read: no commit.
2. At the next write or sync, :func:`flush` commits the log to a ref of its own,
   ``refs/caseflow/access``, each person's entries by that person (signed where they sign), in
   commits whose flat tree holds one file per clone, ``<clone id>.log`` (the id is kept in
   ``.caseflow/access-id``), so the chains of several laptops sit side by side and none
   overwrites another. The working tree, HEAD and git's index are never touched.
3. ``caseflow sync`` fetches the remote's ref into ``refs/caseflow/remotes/<remote>/access`` (never
   forced: a rewritten remote ref is refused), :func:`join` s it (a merge commit whose tree holds
   both sides' chains, each the longer of the two copies, one always beginning with the other),
   and pushes without forcing; the shared remote refuses non-fast-forward pushes.
4. :mod:`caseflow.core.access_verify` checks it all (``caseflow audit --verify``, the shared
   remote's hook): what the hash chain alone cannot find, and that each person's entries were
   committed by that person (:func:`flush` commits each person's entries as them).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import secrets
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.core import layout
from caseflow.errors import CaseflowError

if TYPE_CHECKING:
    from caseflow.core.git.commit import Author

ACCESS_LOG = layout.ACCESS_LOG
#: The shared record: one commit per flush or join, one file per clone's chain.
ACCESS_REF = "refs/caseflow/access"
#: Where a remote's copy of the record is fetched to.
TRACKING_PREFIX = "refs/caseflow/remotes/"
GENESIS = "0" * 64
_COMMIT_MESSAGE = "access record: {entries} from {chain}\n\nCaseflow-Action: access record\n"


@dataclass(frozen=True)
class AccessEntry:
    seq: int
    at: str
    who: str
    action: str  # "show", "referral packet", "report caseload", "export fhir"
    what: str  # a referral id, a report name and period, a file name
    clients: tuple[str, ...]
    consent: str | None
    prev: str
    hash: str
    chain: str = ""  # the clone whose chain holds it ("" before its first commit)

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "who": self.who,
            "action": self.action,
            "what": self.what,
            "clients": list(self.clients),
            "consent": self.consent,
            "prev": self.prev,
            "hash": self.hash,
            "chain": self.chain,
        }


def _digest(body: dict[str, Any]) -> str:
    canonical = json.dumps({k: v for k, v in body.items() if k != "hash"}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# -- on this clone ----------------------------------------------------------------------------------


def record(
    root: Path, *, who: str, action: str, what: str, clients: Sequence[str], consent: str | None = None
) -> AccessEntry:
    """Append one entry (under an exclusive lock, so two commands never interleave)."""
    target = root / ACCESS_LOG
    target.parent.mkdir(exist_ok=True)
    fd = os.open(target, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "r+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        lines = [line for line in handle.read().splitlines() if line.strip()]
        last = _parsed(lines[-1]) if lines else None
        if lines and last is None:  # no disclosure goes unrecorded, and none is recorded on a broken chain
            raise CaseflowError(
                f"{ACCESS_LOG} is damaged at its last line; nothing was disclosed (caseflow audit --verify)"
            )
        body: dict[str, Any] = {
            "seq": (last["seq"] + 1) if last else 1,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "who": who,
            "action": action,
            "what": what,
            "clients": sorted(clients),
            "consent": consent,
            "prev": last["hash"] if last else GENESIS,
        }
        body["hash"] = _digest(body)
        handle.write(json.dumps(body, separators=(",", ":"), ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return _entry(body, _chain_id(root) or "")


def entries(root: Path) -> list[AccessEntry]:
    """This clone's readable entries (``verify`` names the others)."""
    chain = _chain_id(root) or ""
    return _entries_of(_lines(_local_bytes(root)), chain)


def shared_entries(root: Path) -> list[AccessEntry]:
    """Every clone's entries: this clone's log and the other chains committed to the ref, oldest first."""
    found = entries(root)
    own = _chain_file(root)
    for name, data in tip_contents(root).items():
        if name != own:
            found.extend(_entries_of(_lines(data), name.removesuffix(".log")))
    return sorted(found, key=lambda e: (e.at, e.chain, e.seq))


def _entries_of(lines: Iterable[str], chain: str) -> list[AccessEntry]:
    parsed = (_parsed(line) for line in lines)
    return [_entry(body, chain) for body in parsed if body is not None]


def _parsed(line: str) -> dict[str, Any] | None:
    """One entry's fields, or None for a line that is not an entry (damaged, or not ours)."""
    try:
        body = json.loads(line)
    except ValueError:
        return None
    fields = ("seq", "at", "who", "action", "what", "prev", "hash")
    if not isinstance(body, dict) or not all(k in body for k in fields) or not isinstance(body["seq"], int):
        return None
    return body


def _entry(body: dict[str, Any], chain: str = "") -> AccessEntry:
    return AccessEntry(
        int(body["seq"]),
        str(body["at"]),
        str(body["who"]),
        str(body["action"]),
        str(body["what"]),
        tuple(body.get("clients") or ()),
        body.get("consent"),
        str(body["prev"]),
        str(body["hash"]),
        chain,
    )


def _local_bytes(root: Path) -> bytes:
    """The log's complete lines, read under its lock (a half-written line is not yet an entry)."""
    target = root / ACCESS_LOG
    try:
        with target.open("rb") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH)
            data = handle.read()
    except FileNotFoundError:
        return b""
    return data[: data.rfind(b"\n") + 1]


def _lines(data: bytes) -> list[str]:
    return [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]


def _chain_id(root: Path) -> str | None:
    """This clone's name for its chain (None before its first commit)."""
    try:
        text = (root / layout.ACCESS_ID).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return text if text.isalnum() else None  # it names a file in the ref's tree: nothing else


def _chain_file(root: Path) -> str | None:
    chain = _chain_id(root)
    return f"{chain}.log" if chain else None


def _own_chain_file(root: Path) -> str:
    """This clone's chain file, named on its first commit: random, so two laptops never share one."""
    existing = _chain_file(root)
    if existing:
        return existing
    chain = secrets.token_hex(6)
    target = root / layout.ACCESS_ID
    target.parent.mkdir(exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(chain + "\n")
    return f"{chain}.log"


# -- committing to refs/caseflow/access ---------------------------------------------------------------


#: Who commits the entries of a given staff id on this clone (None: nobody here can, yet).
AuthorOf = Callable[[str], "Author | None"]


def flush(root: Path, author: Author, authors: AuthorOf | None = None) -> str | None:
    """Commit the entries not yet in ``refs/caseflow/access``; the last new commit (None: nothing new).

    Each person's entries are committed by that person (signed where they sign), so that nobody
    can put a read in someone else's name: consecutive entries of one person make one commit, by
    ``author`` where they are theirs, else by ``authors(who)``. Where nobody here can commit as the
    next entry's person (their key is not on this clone), the rest wait for a later write or sync.

    A CaseflowError, and nothing committed, if the log no longer begins with what was committed
    or its new entries do not chain on (the record is then evidence, and stays as it was).
    """
    data = _local_bytes(root)
    if not data or _flushed_size(root) == len(data):
        return None  # the common case of a write: no git process at all
    from caseflow.core.git import refs

    name = _own_chain_file(root)
    tip = refs.resolve(root, ACCESS_REF)
    blobs = refs.files(root, tip) if tip else {}
    committed = refs.blob(root, blobs[name]) if name in blobs else b""
    if not data.startswith(committed):
        raise CaseflowError(
            f"{ACCESS_LOG} no longer begins with the entries committed to {ACCESS_REF}; "
            "nothing was committed (caseflow audit --verify)"
        )
    new = _lines(data[len(committed) :])
    broken = chain_problems(ACCESS_LOG, new, _last_hash(committed), len(_lines(committed)))
    if broken:
        raise CaseflowError(f"{broken[0]}; nothing was committed to {ACCESS_REF} (caseflow audit --verify)")
    last, done = None, len(data)
    committed_to = len(committed)
    for who, end, count in _runs_by_person(data, len(committed)):
        by = author if author.staff_id in (None, who) else (authors(who) if authors else None)
        if by is None:
            done = committed_to  # not all committed: the next write tries again
            break
        blobs[name] = refs.write_blob(root, data[:end])
        added = f"{count} new {'entry' if count == 1 else 'entries'}"
        message = _COMMIT_MESSAGE.format(entries=added, chain=name.removesuffix(".log"))
        last = _commit(root, blobs, [tip] if tip else [], message, by)
        if not refs.compare_and_swap(root, ACCESS_REF, last, tip, "caseflow: access record"):
            raise CaseflowError(f"{ACCESS_REF} moved while the access record was committed; the next write retries")
        tip, committed_to = last, end
    _set_flushed_size(root, done)
    return last


def _runs_by_person(data: bytes, start: int) -> list[tuple[str, int, int]]:
    """The entries after byte ``start`` in runs of one person: (who, end offset, entries)."""
    runs: list[tuple[str, int, int]] = []
    offset = start
    for raw in data[start:].splitlines(keepends=True):
        offset += len(raw)
        body = _parsed(raw.decode("utf-8", "replace")) if raw.strip() else None
        if body is None:
            continue
        who = str(body["who"])
        if runs and runs[-1][0] == who:
            runs[-1] = (who, offset, runs[-1][2] + 1)
        else:
            runs.append((who, offset, 1))
    return runs


def flush_after_write(root: Path, author: Author, authors: AuthorOf | None = None) -> None:
    """:func:`flush` after a committed write: its failure must not fail the write, only be said."""
    from caseflow.core.git.runner import GitFailed

    try:
        flush(root, author, authors)
    except (CaseflowError, GitFailed, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        sys.stderr.write(f"warning: the access record was not committed to {ACCESS_REF}: {reason}\n")


def _commit(root: Path, blobs: Mapping[str, str], parents: Sequence[str], message: str, author: Author) -> str:
    from caseflow.core.git import refs

    tree = refs.make_tree(root, blobs)
    return refs.commit_tree(root, tree, parents, message, author.env(), author.sign_args)


def _flushed_size(root: Path) -> int | None:
    try:
        return int((root / layout.ACCESS_FLUSHED).read_text(encoding="ascii").strip())
    except (FileNotFoundError, ValueError):
        return None


def _set_flushed_size(root: Path, size: int) -> None:
    (root / layout.ACCESS_FLUSHED).write_text(f"{size}\n", encoding="ascii")


def _last_hash(data: bytes) -> str:
    lines = _lines(data)
    last = _parsed(lines[-1]) if lines else None
    return str(last["hash"]) if last else GENESIS


# -- sharing through a remote ---------------------------------------------------------------------------


def tracking_ref(remote: str) -> str:
    """Where ``remote``'s copy of the record is fetched to."""
    return f"{TRACKING_PREFIX}{remote}/access"


def fetch_refspec(remote: str) -> str:
    """The remote's ref into :func:`tracking_ref`; no ``+``: a remote ref that was rewritten is
    refused, not taken. A pattern (``*`` matching nothing), so a remote with no record yet is no error."""
    return f"{ACCESS_REF}*:{tracking_ref(remote)}*"


#: Pushing the record: never forced.
PUSH_REFSPEC = f"{ACCESS_REF}:{ACCESS_REF}"


def join(root: Path, remote: str, author: Author | None) -> bool:
    """Take ``remote``'s fetched record into ``refs/caseflow/access``: a fast-forward, or a merge
    commit by ``author`` whose tree holds every chain at its longest. True if the ref moved.

    A CaseflowError if one chain differs on the two sides beyond a common beginning (one side
    was rewritten): nothing is joined, and neither copy is lost.
    """
    from caseflow.core.git import refs

    theirs = refs.resolve(root, tracking_ref(remote))
    ours = refs.resolve(root, ACCESS_REF)
    if theirs is None or ours == theirs or (ours is not None and refs.is_ancestor(root, theirs, ours)):
        return False
    their_files = refs.files(root, theirs)
    if ours is None:
        new = theirs
    else:
        joined = _union(root, refs.files(root, ours), their_files)
        behind = refs.is_ancestor(root, ours, theirs)
        if behind and joined == their_files:
            new = theirs
        elif author is None:
            raise CaseflowError(f"{ACCESS_REF} and {tracking_ref(remote)} need a merge, and nobody to make it")
        else:
            parents = [theirs] if behind else [ours, theirs]  # behind: restores what theirs dropped
            message = f"access record: joined with {remote}\n\nCaseflow-Action: access record\n"
            new = _commit(root, joined, parents, message, author)
    if not refs.compare_and_swap(root, ACCESS_REF, new, ours, f"caseflow: access record from {remote}"):
        raise CaseflowError(f"{ACCESS_REF} moved while it was joined with {remote}; sync again")
    return True


def pushed(root: Path, remote: str, commit: str, before: str | None) -> None:
    """After a push: the remote's copy is now ``commit`` (what later checks compare against)."""
    from caseflow.core.git import refs

    refs.compare_and_swap(root, tracking_ref(remote), commit, before, f"caseflow: access record pushed to {remote}")


def _union(root: Path, ours: Mapping[str, str], theirs: Mapping[str, str]) -> dict[str, str]:
    """Every chain file of both trees, the longer copy where they differ."""
    from caseflow.core.git import refs

    joined = {**theirs, **ours}
    for name in ours.keys() & theirs.keys():
        if ours[name] == theirs[name]:
            continue
        mine, other = refs.blob(root, ours[name]), refs.blob(root, theirs[name])
        longer, shorter = (mine, other) if len(mine) >= len(other) else (other, mine)
        if not longer.startswith(shorter):
            raise CaseflowError(
                f"{ACCESS_REF}:{name} differs here and on the remote beyond their common beginning "
                "(one copy was rewritten); nothing was joined (caseflow audit --verify)"
            )
        joined[name] = theirs[name] if longer is other else ours[name]
    return joined


# -- reading what was committed ------------------------------------------------------------------


def chain_problems(where: str, lines: Sequence[str], prev: str = GENESIS, before: int = 0) -> list[str]:
    """Where a chain breaks (an edited, removed or reordered entry); ``before`` entries precede ``lines``."""
    problems = []
    expected_seq = before + 1
    for number, line in enumerate(lines, before + 1):
        if not line.strip():
            continue
        body = _parsed(line)
        if body is None:
            problems.append(f"{where}:{number}: not a log entry")
            continue
        if body.get("hash") != _digest(body):
            problems.append(f"{where}:{number}: entry {body.get('seq')} was changed after it was written")
        if body.get("prev") != prev or body.get("seq") != expected_seq:
            problems.append(
                f"{where}:{number}: entry {body.get('seq')} does not follow entry {expected_seq - 1} "
                "(one was removed or the order changed)"
            )
        prev, expected_seq = str(body.get("hash")), int(body.get("seq") or 0) + 1
    return problems


def tip_contents(root: Path, tip: str | None = None) -> dict[str, bytes]:
    """Each chain file at the ref's tip ({} outside git, or before the first commit)."""
    if tip is None and not (root / ".git").exists():
        return {}  # not a clone (a bare repository names the commit it asks about)
    from caseflow.core.git import refs

    tip = tip or refs.resolve(root, ACCESS_REF)
    if tip is None:
        return {}
    return {name: refs.blob(root, blob) for name, blob in refs.files(root, tip).items()}
