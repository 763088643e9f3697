"""Closed-loop referrals: a status lifecycle (FHIR ServiceRequest + Task), gated by consent.

Moving a referral to ``requested`` is the moment information leaves the agency, so it is refused
unless a release of information on file covers that recipient, purpose and information today
(:mod:`caseflow.referrals.coverage`). A role allowed in caseflow.yaml may override in an emergency, with
a reason that is recorded in the referral and the commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caseflow.core import access_record as audit
from caseflow.core.case import CaseView
from caseflow.core.config import Staff
from caseflow.core.consent_rules import ConsentFacts, facts_of
from caseflow.core.documents import new_mapping
from caseflow.core.documents.edits import insert_item
from caseflow.core.ids import check_document_id, random_client_id
from caseflow.errors import CaseflowError, NotAllowed, NotFound, StoreError, UsageError
from caseflow.referrals.coverage import ConsentCheck, Disclosure, find_covering
from caseflow.referrals.directory import Service, find_service
from caseflow.referrals.directory_files import directories
from caseflow.referrals.status import referral_stale_days

if TYPE_CHECKING:
    from caseflow.core.events import SavedDocument
    from caseflow.session import Session

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
#: Statuses with a way on: the referral has not come to an end.
OPEN_STATUSES = frozenset(status for status, onward in TRANSITIONS.items() if onward)
#: The referral has been sent and not closed: its packet may go to the recipient.
SENT_STATUSES = frozenset({"requested", "received", "accepted", "in-progress"})
#: Referral categories whose providers treat the client (a TPO designation can reach them, §4.2 item 4).
HEALTH_CARE = frozenset({"medical", "psychiatry", "counseling", "substance-use", "mental-health"})


class ConsentRequired(CaseflowError):
    """A disclosure refused: what each consent on file lacks."""

    def __init__(self, what: str, check: ConsentCheck, action: str = "cannot be sent") -> None:
        self.check = check
        label = what if " " in what else f"referral {what}"  # a referral id, or "export of C-..."
        super().__init__(f"{label} {action}: no consent on file covers it")

    def lines(self) -> list[str]:
        return [f"{self.args[0]}:", *(f"  - {line}" for line in self.check.refusal())]


def referral_path(repo: Session, client_id: str, referral_id: str) -> str:
    """The referral's file, which must exist (``referral_id`` is checked before it names a path)."""
    path = f"{repo.client_dir(client_id)}/referrals/{check_document_id(referral_id, 'referral')}.yaml"
    if not (repo.root / path).is_file():
        raise NotFound(f"no referral {referral_id} for {client_id} (caseflow referrals {client_id})")
    return path


def disclosure_of(referral: dict[str, Any], client_id: str, on: str) -> Disclosure:
    """What sending this referral discloses; it must say to whom, why and what, or it cannot go."""
    where = f"referrals/{referral.get('id')}.yaml"
    for field, why in (
        ("provider", "the provider's directory id; consent is matched on it"),
        ("purpose", "the purpose of the disclosure; a consent must cover it"),
        ("information", "the information sent; a consent must cover each item"),
    ):
        if not referral.get(field):
            raise CaseflowError(f"{where} has no {field}: ({why}); caseflow set {client_id} {where} {field}=... first")
    return Disclosure(
        client_id,
        str(referral["provider"]),
        str(referral["purpose"]),
        frozenset(str(i) for i in referral.get("information") or []),
        bool(referral.get("part2")),
        on,
        treating_provider=referral.get("category") in HEALTH_CARE,
        service=str(referral.get("service_id") or ""),
    )


def consents_on_file(repo: Session, client_id: str) -> list[Mapping[str, Any]]:
    """The client's consents as committed: a disclosure never rests on an edit nobody committed."""
    folder = f"{repo.client_dir(client_id)}/consents"
    changed = repo.store.uncommitted([folder])
    if changed:
        raise StoreError(
            f"{changed[0]} has changes that are not committed yet; commit or discard them before a disclosure"
        )
    return [d.data for d in repo.case(client_id).by_form("core.consent")]


def consent_facts(repo: Session, client_id: str) -> ConsentFacts:
    """What decides when the client's consents end and who may sign them: discharges, referrals
    (which closed, under which consent sent), the date of birth and the age of majority."""
    return facts_of(repo.case(client_id))


def change_status(
    repo: Session,
    actor: Staff,
    client_id: str,
    referral_id: str,
    status: str,
    note: str | None = None,
    reason: str | None = None,
    emergency: str | None = None,
) -> SavedDocument:
    """Move a referral on, one commit; sending it (``requested``) needs a covering consent."""
    from caseflow.records import actions

    if status not in TRANSITIONS:  # the command line first: usage before what the repository says
        raise UsageError(f"unknown status '{status}' (one of {', '.join(TRANSITIONS)})")
    path = referral_path(repo, client_id, referral_id)
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
            on_file, facts = consents_on_file(repo, client_id), consent_facts(repo, client_id)
            check = find_covering(on_file, disclosure_of(document.plain(), client_id, today), facts)
            if check.ok:
                entry["consent"] = check.covering
                document.data["consent"] = check.covering
            elif emergency is not None:
                emergency = emergency.strip()
                if not emergency:
                    raise UsageError("--emergency needs the reason: what made this an emergency")
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


# -- creating a referral ---------------------------------------------------------------------------


def refer(
    repo: Session,
    actor: Staff,
    client_id: str,
    service_id: str,
    *,
    purpose: str,
    information: Sequence[str],
    reason: str | None = None,
    goal: str | None = None,
    part2: bool | None = None,
) -> SavedDocument:
    """A draft referral to a directory service, linked to a plan goal; one commit. Nothing is sent yet.

    It says what it will disclose (purpose, information, Part 2 or not) so that the consent gate
    can check it when it is sent. A Part 2 client's referral carries Part 2 records, always.
    """
    from caseflow.records import actions

    services = [s for d in directories(repo) for s in d.services]
    service = find_service(services, service_id)
    if service is None:
        raise NotFound(f"no service '{service_id}' in the directories (caseflow providers search)")
    if service.id != service_id:
        others = ", ".join(s.id for s in services if s.organization_id == service_id)
        raise UsageError(f"'{service_id}' is a provider; refer to one of its services: {others}")
    if not purpose.strip() or not [i for i in information if i.strip()]:
        raise UsageError("a referral needs --purpose and --information: what its sending discloses, and why")
    record = repo.client_record(client_id)
    if record.get("part2") is True and part2 is False:
        raise UsageError(f"{client_id}'s records are 42 CFR Part 2 records (part2: true); --no-part2 cannot apply")
    case = repo.case(client_id)
    if goal is not None:
        goals = [str(g.get("id")) for g in _plan_goals(case)]
        if goal not in goals:
            raise NotFound(f"the plan of {client_id} has no goal '{goal}' (goals: {', '.join(goals) or 'none yet'})")
    today = repo.today().isoformat()
    data: dict[str, Any] = {
        "form": "core.referral",
        "id": random_client_id("R-"),
        "client": client_id,
        "directory": service.directory,
        "provider": service.organization_id or service.id,
        "provider_name": service.organization,
        "service_id": service.id,
        "service": service.name,
        "category": referral_category(repo, service),
    }
    data.update({key: value for key, value in {"goal": goal, "reason": reason}.items() if value})
    data["purpose"] = purpose.strip()
    data["information"] = [i.strip() for i in information if i.strip()]
    data["part2"] = bool(record.get("part2")) if part2 is None else part2
    data.update(
        {"requested_by": actor.id, "status": "draft", "history": [{"status": "draft", "on": today, "by": actor.id}]}
    )
    details = {"Referral": f"{data['id']} draft to {service.id} ({service.directory})"}
    return actions.create_from_data(repo, actor, client_id, "core.referral", data, "refer", details)


def referral_category(repo: Session, service: Service) -> str:
    """The referral form's category for a service: its own categories, then their parents, else other."""
    known = repo.form("core.referral").schema["properties"]["category"].get("enum", [])
    parents = next((d.parents for d in directories(repo) if d.id == service.directory), {})
    for category in service.categories:
        seen: set[str] = set()
        while category and category not in seen:
            if category in known:
                return category
            seen.add(category)
            category = parents.get(category, "")
    return "other"


def _plan_goals(case: CaseView) -> list[Mapping[str, Any]]:
    plans = case.by_form("core.plan")
    goals = plans[0].data.get("goals") if plans else None
    return [g for g in goals or [] if isinstance(g, Mapping)]


# -- staleness (the due list reads this) -----------------------------------------------------------


def stale_after_days(repo: Session) -> int:
    """Days a referral may wait without a status change (the workflow's ``referral_stale_days``)."""
    return referral_stale_days(repo.workflow_spec.monitoring)


# -- the referral packet ---------------------------------------------------------------------------

PACKET_TEMPLATE = "packets/referral.md.j2"
#: 42 CFR 2.32(a)(2), the short form of the notice (2024 rule wording; standards §4.2 says verify).
PART2_NOTICE = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."


@dataclass(frozen=True)
class Packet:
    text: str
    consent: str | None
    emergency: str | None


def packet(repo: Session, actor: Staff, client_id: str, referral_id: str) -> Packet:
    """The minimum-necessary summary for the recipient of a sent referral, under the consent that covers it.

    Besides who the client is, it shows only what the referral's ``information`` lists: the reason
    for referral, the plan goal and contact details each appear only when an item names them. A
    referral sent under the emergency override carries that override (and its reason) instead.
    """
    from caseflow.core.render import render_template

    path = referral_path(repo, client_id, referral_id)
    referral = repo.read_document(path).plain()
    if referral.get("status") not in SENT_STATUSES:
        raise CaseflowError(
            f"referral {referral_id} is {referral.get('status')}: a packet goes with a referral that is sent "
            f"and not closed (caseflow referral {client_id} {referral_id} --status requested)"
        )
    consents = consents_on_file(repo, client_id)
    today = repo.today().isoformat()
    check = find_covering(consents, disclosure_of(referral, client_id, today), consent_facts(repo, client_id))
    emergency = next((h.get("emergency") for h in referral.get("history") or [] if h.get("emergency")), None)
    if not check.ok and not emergency:
        raise ConsentRequired(referral_id, check, action="packet cannot be rendered")
    consent = next((c for c in consents if c.get("id") == check.covering), None)
    # Every field of the forms is defined (None when absent), so the strict template can test it.
    fields_of = {
        form_id: list(repo.form(form_id).schema.get("properties", {})) for form_id in ("core.referral", "core.consent")
    }
    record = repo.client_record(client_id)
    worker = repo.config.staff_member(str(record.get("assigned_worker"))) if record.get("assigned_worker") else None
    goal = next((g for g in _plan_goals(repo.case(client_id)) if g.get("id") == referral.get("goal")), None)
    sent = " ".join(str(item).lower() for item in referral.get("information") or [])
    data = {
        "agency": repo.config.agency,
        "today": today,
        "referral": {key: referral.get(key) for key in fields_of["core.referral"]},
        "client": {k: record.get(k) for k in ("id", "name", "preferred_name", "dob", "language")}
        | {"interpreter_needed": record.get("interpreter_needed")}
        | {"phone": record.get("phone") if "contact" in sent else None},
        "reason": referral.get("reason") if "reason" in sent else None,
        "case_manager": {"name": worker.name, "email": worker.email} if worker else None,
        "goal": {"id": goal.get("id"), "title": goal.get("title"), "client_words": goal.get("client_words")}
        if goal and "goal" in sent
        else None,
        "consent": {key: consent.get(key) for key in fields_of["core.consent"]} if consent else None,
        "emergency": None if check.ok else emergency,  # the reason recorded when it was sent
        "part2": bool(referral.get("part2")),
        "part2_notice": PART2_NOTICE,
    }
    used_emergency = None if check.ok else str(emergency)
    text = render_template(PACKET_TEMPLATE, [repo.root / "templates"], data)
    under = check.covering or f"emergency: {used_emergency}"
    audit.record(
        repo.root, who=actor.id, action="referral packet", what=referral_id, clients=[client_id], consent=under
    )
    return Packet(text if text.endswith("\n") else text + "\n", check.covering, used_emergency)
