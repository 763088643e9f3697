"""What a person wants to see first about a client (``caseflow show``): one read of the case.

Stage and risk, the last contact and the next appointment, open referrals, the latest score of
each instrument, and what is due: all derived from the documents, like the due list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caseflow.core import casefiles
from caseflow.core.textpolicy import read_document_bytes
from caseflow.errors import DocumentError, Problem
from caseflow.followup.due import due_for_case
from caseflow.followup.due_rules import items_of, last_change, last_contact
from caseflow.referrals.lifecycle import OPEN_STATUSES

if TYPE_CHECKING:
    from caseflow.session import Session


@dataclass(frozen=True)
class ClientDocument:
    """A document as ``caseflow show`` lists it; ``problems`` when it could not even be read."""

    path: str
    form_id: str | None
    title: str
    summary: Mapping[str, Any]
    problems: tuple[Problem, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "form": self.form_id,
            "title": self.title,
            "summary": dict(self.summary),
            "readable": not self.problems,
        }


def documents(repo: Session, client_id: str) -> list[ClientDocument]:
    """A client's documents with their forms and summaries (``validate`` checks them in full)."""
    repo.client_dir(client_id)
    found = []
    for doc in casefiles.client_documents(repo.root, client_id):
        try:
            data, _ = repo.index.parse(doc.path, read_document_bytes(repo.root, doc.path))
        except DocumentError as exc:
            found.append(ClientDocument(doc.path, None, "(unreadable)", {}, tuple(exc.problems)))
            continue
        form = repo.forms.get(str(data.get("form")))
        summary = dict(form.summarize(data)) if form and form.summarize else {}
        title = form.title if form else "(unknown form)"
        found.append(ClientDocument(doc.path, data.get("form"), title, summary))
    repo.index.flush()
    return found


def client_summary(repo: Session, client_id: str) -> dict[str, Any]:
    """Stage, risk, last contact, next appointment, open referrals, latest scores and what is due."""
    case = repo.case(client_id)
    today = case.today.isoformat()
    closed = case.record.get("stage") in {stage.id for stage in repo.workflow_spec.stages if stage.final}
    last = last_contact(case)
    upcoming = sorted(
        (a for a in items_of(case, "core.appointments", "appointments") if a.get("status") == "scheduled"),
        key=lambda a: (str(a.get("date")), str(a.get("time", ""))),
    )
    upcoming = [a for a in upcoming if str(a.get("date")) >= today]
    referrals = [d.data for d in case.current("core.referral") if d.data.get("status") in OPEN_STATUSES]
    latest: dict[str, dict[str, Any]] = {}
    for instrument in sorted(repo.host.instruments()):
        given = sorted(case.current(instrument), key=lambda d: (str(d.data.get("date")), len(d.path), d.path))
        result = given[-1].data.get("result") if given else None
        if isinstance(result, dict):
            latest[instrument] = {
                "date": given[-1].data.get("date"),
                "total": result.get("total"),
                "band": result.get("band"),
            }
    return {
        "last_contact": {"date": last[0], "type": last[1]} if last else None,
        "next_appointment": {key: upcoming[0].get(key) for key in ("id", "date", "time", "with", "purpose")}
        if upcoming
        else None,
        "open_referrals": [
            {"id": r.get("id"), "category": r.get("category"), "status": r.get("status"), "since": last_change(r)}
            for r in referrals
        ],
        "latest_scores": latest,
        "due": [] if closed else [entry.as_json() for entry in due_for_case(repo, case)],
    }
