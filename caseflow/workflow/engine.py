"""The workflow engine: what a client needs before moving on, and the move itself.

``evaluate`` runs every requirement of a transition (all of them, never stopping at the first)
and asks plugins whether they object; ``advance`` performs the change as one commit: the stage
and its history in ``client.yaml`` plus the documents the new stage starts with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from caseflow.core.case import CaseDocument, CaseView, blob_id
from caseflow.core.config import Staff
from caseflow.core.documents import new_document as parse_new_document
from caseflow.core.documents import new_mapping, new_sequence
from caseflow.core.documents.edits import insert_item
from caseflow.core.names import unknown_name
from caseflow.core.skeletons import render_skeleton
from caseflow.errors import CaseflowError, NotFound, Problem, UsageError
from caseflow.workflow.model import Requirement, Transition, Workflow

if TYPE_CHECKING:
    from caseflow.core.documents import Document
    from caseflow.core.events import StageChange
    from caseflow.session import Session


@dataclass(frozen=True)
class RequirementStatus:
    """One requirement of a transition and, if unmet, what is missing."""

    check: str
    description: str
    missing: tuple[str, ...]
    #: Requirements that apply only to some cases (a discharge's reason): in words, and whether this one does.
    condition: str | None = None
    applies: bool = True

    @property
    def met(self) -> bool:
        return not self.missing

    def as_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "check": self.check,
            "description": self.description,
            "met": self.met,
            "missing": list(self.missing),
        }
        if self.condition is not None:
            shown |= {"when": self.condition, "applies": self.applies}
        return shown


@dataclass(frozen=True)
class Evaluation:
    """Everything that stands between a client and the next stage."""

    client_id: str
    source: str
    target: str
    requirements: tuple[RequirementStatus, ...]
    vetoes: tuple[str, ...] = ()
    reason_missing: bool = False

    @property
    def ok(self) -> bool:
        return all(r.met for r in self.requirements) and not self.vetoes and not self.reason_missing

    def missing(self) -> list[str]:
        lines = [line for r in self.requirements for line in r.missing]
        if self.reason_missing:
            lines.append(f"moving from {self.source} to {self.target} needs a reason (--reason TEXT)")
        return lines + [f"refused by a plugin: {veto}" for veto in self.vetoes]

    def as_json(self) -> dict[str, Any]:
        return {
            "client": self.client_id,
            "from": self.source,
            "to": self.target,
            "ok": self.ok,
            "requirements": [r.as_json() for r in self.requirements],
            "vetoes": list(self.vetoes),
            "missing": self.missing(),
        }


class RequirementsNotMet(CaseflowError):
    """A stage change refused: every unmet requirement, one line each."""

    def __init__(self, evaluation: Evaluation, hints: Sequence[str] = ()) -> None:
        self.evaluation = evaluation
        self.hints = tuple(hints)  # how to go on, where the requirements alone do not say
        super().__init__(f"{evaluation.client_id} cannot move from {evaluation.source} to {evaluation.target}")

    def lines(self) -> list[str]:
        return [f"{self.args[0]}:", *(f"  - {line}" for line in [*self.evaluation.missing(), *self.hints])]


def current_stage(repo: Session, client_id: str) -> str:
    stage = repo.client_record(client_id).get("stage")
    if not isinstance(stage, str):
        raise NotFound(f"clients/{client_id}/client.yaml has no stage")
    return stage


def choose_transition(workflow: Workflow, stage: str, to: str | None) -> Transition:
    """The transition to take from ``stage``: the one to ``to``, or the only one there is."""
    if workflow.stage(stage) is None:
        raise NotFound(f"the client is in stage '{stage}', which workflow {workflow.id} does not have")
    options = workflow.transitions_from(stage)
    if to is not None:
        if workflow.stage(to) is None:
            raise unknown_name("stage", to, (s.id for s in workflow.stages))
        chosen = next((t for t in options if t.target == to), None)
        if chosen is None:
            allowed = ", ".join(t.target for t in options) or "nowhere"
            raise CaseflowError(
                f"{workflow.id} does not allow {stage} -> {to}; from {stage} a client can go to {allowed}"
            )
        return chosen
    if len(options) == 1:
        return options[0]
    moving_on = [t for t in options if t.exit_requirements]  # closing early is only ever asked for
    if len(moving_on) == 1:
        return moving_on[0]
    if not options:
        raise CaseflowError(f"{stage} is the end of workflow {workflow.id}; there is no next stage")
    targets = " or ".join(t.target for t in options)
    raise UsageError(f"from {stage} a client can go to {targets}: say which with --to")


def describe(repo: Session, requirement: Requirement) -> str:
    check = repo.host.checks()[requirement.check]
    return requirement.label or check.describe(requirement.params)


def evaluate(
    repo: Session,
    client_id: str,
    to: str | None = None,
    reason: str | None = None,
    case: CaseView | None = None,
) -> Evaluation:
    """``case``: the client's case as it would be (with documents about to be written in the same
    commit as the move); by default, as it is."""
    workflow = repo.workflow_spec
    source = current_stage(repo, client_id)
    transition = choose_transition(workflow, source, to)
    case = case or repo.case(client_id)
    checks = repo.host.checks()
    statuses = []
    for requirement in workflow.requirements(transition):
        applies = requirement.applies(case)
        missing = checks[requirement.check].evaluate(case, requirement.params) if applies else []
        described = describe(repo, requirement)
        statuses.append(
            RequirementStatus(requirement.check, described, tuple(missing), requirement.condition(), applies)
        )
    reason_missing = transition.reason_required and not (reason or "").strip()
    vetoes: list[str] = []
    if all(s.met for s in statuses) and not reason_missing:  # plugins are asked only about a move that could happen
        vetoes = repo.host.before_stage_change(case, source, transition.target)
    return Evaluation(client_id, source, transition.target, tuple(statuses), tuple(vetoes), reason_missing)


def with_documents(repo: Session, case: CaseView, documents: Sequence[Document]) -> CaseView:
    """``case`` as it would be with ``documents`` (of this client) written: what a move that writes
    them in its own commit is judged on."""
    prefix = f"{repo.client_dir(case.client_id)}/"
    changed: dict[str, CaseDocument] = {}
    for document in documents:
        raw = document.to_bytes()
        inner = document.path.removeprefix(prefix)
        changed[inner] = CaseDocument(inner, document.form_id, document.plain(), blob_id(raw), body=document.body)
    earlier = case.validate

    def validate(document: CaseDocument) -> list[Problem]:
        if changed.get(document.path) is document:
            written = next(d for d in documents if d.path == prefix + document.path)
            return repo.check_document(case.client_id, written.path, written.to_bytes())
        return earlier(document)

    kept = [d for d in case.documents if d.path not in changed]
    return replace(case, documents=[*kept, *changed.values()], validate=validate)


def advance(
    repo: Session,
    actor: Staff,
    client_id: str,
    to: str | None = None,
    reason: str | None = None,
    documents: Sequence[Document] = (),
) -> tuple[Evaluation, StageChange]:
    """Move the client on, or raise :class:`RequirementsNotMet` listing everything missing.

    ``documents`` (of this client) are written in the same commit, and the move is judged on the
    case as it will be with them (a discharge summary and the discharge itself, at once)."""
    from caseflow.core.events import StageChange
    from caseflow.records import actions

    base = repo.client_dir(client_id)
    # The action stays "advance" for a discharge too: the history accepts a stage change only from it.
    with repo.store.transaction(repo.author(actor), action="advance", client=client_id) as tx:
        actions.refuse_unsettled_rules(repo)
        case = with_documents(repo, repo.case(client_id), documents) if documents else None
        evaluation = evaluate(repo, client_id, to, reason, case)  # under the lock: nobody changes the case meanwhile
        if not evaluation.ok:
            raise RequirementsNotMet(evaluation)
        for document in documents:
            actions.commit_document(repo, tx, document, repo.form(document.form_id or ""), client_id)
        tx.details["Stage"] = f"{evaluation.source} -> {evaluation.target}"
        record_path = f"{base}/client.yaml"
        record = repo.read_document(record_path)
        record.data["stage"] = evaluation.target
        history = record.data.get("stage_history")
        if history is None:
            history = record.data["stage_history"] = new_sequence()
        entry = new_mapping({"from": evaluation.source, "to": evaluation.target, "on": repo.today().isoformat()})
        entry["by"] = actor.id
        if reason:
            entry["reason"] = reason
        insert_item(history, len(history), entry)
        actions.commit_document(repo, tx, record, repo.form("core.client"), client_id)
        stage = repo.workflow_spec.stage(evaluation.target)
        for form_id in stage.on_enter_create if stage else ():
            form = repo.form(form_id)
            if form.singleton and not (repo.root / base / form.path).exists():
                context = actions.skeleton_context(repo, actor, client_id, [])
                text = render_skeleton(form, repo.root / "templates", context)
                actions.commit_document(repo, tx, parse_new_document(f"{base}/{form.path}", text), form, client_id)
    change = StageChange(client_id, evaluation.source, evaluation.target, actor.id, reason, tx.commit)
    repo.host.after_stage_change(change)
    return evaluation, change
