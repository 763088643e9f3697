"""What a replay of the history proved (:class:`Ledger`), and how it is kept in ``.caseflow/`` so
that the next replay goes on from it. The rules that fill a ledger are :mod:`caseflow.core.ledger`'s.

Two states are kept: the latest (:data:`LATEST`), and the one the last replay went on from
(:data:`BASE`): after a reset or a switch back to a branch, a replay goes on from whichever still
leads to the new HEAD instead of from the first commit.

A state is a caseload's approvals, stages and verdicts (megabytes at 10,000 clients), loaded by
every command that judges what the history backs: it is kept with :mod:`marshal` (sets and tuples
as they are, read back at C speed), a local cache like the index, never shared or committed. Each
field is kept in buckets by client (or path, or commit), each read when first used
(:mod:`~caseflow.core.buckets`): a replay of a few commits, and the judgement of the clients they
touch, read a few buckets of a few fields (the others are kept again as they were read).
"""

from __future__ import annotations

import contextlib
import marshal
import operator
import os
import struct
from collections.abc import Callable, Mapping, MutableMapping, MutableSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.core.buckets import BucketedDict, BucketedSet, Kept

#: Changes whenever what is kept, or how, does: a state of another version is replayed afresh.
STATE_VERSION = 11
#: The kept states: the latest, and the one a replay last went on from.
LATEST, BASE = "verified.bin", "verified-base.bin"
#: What earlier versions kept (JSON), removed when a state is kept.
_EARLIER = ("verified.json", "verified-base.json")


#: (client, document, blob, decision, by, at): one decision as approvals.yaml records it.
Decision = tuple[str, str, str, str, str, str]


@dataclass
class Verdict:
    """One commit's breaches of the rules (empty: it keeps every rule)."""

    commit: str
    subject: str
    author: str
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"commit": self.commit, "subject": self.subject, "author": self.author, "problems": self.problems}


@dataclass
class Ledger:
    """The replayed state at ``head``."""

    head: str | None = None
    approvals: MutableSet[Decision] = field(default_factory=set)
    #: client -> (commit, stage, allowed): the last change of the client's stage, and whether it counts.
    stages: MutableMapping[str, tuple[str, str, bool]] = field(default_factory=dict)
    #: commit -> what it breaks (only commits that break something).
    breaches: dict[str, Verdict] = field(default_factory=dict)
    #: commit -> the blob id of the caseflow.yaml in force after it (the last allowed one).
    config_at: MutableMapping[str, str] = field(default_factory=dict)
    #: commits replayed in this run (the rest came from the kept state).
    replayed: int = 0
    signed: bool = False
    #: client -> the last stage history backs (a hand edit undone returns to it, and counts).
    good_stages: MutableMapping[str, str] = field(default_factory=dict)
    #: client -> digest of the last stage history that commits back (what `advance` recorded).
    good_histories: MutableMapping[str, str] = field(default_factory=dict)
    #: client -> the commit that last changed the stage history by hand (while it stays so).
    history_edits: MutableMapping[str, str] = field(default_factory=dict)
    #: Digests of every client's full names, and of their first words (never a name: this file is
    #: a cache on disk): what finds a name in a commit's message or paths.
    full_names: MutableSet[str] = field(default_factory=set)
    first_words: MutableSet[str] = field(default_factory=set)
    #: path -> (blob, author email) of the commit that last wrote each :data:`~.ledger_rules.APPROVABLE` document.
    writers: MutableMapping[str, tuple[str, str]] = field(default_factory=dict)
    #: decision (joined by ``\x1f``) -> why the commit that made it had no right to (see :meth:`refusal`).
    refused: MutableMapping[str, str] = field(default_factory=dict)
    #: client -> digest of the approvals.yaml entries commits back (they are only ever appended to).
    good_approvals: MutableMapping[str, str] = field(default_factory=dict)
    #: client -> the commit that edited or removed earlier decisions (while the file stays so).
    approvals_edits: MutableMapping[str, str] = field(default_factory=dict)

    if not TYPE_CHECKING:  # (hidden from the type checker: it would take any name for a field)

        def __getattr__(self, name: str) -> Any:
            """A field of a copy not made yet (see :func:`copied`): copied now, once."""
            unread = self.__dict__.get("_unread")
            if not unread or name not in unread:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            value = _copy_of(unread.pop(name).value)
            setattr(self, name, value)
            return value

    def backs(self, client: str, entry: Mapping[str, Any]) -> bool:
        """Was this approvals.yaml entry made by a commit with the authority to make it? (None of a
        client's count while someone's edit of earlier decisions stands.)"""
        return client not in self.approvals_edits and decision_of(client, entry) in self.approvals

    def refusal(self, client: str, entry: Mapping[str, Any]) -> str | None:
        """Why the commit that made this entry could not make it (None: no commit made it at all)."""
        return self.refused.get("\x1f".join(decision_of(client, entry)))

    def stage_problem(self, client: str, stage: str | None) -> str | None:
        """Why the client's committed stage does not count (None: it does)."""
        last = self.stages.get(client)
        if last is None or stage is None:
            return None
        commit, recorded, allowed = last
        if recorded != stage:
            return None  # judged on the committed file; an uncommitted edit is reported as such
        if not allowed:
            return f"stage '{stage}' was set by commit {commit[:12]} without `caseflow advance`; it does not count"
        return None


def decision_of(client: str, entry: Mapping[str, Any]) -> Decision:
    """The decision an approvals.yaml entry records, as the ledger keeps it."""
    return (
        client,
        str(entry.get("document", "")),
        str(entry.get("blob", "")),
        str(entry.get("decision", "")),
        str(entry.get("by", "")),
        str(entry.get("at", "")),
    )


#: The fields of a :class:`Ledger` kept between runs in buckets (:mod:`~caseflow.core.buckets`),
#: each bucket read when first used, with what each is bucketed by: a client's id, a path, a
#: commit, a digest (``head`` is kept in the file's header, ``signed`` and ``breaches`` (as plain
#: tuples) read at once; ``replayed`` is of one run).
_KEPT: dict[str, Callable[[Any], str]] = {
    "approvals": operator.itemgetter(0),
    "stages": str,
    "config_at": str,
    "good_stages": str,
    "good_histories": str,
    "history_edits": str,
    "full_names": str,
    "first_words": str,
    "writers": str,
    "refused": str,
    "good_approvals": str,
    "approvals_edits": str,
}
#: The fields that are sets (the rest are mappings).
_SETS = frozenset({"approvals", "full_names", "first_words"})


def load(state_dir: Path, policy: str, name: str = LATEST) -> Ledger | None:
    """The ledger kept under ``name``, if it is of this policy (None: none, or not readable).
    Each bucket of its larger fields is read when first used."""
    kept = _chunks(state_dir, policy, name)
    if kept is None:
        return None
    head, chunks, buckets = kept
    try:
        ledger = Ledger(head=head, signed=bool(marshal.loads(chunks["signed"])))
        ledger.breaches = {
            c: Verdict(c, subject, author, list(problems))
            for c, subject, author, problems in marshal.loads(chunks["breaches"])
        }
        for name_, key_of in _KEPT.items():
            bucketed: Any = BucketedSet.read if name_ in _SETS else BucketedDict.read
            setattr(ledger, name_, bucketed(buckets[name_], key_of))
    except (KeyError, TypeError, ValueError, EOFError):
        return None
    return ledger


def save(state_dir: Path, ledger: Ledger, policy: str) -> None:
    """Keep ``ledger`` as the latest state of ``policy`` (a bucket never read since it was loaded
    is kept as the bytes it was read from)."""
    pending: dict[str, _CopyOf] = ledger.__dict__.get("_unread") or {}
    buckets = {name: _kept(name, pending[name].value if name in pending else getattr(ledger, name)) for name in _KEPT}
    chunks = {
        "signed": marshal.dumps(ledger.signed),
        "breaches": marshal.dumps([(c, v.subject, v.author, list(v.problems)) for c, v in ledger.breaches.items()]),
    }
    save_chunks(state_dir, ledger.head, chunks, policy, buckets)


def _kept(name: str, value: Any) -> Kept:
    """A field as the file keeps it: in buckets."""
    if not isinstance(value, BucketedDict | BucketedSet):
        key_of = _KEPT[name]
        value = BucketedSet.of(value, key_of) if name in _SETS else BucketedDict.of(value.items(), key_of)
    return value.kept()


def copied(ledger: Ledger) -> Ledger:
    """A ledger to replay on, sharing nothing a replay changes with ``ledger`` (which must not
    change after). Each bucket of a kept state's fields, or each field of one made here, is
    copied when first used: a replay of a few commits uses a few of them, and copying the others
    (or reading them, after a reset) cost a resident index a third of its catch-up after a write
    at 10,000 clients."""
    copy = Ledger(head=ledger.head, breaches=dict(ledger.breaches), signed=ledger.signed)
    pending: dict[str, _CopyOf] = ledger.__dict__.get("_unread") or {}
    copy_pending: dict[str, _CopyOf] = {}
    for name in _KEPT:
        value = pending[name].value if name in pending else ledger.__dict__[name]
        if isinstance(value, BucketedDict | BucketedSet):
            setattr(copy, name, value.copy())
        else:
            del copy.__dict__[name]
            copy_pending[name] = _CopyOf(value)
    copy.__dict__["_unread"] = copy_pending
    return copy


@dataclass(frozen=True)
class _CopyOf:
    """A field of another ledger, to be copied when first used (see :func:`copied`)."""

    value: Any


def _copy_of(value: Any) -> Any:
    """A copy of a field that shares nothing a change to it changes (the values are immutable)."""
    return set(value) if isinstance(value, set) else dict(value)


# -- the file ----------------------------------------------------------------------------------------


def _chunks(state_dir: Path, policy: str, name: str) -> tuple[str | None, dict[str, bytes], dict[str, Kept]] | None:
    """(head, the small fields' bytes, the bucketed fields) of the state kept under ``name`` for
    ``policy`` (None: none, another version or policy, or unreadable)."""
    try:
        version, kept_policy, head, chunks, buckets = unpacked((state_dir / name).read_bytes())
    except (OSError, EOFError, ValueError, TypeError, struct.error):
        return None
    if version != STATE_VERSION or kept_policy != policy or not isinstance(chunks, dict):
        return None
    if not all(isinstance(chunk, bytes) for chunk in chunks.values()) or not (head is None or isinstance(head, str)):
        return None
    return head, chunks, buckets


def head_of(state_dir: Path, name: str = LATEST, policy: str | None = None) -> str | None:
    """The commit the state kept under ``name`` is of (of ``policy``, where given), read without
    the state itself: None where none is kept (or of another version or policy)."""
    try:
        with open(state_dir / name, "rb") as handle:
            (size,) = _HEADER_SIZE.unpack(handle.read(_HEADER_SIZE.size))
            if size > _MOST_HEADER:
                return None
            version, kept_policy, head = marshal.loads(handle.read(size))
    except (OSError, EOFError, ValueError, TypeError, struct.error):
        return None
    if version != STATE_VERSION or (policy is not None and kept_policy != policy):
        return None
    return head if isinstance(head, str) else None


def save_chunks(
    state_dir: Path,
    head: str | None,
    chunks: Mapping[str, bytes],
    policy: str,
    buckets: Mapping[str, Kept] | None = None,
) -> None:
    """Keep these fields as the latest state (nothing, in a clone nobody may write to).

    Written whole or not at all, private, and not synced to disk: a cache (a power cut loses it
    at worst, and a torn one is not read), where syncing megabytes cost a read after each write
    as much as the rest of its replay."""
    from caseflow.core.safefiles import replace_cache_file

    with contextlib.suppress(OSError):  # (a read-only clone: the next run replays again)
        data = packed(STATE_VERSION, policy, head, dict(chunks), buckets)
        state_dir.mkdir(parents=True, exist_ok=True)
        replace_cache_file(state_dir / LATEST, data)
        for earlier in _EARLIER:
            (state_dir / earlier).unlink(missing_ok=True)


#: The sizes that say where a state's header and table of fields end.
_HEADER_SIZE = struct.Struct("<Q")
#: More than a header's size: not a kept state.
_MOST_HEADER = 1 << 16


def packed(
    version: int,
    policy: str,
    head: str | None,
    chunks: dict[str, bytes],
    buckets: Mapping[str, Kept] | None = None,
) -> bytes:
    """A state's file: its head is read apart (the state of a commit HEAD no longer leads from is
    not loaded whole to find that out); then a table of the fields: the small ones' own
    :mod:`marshal` bytes, and each bucketed field's bucket sizes and lengths; then every bucket's
    bytes, one after another, which a state loaded reads as slices of the file, not copies."""
    header = marshal.dumps((version, policy, head))
    listed = list((buckets or {}).items())
    table = marshal.dumps(
        (chunks, [(name, tuple(sizes), tuple(len(p) for p in parts)) for name, (sizes, parts) in listed])
    )
    body = [part for _, (_, parts) in listed for part in parts]
    return b"".join([_HEADER_SIZE.pack(len(header)), header, _HEADER_SIZE.pack(len(table)), table, *body])


def unpacked(data: bytes) -> tuple[Any, Any, Any, Any, dict[str, Kept]]:
    """(version, policy, head, the small fields' bytes, the bucketed fields) of a state's file (a
    ValueError, EOFError, TypeError or struct.error if it is not one)."""
    (size,) = _HEADER_SIZE.unpack_from(data)
    if size > _MOST_HEADER:
        raise ValueError("not a kept state")
    start = _HEADER_SIZE.size
    version, policy, head = marshal.loads(data[start : start + size])
    start += size
    (size,) = _HEADER_SIZE.unpack_from(data, start)
    start += _HEADER_SIZE.size
    view = memoryview(data)
    chunks, table = marshal.loads(view[start : start + size])
    offset, buckets = start + size, {}
    for name, sizes, lengths in table:
        parts: list[bytes | memoryview] = []
        for length in lengths:
            parts.append(view[offset : offset + length])
            offset += length
        buckets[name] = (list(sizes), parts)
    if offset != len(data):
        raise ValueError("a kept state torn or grown")
    return version, policy, head, chunks, buckets


def keep_as_base(state_dir: Path) -> None:
    """The latest state becomes the base: the one the replay about to be kept went on from."""
    with contextlib.suppress(OSError):
        os.replace(state_dir / LATEST, state_dir / BASE)


def forget(state_dir: Path, name: str) -> None:
    """The state kept under ``name`` is no longer kept (it leads nowhere a replay goes)."""
    with contextlib.suppress(OSError):
        (state_dir / name).unlink(missing_ok=True)
