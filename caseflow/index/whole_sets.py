"""Whole sets of a caseload's results kept as one: a warm read of thousands of clients loads one
set (no per-client results decoded), and after a change the newest set is mended from the
changed clients' results alone.

Each set is kept under a key naming every client's documents and whatever else the results
depend on, with each client's digest (to tell which changed). A long-running process (``caseflow
daemon``, ``caseflow serve``) carries the last one in memory instead of writing one per request;
a command keeps them in the index (:meth:`caseflow.index.database.CaseIndex.put_bundle`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caseflow.session import Session


def whole_set(repo: Session, kind: str, whole: str) -> dict[str, Any] | None:
    """The whole set of one kind's results kept under the key ``whole``: carried in memory by a
    long-running process, else kept in the index."""
    carried = repo.carried(f"whole/{kind}")
    if carried is not None and carried[0] == whole:
        return carried[2]
    return repo.index.bundle(kind, whole)


def recent_whole_sets(repo: Session, kind: str) -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
    """The whole sets of one kind's results kept, newest first, each with every client's digest:
    the one carried, then the index's (each decoded only when reached)."""
    carried = repo.carried(f"whole/{kind}")
    if carried is not None:
        yield carried[1], carried[2]
    yield from repo.index.recent_bundles(kind)


def keep_whole_set(
    repo: Session, kind: str, whole: str, digests: dict[str, str], results: dict[str, Any], family: str = ""
) -> None:
    """Keep a whole set of results for :func:`whole_set`: in memory where a process carries results
    (no write of the whole set per request), else in the index. ``family``: see ``put_bundle``."""
    if repo.carries:
        repo.carry(f"whole/{kind}", (whole, digests, results))
    else:
        repo.index.put_bundle(kind, whole, digests, results, family=family)
