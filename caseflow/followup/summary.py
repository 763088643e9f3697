"""What a person wants to see first about a client (``caseflow show``): one read of the case.

Stage and risk, the last contact and the next appointment, open referrals, the latest score of
each instrument, and what is due: all derived from the documents, like the due list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from caseflow.followup.due import due_for_case
from caseflow.followup.due_rules import items_of, last_contact
from caseflow.referrals.lifecycle import OPEN_STATUSES
from caseflow.referrals.status import last_change

if TYPE_CHECKING:
    from caseflow.session import Session


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
