"""A read-only view of one client's case, for workflow checks and listings."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from caseflow.errors import Problem


def blob_id(data: bytes) -> str:
    """The id git gives these bytes as a blob (``git hash-object``), for binding approvals."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class CaseDocument:
    """One document of the case: where it is, its form, its data, and the blob id of its bytes."""

    path: str  # inside the client folder: plan.yaml, visits/2026-03-02-home.md
    form_id: str | None
    data: Mapping[str, Any]
    blob: str
    problems: tuple[Problem, ...] = ()
    body: str = ""  # a Markdown document's text below the front matter


@dataclass(frozen=True)
class Approval:
    """A supervisor's decision on one version (blob) of one document."""

    document: str
    blob: str
    decision: str  # "approved" or "rejected"
    by: str
    at: str
    commit: str = ""
    comment: str = ""


def parse_approvals(data: Mapping[str, Any], approvers: set[str]) -> list[Approval]:
    """The decisions in approvals.yaml that count: complete, and made by someone who may approve."""
    decisions = []
    for entry in data.get("approvals") or [] if isinstance(data.get("approvals"), list) else []:
        if not isinstance(entry, Mapping):
            continue
        fields = {k: str(v) for k, v in entry.items() if k in Approval.__dataclass_fields__}
        if not {"document", "blob", "decision", "by", "at"} <= fields.keys() or fields["by"] not in approvers:
            continue  # validation reports the entry; it never counts as a decision
        decisions.append(Approval(**fields))
    return decisions


def active_risk_flags(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The client's risk flags in force: a cleared flag (``cleared_on``) stays in client.yaml as
    history, but neither sets the risk level nor puts the client first on the due list."""
    flags = record.get("risk_flags")
    return (
        [f for f in flags or [] if isinstance(f, Mapping) and not f.get("cleared_on")]
        if isinstance(flags, list)
        else []
    )


_DATE_FIELDS = ("date", "signed_on", "created", "requested_on")


@dataclass
class CaseView:
    """Everything a check may look at; built fresh for each evaluation, never written."""

    client_id: str
    record: Mapping[str, Any]
    documents: list[CaseDocument]
    approvals: list[Approval]
    today: dt.date
    #: Problems of a document (validated on demand: most checks never need it).
    validate: Callable[[CaseDocument], list[Problem]] = field(default=lambda _: [], repr=False)
    #: When a reopened case started again: earlier documents and decisions belong to the last episode.
    episode_start: str | None = None
    #: When the client entered the stage they are in.
    stage_entered: str | None = None
    #: Forms with one document per client (plan, discharge): they carry over into a new episode,
    #: and only their approvals are per episode.
    lasting_forms: frozenset[str] = frozenset()
    #: Decisions approvals.yaml lists that no commit by their maker backs: they never count, but
    #: a refusal names them (someone wrote an approval by hand).
    unbacked: list[Approval] = field(default_factory=list)
    #: Why a document counts for nothing yet (a note still its skeleton: :mod:`caseflow.core.blank`).
    blank: Callable[[CaseDocument], str | None] = field(default=lambda _: None, repr=False)
    #: The workflow's final stages (entering one discharges the client: a consent may end there).
    final_stages: frozenset[str] = frozenset()
    #: ``age_of_majority`` in caseflow.yaml: a younger client's consent needs a representative's signature.
    age_of_majority: int = 18

    def in_episode(self, document: CaseDocument) -> bool:
        """Written (dated) in the current episode; an undated or lasting document counts."""
        if self.episode_start is None or document.form_id in self.lasting_forms:
            return True
        dated = next((document.data[f] for f in _DATE_FIELDS if isinstance(document.data.get(f), str)), None)
        return dated is None or dated >= self.episode_start

    def current(self, form_id: str) -> list[CaseDocument]:
        """This episode's documents of one form."""
        return [d for d in self.by_form(form_id) if self.in_episode(d)]

    def filled(self, form_id: str) -> list[CaseDocument]:
        """This episode's documents of one form that say something: a blank one counts for nothing."""
        return [d for d in self.written(form_id) if self.in_episode(d)]

    def written(self, form_id: str) -> list[CaseDocument]:
        """Every episode's documents of one form, but those still blank."""
        return [d for d in self.by_form(form_id) if self.blank(d) is None]

    def decided_in_episode(self, decision: Approval) -> bool:
        return self.episode_start is None or decision.at[:10] >= self.episode_start

    def by_form(self, form_id: str) -> list[CaseDocument]:
        return [d for d in self.documents if d.form_id == form_id]

    def document(self, path: str) -> CaseDocument | None:
        return next((d for d in self.documents if d.path == path), None)

    def latest_decision(self, path: str, since: str | None = None) -> Approval | None:
        """The last approval or rejection of a document in this episode (and on or after ``since``)."""
        decisions = [
            a
            for a in self.approvals
            if a.document == path and self.decided_in_episode(a) and (since is None or a.at[:10] >= since)
        ]
        return decisions[-1] if decisions else None
