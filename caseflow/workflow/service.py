"""The workflow: where a client stands, moving them on, supervisors' decisions, the timeline.

Reached as ``repo.workflow``; the workflow's own definition is ``repo.workflow_spec``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caseflow.core.case import Approval
    from caseflow.core.config import Staff
    from caseflow.core.events import SavedDocument, StageChange
    from caseflow.session import Session
    from caseflow.workflow.discharge import Closing
    from caseflow.workflow.engine import Evaluation
    from caseflow.workflow.model import Requirement
    from caseflow.workflow.timeline import TimelineEntry


class WorkflowService:
    """The workflow: where a client stands, moving them on, supervisors' decisions, the timeline."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def current_stage(self, client_id: str) -> str:
        """The client's stage as ``client.yaml`` records it."""
        from caseflow.workflow import engine

        return engine.current_stage(self._session, client_id)

    def evaluate(self, client_id: str, to: str | None = None, reason: str | None = None) -> Evaluation:
        """Which transition ``advance`` would take and every requirement, met or not (changes nothing)."""
        from caseflow.workflow import engine

        return engine.evaluate(self._session, client_id, to, reason)

    def advance(
        self, actor: Staff, client_id: str, to: str | None = None, reason: str | None = None
    ) -> tuple[Evaluation, StageChange]:
        """Move the client on, or raise :class:`RequirementsNotMet` listing everything missing."""
        from caseflow.workflow import engine

        return engine.advance(self._session, actor, client_id, to, reason)

    def discharge(self, actor: Staff, client_id: str, closing: Closing) -> tuple[Evaluation, StageChange]:
        """Close the case from any stage: the discharge summary (written or updated) and the move to
        discharged in one commit, or :class:`RequirementsNotMet` with what the reason still needs."""
        from caseflow.workflow import discharge

        return discharge.close(self._session, actor, client_id, closing)

    def discharge_preview(self, actor: Staff, client_id: str, closing: Closing) -> Evaluation:
        """What closing the case this way would still need (writes nothing)."""
        from caseflow.workflow import discharge

        return discharge.preview(self._session, actor, client_id, closing)

    def describe(self, requirement: Requirement) -> str:
        """A requirement in plain words, as ``caseflow stages`` shows it."""
        from caseflow.workflow import engine

        return engine.describe(self._session, requirement)

    def check_decision(self, actor: Staff, client_id: str, path: str, decision: str) -> bytes:
        """Whether ``actor`` may decide on the committed version of ``path`` (raises why not);
        returns the bytes the decision would be bound to."""
        from caseflow.workflow import approvals

        return approvals.check_decision(self._session, actor, client_id, path, decision)

    def approve(self, actor: Staff, client_id: str, document: str, comment: str | None = None) -> SavedDocument:
        """Approve the current (committed) version of a document, bound to its blob id."""
        from caseflow.workflow import approvals

        return approvals.decide(self._session, actor, client_id, document, "approved", comment)

    def reject(self, actor: Staff, client_id: str, document: str, comment: str) -> SavedDocument:
        """Send a document back to its author with a comment."""
        from caseflow.workflow import approvals

        return approvals.decide(self._session, actor, client_id, document, "rejected", comment)

    def sent_back(self, client_id: str) -> list[Approval]:
        """Documents whose latest decision is a rejection: what a supervisor asked the author to change."""
        from caseflow.workflow import approvals

        return approvals.sent_back(self._session, client_id)

    def timeline(self, client_id: str) -> list[TimelineEntry]:
        """Newest first. One ``git log`` over the client's folder: fast even with thousands of commits."""
        from caseflow.workflow import timeline

        return timeline.timeline(self._session, client_id)
