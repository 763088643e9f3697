"""Closed-loop referrals: a status lifecycle (FHIR ServiceRequest + Task), gated by consent.

Moving a referral to ``requested`` is the moment information leaves the agency, so it is refused
unless a release of information on file covers that recipient, purpose and information today
(:mod:`caseflow.core.consent`). A role allowed in caseflow.yaml may override in an emergency, with
a reason that is recorded in the referral and the commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from caseflow.core.config import Staff
from caseflow.core.consent import ConsentCheck, Disclosure, find_covering
from caseflow.core.documents import new_mapping
from caseflow.core.documents.edits import insert_item
from caseflow.errors import CaseflowError, NotAllowed, NotFound, UsageError

if TYPE_CHECKING:
    from caseflow.repo import CaseRepo, SavedDocument

#: Allowed moves (FHIR Task: draft -> requested -> received/accepted | rejected -> in-progress -> done).
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"requested", "cancelled"}),
    "requested": frozenset({"received", "accepted", "rejected", "cancelled"}),
    "received": frozenset({"accepted", "rejected", "cancelled"}),
    "accepted": frozenset({"in-progress", "cancelled", "failed"}),
    "in-progress": frozenset({"completed", "cancelled", "failed"}),
    "rejected": frozenset(),
    "completed": frozenset(),
    "cancelled": frozenset(),
    "failed": frozenset(),
}
DISCLOSING = "requested"


class ConsentRequired(CaseflowError):
    """A disclosure refused: what each consent on file lacks."""

    def __init__(self, referral_id: str, check: ConsentCheck) -> None:
        self.check = check
        super().__init__(f"referral {referral_id} cannot be sent: no consent on file covers it")

    def lines(self) -> list[str]:
        return [f"{self.args[0]}:", *(f"  - {line}" for line in self.check.refusal())]


def disclosure_of(referral: dict[str, Any], client_id: str, on: str) -> Disclosure:
    if not referral.get("provider"):
        raise UsageError("the referral names no provider directory id (provider:); consent is matched on it")
    if not referral.get("purpose"):
        raise UsageError("the referral says no purpose (purpose:); a consent must cover the purpose of a disclosure")
    return Disclosure(
        client_id,
        str(referral["provider"]),
        str(referral["purpose"]),
        frozenset(str(i) for i in referral.get("information") or []),
        bool(referral.get("part2")),
        on,
    )


def change_status(
    repo: CaseRepo,
    actor: Staff,
    client_id: str,
    referral_id: str,
    status: str,
    note: str | None = None,
    reason: str | None = None,
    emergency: str | None = None,
) -> SavedDocument:
    """Move a referral on, one commit; sending it (``requested``) needs a covering consent."""
    from caseflow import actions

    path = f"{repo.client_dir(client_id)}/referrals/{referral_id}.yaml"
    if not (repo.root / path).exists():
        raise NotFound(f"no referral {referral_id} for {client_id} (caseflow referrals {client_id})")
    if status not in TRANSITIONS:
        raise UsageError(f"unknown status '{status}' (one of {', '.join(TRANSITIONS)})")
    with repo.store.transaction(repo.author(actor), action="referral", client=client_id) as tx:
        actions.refuse_uncommitted(repo, path)
        document = repo.read_document(path)
        current = str(document.data.get("status"))
        if status not in TRANSITIONS.get(current, frozenset()):
            allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "nothing (it is closed)"
            raise CaseflowError(f"referral {referral_id} is {current}; it can move to {allowed}, not {status}")
        today = repo.today().isoformat()
        entry = new_mapping({"status": status, "on": today, "by": actor.id})
        if status == DISCLOSING:
            check = find_covering(
                [d.data for d in repo.case(client_id).by_form("core.consent")],
                disclosure_of(document.plain(), client_id, today),
            )
            if check.ok:
                entry["consent"] = check.covering
                document.data["consent"] = check.covering
            elif emergency:
                if actor.role not in repo.config.emergency_roles:
                    raise NotAllowed(f"{actor.id} ({actor.role}) may not disclose without consent in an emergency")
                entry["emergency"] = emergency
                tx.details["Emergency"] = "disclosure without consent"
            else:
                raise ConsentRequired(referral_id, check)
            document.data["requested_on"] = today
        for key, value in (("note", note), ("reason", reason)):
            if value:
                entry[key] = value
        insert_item(document.data["history"], len(document.data["history"]), entry)
        document.data["status"] = status
        tx.details["Referral"] = f"{referral_id} {current} -> {status}"
        actions.commit_document(repo, tx, document, repo.form("core.referral"), client_id)
    return actions.saved(repo, tx, client_id, path, repo.form("core.referral"), "referral")
