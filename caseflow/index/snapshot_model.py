"""A snapshot of the working tree's client documents, as data: which bytes (blob id) each
document holds, by client, and the digests that name a client's documents (or all of them) for the
results kept of them. :mod:`caseflow.index.snapshot` takes one, asking git."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from caseflow.core.casefiles import CLIENTS_DIR
from caseflow.index.database import document_key
from caseflow.index.staged_listing import Entry

_PREFIX = f"{CLIENTS_DIR}/"


class TreeFile:
    """A client document in the working tree and the blob id of its bytes now.

    ``blob`` is "" for a link or anything else that is not a regular file: nothing to read.
    ``state`` is git's status of the path ("" when working tree, index and HEAD agree; " M", "??",
    ...): with the blob, it says whether the last commit that touched the path still describes it.
    """

    # A plain slotted class: a large caseload makes hundreds of thousands of these per command.
    __slots__ = ("blob", "client_id", "key", "path", "path_in_client", "state")

    def __init__(self, path: str, client_id: str, path_in_client: str, blob: str, state: str = "") -> None:
        self.path = path
        self.client_id = client_id
        self.path_in_client = path_in_client
        self.blob = blob
        self.state = state
        self.key = document_key(path, blob)  # where the index keeps its parsed data

    @property
    def readable(self) -> bool:
        return bool(self.blob)

    def __repr__(self) -> str:
        return f"TreeFile({self.path!r}, blob={self.blob[:12]!r}, state={self.state!r})"


@dataclass
class Snapshot:
    """Every client document of the working tree, by client.

    Kept as plain tuples; :meth:`of` makes :class:`TreeFile` objects only for the clients a
    command actually reads (a warm command reads none: it compares digests).
    """

    entries: Mapping[str, list[Entry]] = field(default_factory=dict)
    hashed: int = 0  # files read and hashed this time (changed since git or we last saw them)
    _files: dict[str, list[TreeFile]] = field(default_factory=dict, repr=False)
    #: Each client's entries, digested (as they are asked for, or kept with the staged listing).
    _digests: dict[str, str] = field(default_factory=dict, repr=False)
    _listing_key: str | None = field(default=None, repr=False)
    #: Every client's digest, listed, by the clients asked for (:meth:`digest_of_all`).
    _all_digests: dict[tuple[str, ...], bytes] = field(default_factory=dict, repr=False)
    #: The same, as made by :meth:`client_digests`.
    _digest_sets: dict[tuple[str, ...], dict[str, str]] = field(default_factory=dict, repr=False)
    #: Each client's number of entries, where known without them (from a kept listing).
    _counts: Mapping[str, int] | None = field(default=None, repr=False)
    #: Taken from a kept listing: its :meth:`listing_key` and the clients whose entries may differ
    #: from it (changed since, in git's index or the working tree).
    changed_since: tuple[str, Sequence[str]] | None = field(default=None, repr=False)
    #: That kept listing's entries.
    _kept_entries: Mapping[str, list[Entry]] = field(default_factory=dict, repr=False)
    #: Taken ahead of git's status, as caseflow's own write left the working tree (see
    #: ``_ahead_of_status``): once git answers, whether the status agrees (else the read is made
    #: again, from the status). None: taken from the status.
    unconfirmed: Callable[[], bool] | None = field(default=None, repr=False)

    @property
    def clients(self) -> list[str]:
        return sorted(self.entries)

    @cached_property
    def files(self) -> list[TreeFile]:
        return [f for client in self.clients for f in self.of(client)]

    def of(self, client_id: str) -> list[TreeFile]:
        found = self._files.get(client_id)
        if found is None:
            base = f"{_PREFIX}{client_id}/"
            entries = self.entries.get(client_id, [])
            found = self._files[client_id] = [TreeFile(base + i, client_id, i, b, s) for i, b, s in entries]
        return found

    def count_of(self, client_ids: Sequence[str]) -> int:
        """How many documents (and other entries) these clients' folders hold together (from a
        kept listing's counts where its entries were not read; one pass, no call per client)."""
        if self._counts is not None and not getattr(self.entries, "loaded", True):
            counts = self._counts
            return sum([counts.get(c, 0) for c in client_ids])
        entries = self.entries
        return sum([len(entries.get(c, ())) for c in client_ids])

    def entry_count(self) -> int:
        """How many entries all the clients' folders hold (from a kept listing's counts where its
        entries were not read)."""
        if self._counts is not None and not getattr(self.entries, "loaded", True):
            return sum(self._counts.values())
        return sum(map(len, self.entries.values()))

    def kept_keys(self) -> set[str]:
        """The index key of every readable document the kept listing this was taken from had in
        the folders of the clients changed since (none if it was not taken from one)."""
        changed = self.changed_since[1] if self.changed_since is not None else ()
        return {
            ("md:" if inner.endswith(".md") else "yaml:") + blob
            for client_id in changed
            for inner, blob, _ in self._kept_entries.get(client_id, ())
            if blob
        }

    def keys(self) -> set[str]:
        """The index key of every readable document."""
        return {
            ("md:" if inner.endswith(".md") else "yaml:") + blob
            for entries in self.entries.values()
            for inner, blob, _ in entries
            if blob
        }

    def listing_key(self) -> str:
        """Names every document of the working tree (path, blob and status): the same key, the
        same documents to parse. Made of the clients' digests, which a kept listing holds, so that
        after a change only the changed clients' entries are digested again."""
        if self._listing_key is None:
            listed = self._listed(tuple(sorted(self.entries)))
            self._listing_key = hashlib.sha1(listed, usedforsecurity=False).hexdigest()
        return self._listing_key

    def client_digest(self, client_id: str) -> str:
        """Names one state of a client's documents."""
        found = self._digests.get(client_id)
        if found is None:
            text = "\n".join("\0".join(e) for e in self.entries.get(client_id, ()))
            found = self._digests[client_id] = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
        return found

    def client_digests(self, client_ids: Sequence[str]) -> dict[str, str]:
        """``{client: digest}`` of these clients (made once per snapshot: a command asks for every
        client's several times, once per kind of result)."""
        return dict(self._digest_map(tuple(client_ids)))

    def _digest_map(self, ids: tuple[str, ...]) -> dict[str, str]:
        found = self._digest_sets.get(ids)
        if found is None:
            made = self._digests
            for client_id in ids:
                if client_id not in made:  # (a kept listing's are made: only the changed clients')
                    self.client_digest(client_id)
            found = self._digest_sets[ids] = {c: made[c] for c in ids}
        return found

    def _listed(self, ids: tuple[str, ...]) -> bytes:
        """Each of these clients with its digest, a line each (what whole sets are keyed by)."""
        listed = self._all_digests.get(ids)
        if listed is None:  # (once per snapshot: a command keys several whole sets by it, a daemon many)
            listed = self._all_digests[ids] = "\n".join([f"{c}:{d}" for c, d in self._digest_map(ids).items()]).encode()
        return listed

    def digest(self, client_id: str, *extra: str) -> str:
        """Names one state of a client's documents and of ``extra`` (such as today's date)."""
        text = "\0".join(extra) + "\n" + self.client_digest(client_id)
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()

    def digest_of_all(self, client_ids: Sequence[str], *extra: str) -> str:
        """Names one state of all these clients' documents together (and of ``extra``)."""
        found = hashlib.sha1(("\0".join(extra) + "\n").encode(), usedforsecurity=False)
        found.update(self._listed(tuple(client_ids)))
        return found.hexdigest()

    def digests_of_others(self, changed: Sequence[str]) -> dict[str, str]:
        """The digests made so far of the clients other than ``changed`` (for a snapshot that
        differs from this one only in those)."""
        left_out = set(changed)
        return {c: d for c, d in self._digests.items() if c not in left_out}
