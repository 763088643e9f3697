"""Working together through a shared remote: sync, git's merge driver, settling conflicts.

Reached as ``repo.sharing``; ``caseflow.sharing.sync.clone`` makes a clone before any session exists."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from caseflow.core.config import Staff
    from caseflow.session import Session
    from caseflow.sharing.driver import Unsettled
    from caseflow.sharing.keepboth import KeptBoth
    from caseflow.sharing.merge import Conflict
    from caseflow.sharing.sync import SyncReport, SyncState


class Sharing:
    """Working together through a shared remote: sync, git's merge driver, settling conflicts."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def sync(self, actor: Staff, remote: str = "origin") -> SyncReport:
        """Fetch, merge field by field, validate, push (never force): one call, every step reported."""
        from caseflow.sharing import sync

        return sync.sync(self._session, actor, remote)

    def state(self, remote: str = "origin") -> SyncState:
        """Where this clone stands with ``remote`` as of the last fetch: its URL, commits ahead and behind."""
        from caseflow.sharing import sync

        return sync.state(self._session, remote)

    def merge_driver(self, base: Path, mine: Path, theirs: Path, path: str) -> list[Conflict]:
        """Merge theirs into mine (the file at ``mine`` is the result); the conflicts left, if any.

        Whatever goes wrong, the file keeps our version and the conflict is recorded: the driver never
        drops a change silently and never writes conflict markers.
        """
        from caseflow.sharing import driver

        return driver.run_driver(self._session, base, mine, theirs, path)

    def unsettled(self) -> list[Unsettled]:
        """Conflicts left to settle, each with who made each side's change (ours: HEAD; theirs: what
        is being merged in, which git names only once the driver has run).
        """
        from caseflow.sharing import driver

        return driver.unsettled(
            self._session,
        )

    def resolve(self, client_id: str, document: str, field: str | None, take: str) -> Unsettled | KeptBoth | None:
        """Settle one conflicting field with mine, theirs or a value; the last one stages the file.
        A conflict over a whole document (``field`` None) keeps both documents where they can be two."""
        from caseflow.sharing import driver

        return driver.resolve(self._session, client_id, document, field, take)

    def ensure_driver(self) -> None:
        """Every command's first step in a clone: make sure git calls caseflow to merge case documents."""
        from caseflow.sharing import driver

        return driver.registered(
            self._session,
        )
