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

    def by_form(self, form_id: str) -> list[CaseDocument]:
        return [d for d in self.documents if d.form_id == form_id]

    def document(self, path: str) -> CaseDocument | None:
        return next((d for d in self.documents if d.path == path), None)

    def latest_decision(self, path: str) -> Approval | None:
        """The last approval or rejection recorded for a document (any version)."""
        decisions = [a for a in self.approvals if a.document == path]
        return decisions[-1] if decisions else None
