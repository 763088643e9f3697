"""Where each of a client's consents stands today: what ``caseflow consents``, the referrals page
and the client page show, all from the one rule (:mod:`caseflow.core.consent_rules`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from caseflow.core.consent_rules import ending, facts_of, parse_expiry_event
from caseflow.referrals.coverage import validity

if TYPE_CHECKING:
    from caseflow.session import Session


def consent_statuses(repo: Session, client_id: str) -> list[dict[str, Any]]:
    """One row a consent (stable keys, ISO dates, directory ids): to whom, for what, until when,
    and whether it is valid today (``why_not`` lists every reason it is not)."""
    case = repo.case(client_id)
    facts = facts_of(case)
    today = repo.today().isoformat()
    rows = []
    for document in case.by_form("core.consent"):
        data = document.data
        end = ending(data, facts)
        why_not = validity(data, today, facts)
        expiry = parse_expiry_event(data.get("expiry_event"))
        rows.append(
            {
                "id": data.get("id"),
                "kind": data.get("kind"),
                "regulation": data.get("regulation"),
                "recipients": [r.get("provider") or r.get("name") for r in data.get("recipients") or []],
                "recipient_names": [r.get("name") or r.get("provider") for r in data.get("recipients") or []],
                "purposes": list(data.get("purposes") or []),
                "expires": data.get("expires_on") or data.get("expiry_event"),
                # the day it ends (computed from a duration, a discharge, a closed referral), once known
                "ends_on": end.on if end else None,
                "expiry": end.describe() if end else _as_written(data, expiry.kind),
                "open_ended": bool(end and end.open_ended),
                "expired": bool(end and end.on and end.on <= today),
                "status": data.get("status"),
                "valid_today": not why_not,
                "why_not": why_not,
            }
        )
    return rows


def _as_written(data: Any, kind: str) -> str | None:
    if kind == "unevaluable":
        return f"{data.get('expiry_event')} (cannot be evaluated)"
    value = data.get("expires_on") or data.get("expiry_event")
    return str(value) if value else None
