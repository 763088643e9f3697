"""Closing a case: the discharge summary and the move to ``discharged``, in one commit.

A case closes for a reason (completed, declined services, lost contact, moved, transferred,
deceased), from whatever stage it is in; the workflow says what each reason needs. The summary is
written (or updated) and the stage changed together, judged on the case as it will be, so a
refusal names everything missing and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from caseflow.core.dates import parse_past_date
from caseflow.core.documents import Document, new_mapping, new_sequence
from caseflow.core.documents import new_document as parse_new_document
from caseflow.core.documents.edits import insert_item
from caseflow.errors import UsageError
from caseflow.records.discharge_form import REASON_TITLES, canonical_reason

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.core.events import StageChange
    from caseflow.session import Session
    from caseflow.workflow.engine import Evaluation

DISCHARGED = "discharged"
GOAL_STATUSES = ("met", "partly-met", "not-met")


@dataclass(frozen=True)
class Closing:
    """What a person gives to close a case (``caseflow discharge``, the client page's form)."""

    reason: str
    on: str | None = None  # the discharge date (default: today; never in the future)
    note: str | None = None  # the outcome in the person's words
    transferred_to: str | None = None
    #: goal id -> met / partly-met / not-met
    goals: Mapping[str, str] = field(default_factory=dict)


def parse_goals(texts: Sequence[str]) -> dict[str, str]:
    """``--goal g1=met`` texts as a mapping (a usage error names the one that is not)."""
    goals: dict[str, str] = {}
    for text in texts:
        goal, _, status = text.partition("=")
        if not goal or status not in GOAL_STATUSES:
            raise UsageError(f"--goal {text}: give GOAL_ID=STATUS, STATUS one of {', '.join(GOAL_STATUSES)}")
        goals[goal] = status
    return goals


def check_reason(reason: str) -> str:
    """The reason's current code; a usage error for an unknown one, listing those offered."""
    code = canonical_reason(reason.strip().lower())
    if code not in REASON_TITLES:
        raise UsageError(f"unknown discharge reason '{reason}' (one of {', '.join(REASON_TITLES)})")
    return code


def summary(repo: Session, actor: Staff, client_id: str, closing: Closing) -> Document:
    """discharge.yaml as it will be: the existing one with what was given changed (what was not
    given stays, so an approved summary stays approved), or a new one from the form's skeleton."""
    from caseflow.core.skeletons import render_skeleton
    from caseflow.records import actions

    form = repo.form("core.discharge")
    path = f"{repo.client_dir(client_id)}/{form.path}"
    reason = check_reason(closing.reason)
    exists = (repo.root / path).is_file()
    if exists:
        document = repo.read_document(path)
    else:
        context = actions.skeleton_context(repo, actor, client_id, [])
        document = parse_new_document(path, render_skeleton(form, repo.root / "templates", context))
    data = document.data
    if canonical_reason(str(data.get("reason") or "")) != reason:
        data["reason"] = reason
    if closing.on is not None or not exists:
        data["date"] = parse_past_date(closing.on, "--date", repo.today()).isoformat()
    if closing.note:
        data["outcome"] = closing.note
    elif not str(data.get("outcome") or "").strip():
        data["outcome"] = REASON_TITLES[reason]
    if closing.transferred_to:
        data["transferred_to"] = closing.transferred_to
    if closing.goals:
        _set_goals(document, closing.goals)
    return document


def _set_goals(document: Document, goals: Mapping[str, str]) -> None:
    listed = document.data.get("goals")
    if listed is None or not hasattr(listed, "append"):
        listed = document.data["goals"] = new_sequence()
    if listed.fa.flow_style():
        listed.fa.set_block_style()  # the skeleton's `goals: []` grows into a readable block list
    for goal, status in goals.items():
        entry: Any = next((g for g in listed if isinstance(g, Mapping) and str(g.get("goal")) == goal), None)
        if entry is None:
            insert_item(listed, len(listed), new_mapping({"goal": goal, "status": status}))
        elif entry.get("status") != status:
            entry["status"] = status


def close(repo: Session, actor: Staff, client_id: str, closing: Closing) -> tuple[Evaluation, StageChange]:
    """Write the summary and discharge the client in one commit, or raise ``RequirementsNotMet``."""
    from caseflow.workflow import engine

    document = summary(repo, actor, client_id, closing)
    try:
        return engine.advance(repo, actor, client_id, DISCHARGED, None, [document])
    except engine.RequirementsNotMet as refused:
        if _waits_for_approval(repo, client_id, document, refused.evaluation):
            raise engine.RequirementsNotMet(refused.evaluation, [_approval_first(repo, client_id, document)]) from None
        raise


def _waits_for_approval(repo: Session, client_id: str, document: Document, evaluation: Evaluation) -> bool:
    """The summary needs a supervisor's approval, and this version of it is not even on file yet."""
    unapproved = any(s.check == "approved" and s.applies and not s.met for s in evaluation.requirements)
    on_file = repo.root / document.path
    return unapproved and (not on_file.is_file() or on_file.read_bytes() != document.to_bytes())


def _approval_first(repo: Session, client_id: str, document: Document) -> str:
    reason = document.data.get("reason")
    outcome = str(document.data.get("outcome") or "").replace('"', "'")
    if (repo.root / document.path).is_file():
        write = f'caseflow set {client_id} discharge.yaml reason={reason} "outcome={outcome}"'
    else:
        write = f'caseflow new {client_id} core.discharge --field reason={reason} --field "outcome={outcome}"'
    return (
        f"a {reason} discharge is approved before it closes the case: commit the summary first ({write}), "
        f"a supervisor approves it (caseflow approve {client_id} discharge.yaml), then run caseflow discharge again"
    )


def preview(repo: Session, actor: Staff, client_id: str, closing: Closing) -> Evaluation:
    """What closing the case this way would still need (changes nothing)."""
    from caseflow.workflow import engine

    document = summary(repo, actor, client_id, closing)
    case = engine.with_documents(repo, repo.case(client_id), [document])
    return engine.evaluate(repo, client_id, DISCHARGED, None, case)
