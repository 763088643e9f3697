"""Review as a supervisor reads it: field-by-field diffs and the queue of what awaits approval.

Reached as ``repo.review``; decisions themselves are ``repo.workflow.approve`` / ``reject``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caseflow.review.queue import DocumentDiff, Pending
    from caseflow.session import Session


class Review:
    """Review as a supervisor reads it: field-by-field diffs and the queue of what awaits approval."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def diff(
        self, client_id: str, document: str | None = None, *, since: str | None = None, since_approval: bool = False
    ) -> list[DocumentDiff]:
        """What changed in one document (or every document) of a client, as the working tree has it now."""
        from caseflow.review import queue

        return queue.diff(self._session, client_id, document, since=since, since_approval=since_approval)

    def pending(self, worker: str | None = None) -> list[Pending]:
        """Every document awaiting approval, oldest change first.

        What a client has pending is kept in the index by the digest of its documents (with git's
        status of each, as the last commit that changed a document names its author).
        """
        from caseflow.review import queue

        return queue.pending_reviews(self._session, worker) + queue.household_pending(self._session, worker)
