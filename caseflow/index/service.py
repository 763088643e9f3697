"""The local index's upkeep: its state, a rebuild from nothing, a check against a full reparse.

Reached as ``repo.index_maintenance``; reads go through the index by themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caseflow.index.maintenance import IndexState, Progress
    from caseflow.session import Session


class IndexMaintenance:
    """The local index's upkeep: its state, a rebuild from nothing, a check against a full reparse."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def status(self, progress: Progress | None = None) -> IndexState:
        """Bring the index up to date and say what it holds."""
        from caseflow.index import maintenance

        return maintenance.status(self._session, progress)

    def rebuild(self, progress: Progress | None = None) -> IndexState:
        """Delete the index and build it again: every document parsed, and checked against its form."""
        from caseflow.index import maintenance

        return maintenance.rebuild(self._session, progress)

    def verify(self, progress: Progress | None = None) -> IndexState:
        """Compare what the index holds for every document with a full reparse of the working tree."""
        from caseflow.index import maintenance

        return maintenance.verify(self._session, progress)
