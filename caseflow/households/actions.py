"""Household writes: a new household, the family plan, a decision on it, a family contact.

Each is one commit by the acting person. A family contact writes the household's note once and,
in the folder of each client present, a contact note that names the household and the family
note but carries none of its text: each member's last contact and due list count it, and no
member's record holds anything about another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caseflow.core.config import Staff
from caseflow.core.dates import parse_past_date
from caseflow.core.documents import Document
from caseflow.core.documents import new_document as parse_new_document
from caseflow.core.editing import apply_edit, parse_assignment, parse_field_path
from caseflow.core.ids import normalize_id, random_client_id
from caseflow.core.names import require_staff
from caseflow.core.textpolicy import read_document_bytes
from caseflow.errors import CaseflowError, DocumentError, NotAllowed, NotFound, Problem, UsageError
from caseflow.households import model
from caseflow.households.forms import (
    FAMILY_CONTACT_FORM,
    FAMILY_PLAN_FORM,
    HOUSEHOLD_APPROVALS_FORM,
    HOUSEHOLD_FORM,
    HOUSEHOLD_FORMS,
    RELATIONSHIPS,
)
from caseflow.records import actions

if TYPE_CHECKING:
    from caseflow.core.events import SavedDocument
    from caseflow.core.store import Transaction
    from caseflow.session import Session

PLAN_REVIEW_DAYS = 90


@dataclass(frozen=True)
class Person:
    """A member who is not a client, as given on the command line (``NAME:RELATIONSHIP[:YEAR]``)."""

    name: str
    relationship: str
    birth_year: int | None = None

    @classmethod
    def parse(cls, text: str) -> Person:
        parts = text.split(":")
        if len(parts) not in (2, 3) or not parts[0].strip():
            raise UsageError(f"--person takes NAME:RELATIONSHIP[:BIRTH_YEAR], not {text!r}")
        relationship = parts[1].strip()
        if relationship not in RELATIONSHIPS:
            raise UsageError(f"relationship {relationship!r} is not one of {', '.join(RELATIONSHIPS)}")
        year = None
        if len(parts) == 3:
            if not parts[2].strip().isdigit() or not 1900 <= int(parts[2]) <= 2100:
                raise UsageError(f"birth year {parts[2]!r} is not a year")
            year = int(parts[2])
        return cls(parts[0].strip(), relationship, year)


def parse_member(text: str) -> tuple[str, str | None]:
    """``C-7K2M9Q`` or ``C-7K2M9Q:RELATIONSHIP``."""
    client, _, relationship = text.partition(":")
    if relationship and relationship not in RELATIONSHIPS:
        raise UsageError(f"relationship {relationship!r} is not one of {', '.join(RELATIONSHIPS)}")
    return normalize_id(client), relationship or None  # c-7k2m9q:parent is C-7K2M9Q, a parent


def _check_clients(repo: Session, clients: Sequence[str]) -> None:
    """Every client member exists, each listed once: else one line, and nothing is written."""
    missing = []
    for client in clients:
        try:
            repo.client_dir(client)
        except CaseflowError:
            missing.append(client)
    if missing:
        raise NotFound(f"no client {', '.join(missing)}: a household's members are clients here (or --person)")
    twice = sorted({c for c in clients if list(clients).count(c) > 1})
    if twice:
        raise UsageError(f"client {', '.join(twice)} is given twice")


def _new_household_id(repo: Session) -> str:
    for _ in range(100):
        candidate = random_client_id("H-")
        if not (repo.root / model.HOUSEHOLDS_DIR / candidate).exists():
            return candidate
    raise CaseflowError("could not find a free household id")  # pragma: no cover (2^30 ids)


def create(
    repo: Session,
    actor: Staff,
    members: Sequence[str],
    persons: Sequence[str] = (),
    worker: str | None = None,
) -> tuple[str, SavedDocument]:
    """``households/<H-ID>/household.yaml`` in one commit; every client member must exist."""
    parsed = [parse_member(m) for m in members]
    people = [Person.parse(p) for p in persons]
    if not parsed:
        raise UsageError("a household needs at least one client member (--member C-...)")
    _check_clients(repo, [client for client, _ in parsed])
    worker = require_staff(repo.config, worker or actor.id).id
    listed: list[dict[str, Any]] = []
    for client, relationship in parsed:
        listed.append(
            {"id": f"m{len(listed) + 1}", "client": client} | ({"relationship": relationship} if relationship else {})
        )
    for person in people:
        item: dict[str, Any] = {"id": f"m{len(listed) + 1}", "name": person.name, "relationship": person.relationship}
        if person.birth_year is not None:
            item["birth_year"] = person.birth_year
        listed.append(item)
    household_id = _new_household_id(repo)
    path = f"{model.household_dir(household_id)}/household.yaml"
    with repo.store.transaction(repo.author(actor), action="household", client=None) as tx:
        document = parse_new_document(path, f"form: {HOUSEHOLD_FORM}\n")
        document.data["id"] = household_id
        document.data["created"] = repo.today().isoformat()
        document.data["worker"] = worker
        document.data["members"] = listed
        tx.details["Household"] = household_id
        tx.details["Clients"] = " ".join(client for client, _ in parsed)
        _commit(repo, tx, document, "household.yaml")
    return household_id, _saved(repo, tx, path, HOUSEHOLD_FORM, "household")


def _commit(repo: Session, tx: Transaction, document: Document, inner: str) -> None:
    data = document.to_bytes()
    problems = model.check_household_document(repo, document.path, inner, data, document.plain(), document.body)
    if problems:
        raise DocumentError(problems)
    if tx.read(document.path) != data:
        tx.write(document.path, data)


def _saved(repo: Session, tx: Transaction, path: str, form_id: str, action: str) -> SavedDocument:
    from caseflow.core.events import SavedDocument

    result = SavedDocument(None, path, form_id, action, tx.commit)
    if tx.commit is not None:
        repo.host.after_document_saved(result)
    return result


def _refuse_bad_household(household: model.Household) -> None:
    if household.problems:
        raise DocumentError(household.problems, note=f"fix household {household.id} first (caseflow validate)")


# -- the family plan ------------------------------------------------------------------------------


def set_plan(repo: Session, actor: Staff, household_id: str, assignments: Sequence[str]) -> SavedDocument:
    """Create ``family-plan.yaml`` if there is none, then set FIELD=VALUE in it; one commit."""
    parsed = [parse_assignment(text) for text in assignments]
    for field, _ in parsed:
        if parse_field_path(field)[0].value == "form":
            raise UsageError("a document's form cannot be changed")
    household = model.load(repo, household_id)
    path = f"{household.folder}/family-plan.yaml"
    form = HOUSEHOLD_FORMS[FAMILY_PLAN_FORM]
    new = not (repo.root / path).exists()
    if not new and not parsed:
        raise UsageError("nothing to set: give one or more FIELD=VALUE")
    with repo.store.transaction(repo.author(actor), action="family-plan", client=None) as tx:
        if new:
            review = (repo.today() + dt.timedelta(days=PLAN_REVIEW_DAYS)).isoformat()
            document = parse_new_document(
                path,
                "# Family plan: goals the household owns; each objective names the member responsible.\n"
                f"form: {FAMILY_PLAN_FORM}\nhousehold: {household_id}\ncreated: {repo.today().isoformat()}\n"
                f"author: {actor.id}\nreview_date: {review}\nstrengths: []\ngoals: []\n",
            )
        else:
            actions.refuse_uncommitted(repo, path)
            document = repo.read_document(path)
        for field, value in parsed:
            apply_edit(document.data, parse_field_path(field), value, form.schema)
        tx.details["Household"] = household_id
        members = {m.id for m in household.members}
        for g, goal in enumerate(document.plain().get("goals") or []):
            for o, objective in enumerate(goal.get("objectives") or [] if isinstance(goal, dict) else []):
                member = objective.get("member") if isinstance(objective, dict) else None
                if isinstance(member, str) and member not in members:
                    known = ", ".join(sorted(members))
                    why = f"objective {objective.get('id')}: {member} is not a member of {household_id} ({known})"
                    raise DocumentError(Problem(path, 0, 0, f"goals[{g}].objectives[{o}].member: {why}"))
        _commit(repo, tx, document, "family-plan.yaml")
    return _saved(repo, tx, path, FAMILY_PLAN_FORM, "family-plan")


def decide(repo: Session, actor: Staff, household_id: str, decision: str, comment: str | None = None) -> SavedDocument:
    """A supervisor's decision on the family plan's committed version, in the household's
    ``approvals.yaml`` (judged by the same ledger as a client's: the commit must be the approver's)."""
    if decision == "rejected" and not (comment or "").strip():
        raise UsageError("a rejection needs a comment saying what to change (--comment TEXT)")
    if actor.role not in repo.config.approver_roles:
        roles = ", ".join(repo.config.approver_roles)
        raise NotAllowed(f"{actor.id} is a {actor.role}; only {roles} may approve or reject (see approvals.roles)")
    household = model.load(repo, household_id)
    plan = household.plan
    if plan is None:
        raise NotFound(f"household {household_id} has no family plan yet (caseflow household plan)")
    path = f"{household.folder}/family-plan.yaml"
    actions.refuse_uncommitted(repo, path)
    actions.refuse_unsettled_rules(repo)
    if decision == "approved" and household.problems:
        raise DocumentError(household.problems, note="an invalid family plan cannot be approved; fix it first")
    last_author = repo.store.last_author_email(path)
    if last_author and last_author.lower() == actor.email.lower() and not repo.config.self_approval:
        raise NotAllowed(f"{actor.id} made the last change to family-plan.yaml; another supervisor decides on it")
    raw = read_document_bytes(repo.root, path)
    record_path = f"{household.folder}/approvals.yaml"
    action = "approve" if decision == "approved" else "reject"
    with repo.store.transaction(repo.author(actor), action=action, client=None) as tx:
        if (repo.root / record_path).exists():
            record = repo.read_document(record_path)
        else:
            record = parse_new_document(
                record_path, f"form: {HOUSEHOLD_APPROVALS_FORM}\nhousehold: {household_id}\napprovals: []\n"
            )
        from caseflow.workflow.approvals import append_decision

        append_decision(repo, record, "family-plan.yaml", raw, decision, actor, comment)
        tx.details["Household"] = household_id
        tx.details["Document"] = "family-plan.yaml"
        _commit(repo, tx, record, "approvals.yaml")
    return _saved(repo, tx, record_path, HOUSEHOLD_APPROVALS_FORM, action)


def decisions(repo: Session, household: model.Household) -> list[Mapping[str, Any]]:
    """The household's decisions that count: made by a commit of the approver (the ledger says)."""
    record = next((d for d in household.documents if d.path == "approvals.yaml"), None)
    if record is None:
        return []
    ledger = repo.ledger()
    key = household.folder
    return [
        entry
        for entry in model._mappings(record.data.get("approvals"))
        if entry.get("by") in repo.approvers and ledger.backs(key, {k: str(v) for k, v in entry.items()})
    ]


def plan_status(repo: Session, household: model.Household) -> dict[str, Any]:
    """Where the family plan stands: ``none``; ``awaiting approval`` (never decided on, or changed
    since the last decision); ``approved`` (this version); ``sent back`` (this version, with the
    supervisor's comment in ``sent_back``: it is the author's to change)."""
    plan = household.plan
    if plan is None:
        return {"status": "none"}
    latest = None
    for entry in decisions(repo, household):
        if entry.get("document") == "family-plan.yaml" and entry.get("blob") == plan.blob:
            latest = entry
    if latest is None:
        return {"status": "awaiting approval"}
    found = {"by": latest.get("by"), "at": str(latest.get("at"))}
    if latest.get("decision") == "approved":
        return {"status": "approved"} | found
    return {"status": "sent back", "sent_back": str(latest.get("comment") or "")} | found


# -- family contacts ------------------------------------------------------------------------------


def record_contact(
    repo: Session,
    actor: Staff,
    household_id: str,
    present: Sequence[str],
    kind: str,
    *,
    on: str | None = None,
    duration_minutes: int | None = None,
    note: str | None = None,
) -> tuple[SavedDocument, list[SavedDocument]]:
    """The family note once, and a linked contact note for each client present; one commit."""
    household = model.load(repo, household_id)
    _refuse_bad_household(household)
    kinds = HOUSEHOLD_FORMS[FAMILY_CONTACT_FORM].schema["properties"]["type"]["enum"]
    if kind not in kinds:
        raise UsageError(f"--type must be one of {', '.join(kinds)}, not {kind!r}")
    if not present:
        raise UsageError("say who was present: --present C-... (a client) or a member id (m3)")
    by_key = {m.id: m for m in household.members} | {m.client: m for m in household.members if m.client}
    unknown = [p for p in present if p not in by_key]
    if unknown:
        raise NotFound(f"{', '.join(unknown)} is not a member of household {household_id}")
    members = list(dict.fromkeys(by_key[p] for p in present))
    today = repo.today()
    day = parse_past_date(on, "--date", today).isoformat()
    if duration_minutes is not None and not 0 < duration_minutes <= 1440:
        raise UsageError(f"--duration {duration_minutes} is not a number of minutes in a day")
    contact_form = HOUSEHOLD_FORMS[FAMILY_CONTACT_FORM]
    visit_form = repo.form("core.visit")
    clients = [m.client for m in members if m.client]
    with repo.store.transaction(repo.author(actor), action="family-contact", client=None) as tx:
        note_doc = parse_new_document(
            f"{household.folder}/{contact_form.path}", f"---\nform: {FAMILY_CONTACT_FORM}\n---\n"
        )
        fields: dict[str, Any] = {"household": household_id, "date": day, "type": kind, "author": actor.id}
        if duration_minutes is not None:
            fields["duration_minutes"] = duration_minutes
        fields["present"] = [m.id for m in members]
        for key, value in fields.items():
            note_doc.data[key] = value
        note_doc.body = (note or "").strip() + "\n" if note else ""
        note_doc.path = actions.place(repo, household.folder, contact_form, note_doc)
        inner = note_doc.path.removeprefix(household.folder + "/")
        _commit(repo, tx, note_doc, inner)
        links = []
        for client in clients:
            base = repo.client_dir(client)
            link = parse_new_document(f"{base}/{visit_form.path}", "---\nform: core.visit\n---\n")
            for key, value in {"client": client, "date": day, "type": kind, "author": actor.id}.items():
                link.data[key] = value
            if duration_minutes is not None:
                link.data["duration_minutes"] = duration_minutes
            link.data["household"] = household_id
            link.data["family_contact"] = inner
            link.body = f"Family contact with household {household_id}; the note is kept with the household.\n"
            link.path = actions.place(repo, base, visit_form, link)
            actions.commit_document(repo, tx, link, visit_form, client)
            links.append((client, link.path))
        tx.details["Household"] = household_id
        tx.details["Clients"] = " ".join(clients) or "none"
        tx.details["Contact"] = f"{kind} on {day}"
    saved_note = _saved(repo, tx, note_doc.path, FAMILY_CONTACT_FORM, "family-contact")
    return saved_note, [actions.saved(repo, tx, client, path, visit_form, "visit") for client, path in links]
