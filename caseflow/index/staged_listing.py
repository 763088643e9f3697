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
import sys
from dataclasses import dataclass
from pathlib import Path

from caseflow.core.layout import STAGED_LISTING, local_dir
from caseflow.core.safefiles import replace_cache_file

#: Changes when the layout of the file or of its entries does.
_FORMAT = (3, tuple(sys.version_info[:2]))

Entry = tuple[str, str, str]  # (path in the client folder, blob, git status): as a Snapshot keeps


@dataclass(frozen=True)
class StagedListing:
    """Every client's entries as git's index stages them (no working-tree change applied)."""

    stamp: bytes  #: git's index checksum (and size) they were listed under
    entries: dict[str, list[Entry]]
    inner_rules: bool  #: a ``.gitignore`` is staged under the clients' folder
    digests: dict[str, str]  #: of each client's entries (:meth:`Snapshot.client_digest`)
    listing_key: str  #: of all of them (:meth:`Snapshot.listing_key`)
    #: The commit whose files under ``clients/`` are exactly these entries ("" when git's index
    #: staged something else there): once git's index has moved on (a commit, a pull), what changed
    #: since is what differs from this commit, and only those clients are listed again.
    base: str = ""


def load(root: Path, stamp: bytes) -> StagedListing | None:
    """The listing kept, if it was taken under ``stamp`` (git's index as it is now) or has a
    :attr:`~StagedListing.base` to tell what changed since it was taken."""
    try:
        data = (root / STAGED_LISTING).read_bytes()
        form, kept_stamp, inner_rules, entries, digests, listing_key, base = marshal.loads(data)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if form != _FORMAT or not isinstance(entries, dict) or not isinstance(base, str):
        return None
    if kept_stamp != stamp and not base:
        return None
    return StagedListing(kept_stamp, entries, bool(inner_rules), digests, listing_key, base)


def save(root: Path, listing: StagedListing) -> None:
    """Keep ``listing`` for the next command (quietly nothing where the folder is read-only).

    Private to this user, as the index is; not synced to disk (a cache: a power cut loses it at
    worst, and a torn file is refused by :func:`load`)."""
    data = marshal.dumps(
        (
            _FORMAT,
            listing.stamp,
            listing.inner_rules,
            listing.entries,
            listing.digests,
            listing.listing_key,
            listing.base,
        )
    )
    with contextlib.suppress(OSError):
        local_dir(root).mkdir(exist_ok=True)
    replace_cache_file(root / STAGED_LISTING, data)
