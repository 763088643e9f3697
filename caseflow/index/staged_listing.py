"""What git's index stages for every client document, kept between commands.

A snapshot (:mod:`caseflow.index.snapshot`) joins two listings: what git's index stages (one
entry per document of the caseload: the big one) and what the working tree changed (a few). The
first changes only when git's index does, so it is kept here, in ``.caseflow/staged-listing.bin``,
under the checksum git writes at the end of its index: while that is the same, a command asks git
only for the working tree's status and for the staged entries of the few clients it touches. When
git's index has moved on (a commit: every write), the listing still serves if it matches a commit:
git says which paths differ from that commit, and only their clients are listed again.

It is a cache: anything wrong with the file (missing, from another version, truncated) means
listing everything, as without it. ``marshal`` rather than JSON or pickle: the fastest to read for
plain strings and tuples, and unlike pickle it cannot run code.
"""

from __future__ import annotations

import contextlib
import marshal
import mmap
import struct
import sys
from collections.abc import Callable, ItemsView, Iterator, KeysView, Mapping, ValuesView
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from caseflow.core.layout import STAGED_LISTING, local_dir
from caseflow.core.safefiles import replace_cache_file

#: Changes when the layout of the file or of its entries does.
_FORMAT = (4, tuple(sys.version_info[:2]))

Entry = tuple[str, str, str]  # (path in the client folder, blob, git status): as a Snapshot keeps


@dataclass(frozen=True)
class StagedListing:
    """Every client's entries as git's index stages them (no working-tree change applied)."""

    stamp: bytes  #: git's index checksum (and size) they were listed under
    entries: Mapping[str, list[Entry]]
    inner_rules: bool  #: a ``.gitignore`` is staged under the clients' folder
    digests: dict[str, str]  #: of each client's entries (:meth:`Snapshot.client_digest`)
    listing_key: str  #: of all of them (:meth:`Snapshot.listing_key`)
    #: The commit whose files under ``clients/`` are exactly these entries ("" when git's index
    #: staged something else there): once git's index has moved on (a commit, a pull), what changed
    #: since is what differs from this commit, and only those clients are listed again.
    base: str = ""
    #: How many entries each client has (what a whole read counts, without the entries).
    counts: Mapping[str, int] | None = None


def load(root: Path, stamp: bytes) -> StagedListing | None:
    """The listing kept, if it was taken under ``stamp`` (git's index as it is now) or has a
    :attr:`~StagedListing.base` to tell what changed since it was taken.

    Its entries are read only when asked for: a warm read of a caseload needs the clients'
    digests alone (a tenth of the file), and at 50,000 clients the entries are 400,000 tuples."""
    try:
        with open(root / STAGED_LISTING, "rb") as handle:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        header_size, entries_size = _SIZES.unpack_from(mapped)
        header = marshal.loads(mapped[_SIZES.size : _SIZES.size + header_size])
        form, kept_stamp, inner_rules, digests, listing_key, base, counts = header
    except (OSError, EOFError, ValueError, TypeError, struct.error):
        return None
    if form != _FORMAT or not isinstance(digests, dict) or not isinstance(base, str):
        return None
    if len(mapped) != _SIZES.size + header_size + entries_size:
        return None  # (torn: written by something else than save)
    if kept_stamp != stamp and not base:
        return None
    start = _SIZES.size + header_size
    entries = LazyEntries(lambda: marshal.loads(memoryview(mapped)[start : start + entries_size]))
    return StagedListing(kept_stamp, entries, bool(inner_rules), digests, listing_key, base, counts)


def save(root: Path, listing: StagedListing) -> None:
    """Keep ``listing`` for the next command (quietly nothing where the folder is read-only).

    Private to this user, as the index is; not synced to disk (a cache: a power cut loses it at
    worst, and a torn file is refused by :func:`load`)."""
    header = marshal.dumps(
        (
            _FORMAT,
            listing.stamp,
            listing.inner_rules,
            listing.digests,
            listing.listing_key,
            listing.base,
            {c: len(e) for c, e in listing.entries.items()},
        )
    )
    entries = marshal.dumps(dict(listing.entries))
    with contextlib.suppress(OSError):
        local_dir(root).mkdir(exist_ok=True)
    replace_cache_file(root / STAGED_LISTING, _SIZES.pack(len(header), len(entries)) + header + entries)


#: The file: the sizes of its two parts, then the header and the entries (each marshalled).
_SIZES = struct.Struct("<QQ")


class LazyEntries(Mapping[str, list[Entry]]):
    """Every client's entries, unmarshalled the first time anything asks for them."""

    def __init__(self, load: Callable[[], dict[str, list[Entry]]]) -> None:
        self._load: Callable[[], dict[str, list[Entry]]] | None = load
        self._data: dict[str, list[Entry]] | None = None

    @property
    def data(self) -> dict[str, list[Entry]]:
        if self._data is None:
            assert self._load is not None
            self._data, self._load = self._load(), None
        return self._data

    @property
    def loaded(self) -> bool:
        return self._data is not None

    def __getitem__(self, client_id: str) -> list[Entry]:
        return self.data[client_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __contains__(self, client_id: object) -> bool:
        return client_id in self.data

    # (the dict's own, at C speed: a caseload's listing is walked whole)
    def keys(self) -> KeysView[str]:
        return self.data.keys()

    def items(self) -> ItemsView[str, list[Entry]]:
        return self.data.items()

    def values(self) -> ValuesView[list[Entry]]:
        return self.data.values()

    def get(self, client_id: str, default: Any = None) -> Any:
        return self.data.get(client_id, default)


class Overlaid(Mapping[str, list[Entry]]):
    """A kept listing's entries with a few clients' taken again (``fresh``: theirs, by client; a
    client of ``taken_again`` missing from it has none now), read without unmarshalling the kept
    ones until a client not taken again is asked for: after a write, a read needs one client's
    entries and every client's digest and count, which the kept listing holds apart."""

    def __init__(
        self,
        kept: Mapping[str, list[Entry]],
        counts: Mapping[str, int],
        fresh: dict[str, list[Entry]],
        taken_again: set[str],
    ) -> None:
        self._kept = kept
        self._fresh = fresh
        self._taken_again = taken_again
        #: How many entries each client has, in git's order (as a whole listing gives).
        self.counts = {
            c: len(fresh[c]) if c in taken_again else n
            for c, n in counts.items()
            if c not in taken_again or c in fresh  # (a client taken again with no entries: gone)
        }
        added = [c for c in fresh if c not in counts]
        if added:
            self.counts.update((c, len(fresh[c])) for c in added)
            self.counts = {c: self.counts[c] for c in sorted(self.counts)}

    @property
    def loaded(self) -> bool:
        return getattr(self._kept, "loaded", True)

    def __getitem__(self, client_id: str) -> list[Entry]:
        if client_id in self._taken_again:
            return self._fresh[client_id]
        return self._kept[client_id]

    def get(self, client_id: str, default: Any = None) -> Any:
        if client_id in self._taken_again:
            return self._fresh.get(client_id, default)
        return self._kept.get(client_id, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.counts)

    def __len__(self) -> int:
        return len(self.counts)

    def __contains__(self, client_id: object) -> bool:
        return client_id in self.counts
