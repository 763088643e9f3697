"""What a replay of the history proved (:class:`Ledger`), and how it is kept in ``.caseflow/`` so
that the next replay goes on from it. The rules that fill a ledger are :mod:`caseflow.core.ledger`'s.

Two states are kept: the latest (:data:`LATEST`), and the one the last replay went on from
(:data:`BASE`): after a reset or a switch back to a branch, a replay goes on from whichever still
leads to the new HEAD instead of from the first commit.

A state is a caseload's approvals, stages and verdicts (megabytes at 10,000 clients), loaded by
every command that judges what the history backs: it is kept with :mod:`marshal` (sets and tuples
as they are, read back at C speed), a local cache like the index, never shared or committed. Each
field is kept apart and read when first used: a replay of a few commits, and the judgement of the
clients they touch, read a few of them (the others are kept again as they were read).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

#: Changes whenever what is kept, or how, does: a state of another version is replayed afresh.
STATE_VERSION = 10
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
    approvals: set[Decision] = field(default_factory=set)
    #: client -> (commit, stage, allowed): the last change of the client's stage, and whether it counts.
    stages: dict[str, tuple[str, str, bool]] = field(default_factory=dict)
    #: commit -> what it breaks (only commits that break something).
    breaches: dict[str, Verdict] = field(default_factory=dict)
    #: commit -> the blob id of the caseflow.yaml in force after it (the last allowed one).
    config_at: dict[str, str] = field(default_factory=dict)
    #: commits replayed in this run (the rest came from the kept state).
    replayed: int = 0
    signed: bool = False
    #: client -> the last stage history backs (a hand edit undone returns to it, and counts).
    good_stages: dict[str, str] = field(default_factory=dict)
    #: client -> digest of the last stage history that commits back (what `advance` recorded).
    good_histories: dict[str, str] = field(default_factory=dict)
    #: client -> the commit that last changed the stage history by hand (while it stays so).
    history_edits: dict[str, str] = field(default_factory=dict)
    #: client -> digests of the client's full names, each with the digest of its first word (never
    #: the name: this file is a cache on disk).
    names: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    #: path -> (blob, author email) of the commit that last wrote each :data:`APPROVABLE` document.
    writers: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: decision (joined by ``\x1f``) -> why the commit that made it had no right to (see :meth:`refusal`).
    refused: dict[str, str] = field(default_factory=dict)
    #: client -> digest of the approvals.yaml entries commits back (they are only ever appended to).
    good_approvals: dict[str, str] = field(default_factory=dict)
    #: client -> the commit that edited or removed earlier decisions (while the file stays so).
    approvals_edits: dict[str, str] = field(default_factory=dict)

    if not TYPE_CHECKING:  # (hidden from the type checker: it would take any name for a field)

        def __getattr__(self, name: str) -> Any:
            """A field not made yet: of a kept state (see :func:`load`), read now; of a copy (see
            :func:`copied`), copied now; once."""
            unread = self.__dict__.get("_unread")
            if not unread or name not in unread:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            pending = unread.pop(name)
            value = marshal.loads(pending) if isinstance(pending, bytes) else _copy_of(name, pending.value)
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


#: The fields of a :class:`Ledger` kept between runs, each read when first used (``head`` is
#: kept in the file's header, ``signed`` and ``breaches`` (as plain tuples) read at once;
#: ``replayed`` is of one run).
_KEPT = (
    "approvals",
    "stages",
    "config_at",
    "good_stages",
    "good_histories",
    "history_edits",
    "names",
    "writers",
    "refused",
    "good_approvals",
    "approvals_edits",
)


def load(state_dir: Path, policy: str, name: str = LATEST) -> Ledger | None:
    """The ledger kept under ``name``, if it is of this policy (None: none, or not readable).
    Its larger fields are read when first used."""
    kept = _chunks(state_dir, policy, name)
    if kept is None:
        return None
    head, chunks = kept
    try:
        ledger = Ledger(head=head, signed=bool(marshal.loads(chunks["signed"])))
        ledger.breaches = {
            c: Verdict(c, subject, author, list(problems))
            for c, subject, author, problems in marshal.loads(chunks["breaches"])
        }
        for name_ in _KEPT:
            del ledger.__dict__[name_]  # (read from its bytes when first used)
        ledger.__dict__["_unread"] = {name_: chunks[name_] for name_ in _KEPT}
    except (KeyError, TypeError, ValueError, EOFError):
        return None
    return ledger


def save(state_dir: Path, ledger: Ledger, policy: str) -> None:
    """Keep ``ledger`` as the latest state of ``policy`` (a field never read since it was loaded
    is kept as the bytes it was read from)."""
    unread: dict[str, bytes | _CopyOf] = ledger.__dict__.get("_unread") or {}
    chunks = {
        name: _bytes_of(unread[name]) if name in unread else marshal.dumps(getattr(ledger, name)) for name in _KEPT
    }
    chunks["signed"] = marshal.dumps(ledger.signed)
    chunks["breaches"] = marshal.dumps([(c, v.subject, v.author, list(v.problems)) for c, v in ledger.breaches.items()])
    save_chunks(state_dir, ledger.head, chunks, policy)


def copied(ledger: Ledger) -> Ledger:
    """A ledger to replay on, sharing nothing a replay changes with ``ledger`` (which must not
    change after). Each larger field is copied when first used, one still unread from a kept
    state read from its bytes: a replay of a few commits uses a few of them, and copying the
    others (or reading them, after a reset) cost a resident index a third of its catch-up after
    a write at 10,000 clients."""
    copy = Ledger(head=ledger.head, breaches=dict(ledger.breaches), signed=ledger.signed)
    unread: dict[str, bytes | _CopyOf] = ledger.__dict__.get("_unread") or {}
    pending: dict[str, bytes | _CopyOf] = {}
    for name in _KEPT:
        del copy.__dict__[name]
        pending[name] = unread[name] if name in unread else _CopyOf(ledger.__dict__[name])
    copy.__dict__["_unread"] = pending
    return copy


@dataclass(frozen=True)
class _CopyOf:
    """A field of another ledger, to be copied when first used (see :func:`copied`)."""

    value: Any


def _copy_of(name: str, value: Any) -> Any:
    """A copy of a field deep enough that changing it changes nothing in ``value``."""
    if name == "names":
        return {client: list(found) for client, found in value.items()}
    return set(value) if isinstance(value, set) else dict(value)


def _bytes_of(pending: bytes | _CopyOf) -> bytes:
    """How a field not made yet is kept: the bytes it was read from, or its source's."""
    return pending if isinstance(pending, bytes) else marshal.dumps(pending.value)


# -- the file ----------------------------------------------------------------------------------------


def _chunks(state_dir: Path, policy: str, name: str) -> tuple[str | None, dict[str, bytes]] | None:
    """(head, each field's bytes) of the state kept under ``name`` for ``policy`` (None: none,
    another version or policy, or unreadable)."""
    try:
        version, kept_policy, head, chunks = unpacked((state_dir / name).read_bytes())
    except (OSError, EOFError, ValueError, TypeError, struct.error):
        return None
    if version != STATE_VERSION or kept_policy != policy or not isinstance(chunks, dict):
        return None
    if not all(isinstance(chunk, bytes) for chunk in chunks.values()) or not (head is None or isinstance(head, str)):
        return None
    return head, chunks


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


def save_chunks(state_dir: Path, head: str | None, chunks: Mapping[str, bytes], policy: str) -> None:
    """Keep these fields' bytes as the latest state (nothing, in a clone nobody may write to).

    Written whole or not at all, private, and not synced to disk: a cache (a power cut loses it
    at worst, and a torn one is not read), where syncing megabytes cost a read after each write
    as much as the rest of its replay."""
    from caseflow.core.safefiles import replace_cache_file

    with contextlib.suppress(OSError):  # (a read-only clone: the next run replays again)
        data = packed(STATE_VERSION, policy, head, dict(chunks))
        state_dir.mkdir(parents=True, exist_ok=True)
        replace_cache_file(state_dir / LATEST, data)
        for earlier in _EARLIER:
            (state_dir / earlier).unlink(missing_ok=True)


#: A state's file: the size of its header, the header (version, policy, head), then the fields.
_HEADER_SIZE = struct.Struct("<Q")
#: More than a header's size: not a kept state.
_MOST_HEADER = 1 << 16


def packed(version: int, policy: str, head: str | None, chunks: dict[str, bytes]) -> bytes:
    """A state's file: its head is read apart (the state of a commit HEAD no longer leads from is
    not loaded whole to find that out), then each field's own :mod:`marshal` bytes."""
    header = marshal.dumps((version, policy, head))
    return _HEADER_SIZE.pack(len(header)) + header + marshal.dumps(chunks)


def unpacked(data: bytes) -> tuple[Any, Any, Any, Any]:
    """(version, policy, head, each field's bytes) of a state's file (a ValueError, EOFError or
    struct.error if it is not one)."""
    (size,) = _HEADER_SIZE.unpack_from(data)
    if size > _MOST_HEADER:
        raise ValueError("not a kept state")
    start = _HEADER_SIZE.size
    version, policy, head = marshal.loads(data[start : start + size])
    return version, policy, head, marshal.loads(memoryview(data)[start + size :])


def keep_as_base(state_dir: Path) -> None:
    """The latest state becomes the base: the one the replay about to be kept went on from."""
    with contextlib.suppress(OSError):
        os.replace(state_dir / LATEST, state_dir / BASE)


def forget(state_dir: Path, name: str) -> None:
    """The state kept under ``name`` is no longer kept (it leads nowhere a replay goes)."""
    with contextlib.suppress(OSError):
        (state_dir / name).unlink(missing_ok=True)
