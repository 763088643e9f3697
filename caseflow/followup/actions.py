"""Follow-through after the plan: contacts, appointments, medications and provider reports.

Each command is one commit on the client's documents: a contact note (``visits/<date>-<type>.md``),
an item added to or changed in ``appointments.yaml`` / ``medications.yaml``, a provider report
(``provider-reports/<date>-<provider>.md``, with a PDF beside it if there is one), or the case
manager's acknowledgement that they read a report. Dates are checked against the agency's today:
what happened cannot be dated tomorrow, and nothing ends before it began.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.core.blank import blank_reason
from caseflow.core.config import Staff
from caseflow.core.dates import parse_date, parse_datetime, parse_past_date
from caseflow.core.documents import Document, new_mapping
from caseflow.core.documents.edits import insert_item, new_sequence
from caseflow.core.ids import check_document_id, random_client_id
from caseflow.core.store import Transaction
from caseflow.errors import CaseflowError, NotAllowed, NotFound, StoreError, UsageError
from caseflow.followup.due_rules import items_of
from caseflow.referrals.directory import find_service
from caseflow.referrals.directory_files import directories

if TYPE_CHECKING:
    from caseflow.core.events import SavedDocument
    from caseflow.session import Session

APPOINTMENT_OUTCOMES = ("kept", "missed", "cancelled")
ADHERENCE = ("taken", "partial", "missed")


# -- contacts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """A contact as given on the command line."""

    type: str
    on: str | None = None
    duration_minutes: int | None = None
    goals: Sequence[str] = ()
    note: str | None = None  # the note's text (from --note or --note-file)
    facility: str | None = None  # hospital visits: where, and the stay's dates
    admitted_on: str | None = None
    discharged_on: str | None = None
    reached: bool = True  # False: an attempt to reach the client that did not (not a contact)


def record_visit(
    repo: Session, actor: Staff, client_id: str, contact: Contact, edit: bool = False, editor: Any = None
) -> SavedDocument:
    """``visits/<date>-<type>.md`` in one commit; with ``edit``, the note is typed in $EDITOR first."""
    from caseflow.records import actions

    kinds = repo.form("core.visit").schema["properties"]["type"].get("enum", [])
    if contact.type not in kinds:
        raise UsageError(f"--type must be one of {', '.join(kinds)}, not {contact.type!r}")
    today = repo.today()
    day = parse_past_date(contact.on, "--date", today)
    preset: dict[str, Any] = {"date": day.isoformat(), "type": contact.type, "author": actor.id}
    if contact.duration_minutes is not None:
        if not 0 < contact.duration_minutes <= 1440:
            raise CaseflowError(f"--duration {contact.duration_minutes} is not a number of minutes in a day")
        preset["duration_minutes"] = contact.duration_minutes
    if not contact.reached:
        preset["client_present"] = False
    if contact.goals:
        preset["goals"] = list(_plan_goal_ids(repo, client_id, contact.goals))
    stay = _hospital_stay(contact, today)
    if stay:
        preset["hospital"] = stay
    body = None if contact.note is None else _note_body(contact.note)

    def finalize(document: Document, tx: Transaction) -> None:
        # Checked again on what is committed: $EDITOR may have changed any of it.
        data = document.data
        visited = parse_past_date(str(data.get("date")), f"{document.path}: date", today)
        _check_stay(document, visited)
        blank = blank_reason(repo.form("core.visit"), data, document.body, repo.root / "templates")
        if blank is not None:  # a contact is documented by what happened, not by an empty note
            raise CaseflowError(f"{document.path}: a contact note says what happened, but {blank} (--note TEXT)")
        tx.details["Contact"] = f"{data.get('type')} on {visited.isoformat()}"

    return actions.new_document(
        repo,
        actor,
        client_id,
        "core.visit",
        edit=edit,
        editor=editor,
        preset=preset,
        body=body,
        action="visit",
        finalize=finalize,
    )


def _check_stay(document: Document, visited: dt.date) -> None:
    """A hospital visit happens during the stay, and a stay ends after it begins."""
    stay = document.data.get("hospital")
    if not isinstance(stay, Mapping):
        return
    admitted = (
        parse_date(str(stay["admitted_on"]), f"{document.path}: admitted_on") if stay.get("admitted_on") else None
    )
    left = (
        parse_date(str(stay["discharged_on"]), f"{document.path}: discharged_on") if stay.get("discharged_on") else None
    )
    if admitted and left and left < admitted:
        raise CaseflowError(f"{document.path}: discharged on {left}, before admission on {admitted}")
    if (admitted and visited < admitted) or (left and visited > left):
        raise CaseflowError(f"{document.path}: a hospital visit on {visited} is outside the stay it records")


def _hospital_stay(contact: Contact, today: dt.date) -> dict[str, str]:
    given = {"facility": contact.facility, "admitted_on": contact.admitted_on, "discharged_on": contact.discharged_on}
    if contact.type != "hospital":
        named = [f"--{key.replace('_on', '').replace('_', '-')}" for key, value in given.items() if value]
        if named:
            raise CaseflowError(f"{', '.join(named)} belong to a hospital visit (--type hospital)")
        return {}
    stay: dict[str, str] = {}
    if contact.facility:
        stay["facility"] = contact.facility
    admitted = parse_past_date(contact.admitted_on, "--admitted", today) if contact.admitted_on else None
    discharged = parse_past_date(contact.discharged_on, "--discharged", today) if contact.discharged_on else None
    if admitted and discharged and discharged < admitted:
        raise CaseflowError(f"--discharged {discharged} is before --admitted {admitted}")
    if admitted:
        stay["admitted_on"] = admitted.isoformat()
    if discharged:
        stay["discharged_on"] = discharged.isoformat()
    return stay


def _note_body(text: str) -> str:
    text = text.strip("\n")
    return f"\n{text}\n" if text else ""


def _plan_goal_ids(repo: Session, client_id: str, goals: Sequence[str]) -> Sequence[str]:
    plans = repo.case(client_id).by_form("core.plan")
    known = [str(g.get("id")) for g in (plans[0].data.get("goals") or [])] if plans else []
    unknown = [goal for goal in goals if goal not in known]
    if unknown:
        raise NotFound(
            f"the plan of {client_id} has no goal {', '.join(unknown)} (goals: {', '.join(known) or 'none'})"
        )
    return goals


# -- appointments and medications: items of one document per client -------------------------------


@dataclass(frozen=True)
class ItemList:
    """A list of items in a client's one-per-client document: its form, its key, its commit action."""

    form_id: str
    key: str
    action: str


APPOINTMENTS = ItemList("core.appointments", "appointments", "appointment")
MEDICATIONS = ItemList("core.medications", "medications", "medication")


def _append(repo: Session, actor: Staff, client_id: str, where: ItemList, item: dict[str, Any]) -> SavedDocument:
    details = {where.action.capitalize(): f"{item['id']} added"}
    return _edit_list(
        repo, actor, client_id, where, details, lambda items: insert_item(items, len(items), new_mapping(item))
    )


def _edit_list(
    repo: Session,
    actor: Staff,
    client_id: str,
    where: ItemList,
    details: Mapping[str, str],
    change: Callable[[Any], None],
) -> SavedDocument:
    """Change one list of a client's one-per-client document (created if missing), one commit."""
    from caseflow.records import actions

    form_id, key, action = where.form_id, where.key, where.action
    form = repo.form(form_id)
    path = f"{repo.client_dir(client_id)}/{form.path}"
    if not (repo.root / path).exists():
        if repo.store.uncommitted([path]):  # deleted in the working tree: not ours to recreate
            raise StoreError(f"{path} was deleted but the deletion is not committed; restore it (git checkout) first")
        items = new_sequence()
        change(items)
        data = {"client": client_id, key: items}
        return actions.create_from_data(repo, actor, client_id, form_id, data, action, details)
    with repo.store.transaction(repo.author(actor), action=action, client=client_id) as tx:
        actions.refuse_uncommitted(repo, path)
        document = repo.read_document(path)
        if not isinstance(document.data.get(key), list):
            document.data[key] = []
        change(document.data[key])
        tx.details.update(details)
        actions.commit_document(repo, tx, document, form, client_id)
    return actions.saved(repo, tx, client_id, path, form, action)


def _find_item(items: Any, item_id: str, what: str, client_id: str, listing: str) -> Any:
    for item in items or []:
        if isinstance(item, Mapping) and item.get("id") == item_id:
            return item
    raise NotFound(f"no {what} {item_id} for {client_id} ({listing})")


def add_appointment(
    repo: Session,
    actor: Staff,
    client_id: str,
    *,
    with_: str,
    at: str,
    referral: str | None = None,
    purpose: str | None = None,
) -> tuple[SavedDocument, str]:
    """A scheduled appointment in ``appointments.yaml``; ``with_`` is a directory id or plain words."""
    moment = parse_datetime(at, "--at")
    item: dict[str, Any] = {"id": random_client_id("A-"), "with": with_.strip()}
    service = find_service([s for d in directories(repo) for s in d.services], with_.strip())
    if service is not None:
        item["with"] = service.organization if service.organization_id == with_.strip() else service.name
        item["provider"] = with_.strip()
    if not item["with"]:
        raise CaseflowError("--with needs a provider id or who the appointment is with")
    item.update({"date": moment.date().isoformat(), "time": moment.strftime("%H:%M")})
    if purpose:
        item["purpose"] = purpose
    if referral:
        from caseflow.referrals.lifecycle import referral_path

        referral_path(repo, client_id, referral)
        item["referral"] = referral
    item["status"] = "scheduled"
    return _append(repo, actor, client_id, APPOINTMENTS, item), item["id"]


def mark_appointment(
    repo: Session, actor: Staff, client_id: str, appointment_id: str, outcome: str, note: str | None = None
) -> SavedDocument:
    """Record that an appointment was kept, missed or cancelled (kept and missed only once it has come)."""
    if outcome not in APPOINTMENT_OUTCOMES:
        raise CaseflowError(f"an appointment is {', '.join(APPOINTMENT_OUTCOMES)}, not {outcome!r}")
    check_document_id(appointment_id, "appointment")
    today = repo.today()

    def change(items: Any) -> None:
        item = _find_item(items, appointment_id, "appointment", client_id, f"caseflow appts {client_id}")
        if item.get("status") != "scheduled":
            raise CaseflowError(
                f"appointment {appointment_id} is already recorded as {item.get('status')}; "
                f"to correct it: caseflow set {client_id} appointments.yaml 'appointments[{appointment_id}].status=...'"
            )
        day = parse_date(str(item.get("date")), f"appointment {appointment_id}'s date")
        if outcome != "cancelled" and day > today:
            raise CaseflowError(f"appointment {appointment_id} is on {day}, in the future: it cannot be {outcome} yet")
        item["status"] = outcome
        if note:
            item["note"] = note

    details = {"Appointment": f"{appointment_id} {outcome}"}
    return _edit_list(repo, actor, client_id, APPOINTMENTS, details, change)


def appointments(repo: Session, client_id: str) -> list[Mapping[str, Any]]:
    return items_of(repo.case(client_id), APPOINTMENTS.form_id, APPOINTMENTS.key)


def attendance(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Kept and missed counts and the kept rate (of appointments that came to pass or not)."""
    kept = sum(1 for item in items if item.get("status") == "kept")
    missed = sum(1 for item in items if item.get("status") == "missed")
    return {"kept": kept, "missed": missed, "kept_rate": round(kept / (kept + missed), 2) if kept + missed else None}


def add_medication(
    repo: Session,
    actor: Staff,
    client_id: str,
    *,
    name: str,
    dose: str,
    prescriber: str,
    start: str,
    reason: str | None = None,
) -> tuple[SavedDocument, str]:
    """A medication the client takes, as prescribed by someone else: caseflow monitors, never prescribes."""
    began = parse_past_date(start, "--start", repo.today())
    if not (name.strip() and dose.strip() and prescriber.strip()):
        raise CaseflowError("a medication needs --name, --dose and --prescriber")
    item: dict[str, Any] = {
        "id": random_client_id("M-"),
        "name": name.strip(),
        "dose": dose.strip(),
        "prescriber": prescriber.strip(),
        "start": began.isoformat(),
    }
    if reason:
        item["reason"] = reason
    return _append(repo, actor, client_id, MEDICATIONS, item), item["id"]


def stop_medication(
    repo: Session, actor: Staff, client_id: str, medication_id: str, on: str | None, reason: str | None = None
) -> SavedDocument:
    check_document_id(medication_id, "medication")
    stopped = parse_past_date(on, "--date", repo.today())

    def change(items: Any) -> None:
        item = _find_item(items, medication_id, "medication", client_id, f"caseflow meds {client_id}")
        if item.get("stop"):
            raise CaseflowError(f"medication {medication_id} was already stopped on {item['stop']}")
        if stopped.isoformat() < str(item.get("start")):
            raise CaseflowError(f"--date {stopped} is before medication {medication_id} started ({item.get('start')})")
        item["stop"] = stopped.isoformat()
        if reason:
            item["stop_reason"] = reason

    details = {"Medication": f"{medication_id} stopped {stopped.isoformat()}"}
    return _edit_list(repo, actor, client_id, MEDICATIONS, details, change)


def log_medication(
    repo: Session,
    actor: Staff,
    client_id: str,
    medication_id: str,
    *,
    adherence: str,
    effect: str,
    side_effects: str | None = None,
    on: str | None = None,
) -> SavedDocument:
    """One monitoring entry: did the client take it, what it does, what it costs them."""
    if adherence not in ADHERENCE:
        raise UsageError(f"--adherence must be one of {', '.join(ADHERENCE)}, not {adherence!r}")
    if not effect.strip():
        raise CaseflowError("--effect needs what the client says the medication does (or 'none noticed')")
    check_document_id(medication_id, "medication")
    day = parse_past_date(on, "--date", repo.today())

    def change(items: Any) -> None:
        item = _find_item(items, medication_id, "medication", client_id, f"caseflow meds {client_id}")
        if day.isoformat() < str(item.get("start")):
            raise CaseflowError(f"--date {day} is before medication {medication_id} started ({item.get('start')})")
        if item.get("stop") and day.isoformat() > str(item["stop"]):
            raise CaseflowError(f"medication {medication_id} was stopped on {item['stop']}, before {day}")
        entry: dict[str, Any] = {"date": day.isoformat(), "adherence": adherence, "effect": effect}
        if side_effects:
            entry["side_effects"] = side_effects
        entry["by"] = actor.id
        if not isinstance(item.get("monitoring"), list):
            item["monitoring"] = []
        insert_item(item["monitoring"], len(item["monitoring"]), new_mapping(entry))

    details = {"Medication": f"{medication_id} {adherence} on {day.isoformat()}"}
    return _edit_list(repo, actor, client_id, MEDICATIONS, details, change)


def medications(repo: Session, client_id: str) -> list[Mapping[str, Any]]:
    return items_of(repo.case(client_id), MEDICATIONS.form_id, MEDICATIONS.key)


# -- provider reports -------------------------------------------------------------------------------


def receive_report(
    repo: Session,
    actor: Staff,
    client_id: str,
    *,
    provider: str,
    on: str,
    text: str | None = None,
    edit: bool = False,
    referral: str | None = None,
    attachment: Path | None = None,
    editor: Any = None,
) -> SavedDocument:
    """A provider's report, linked to its referral, unread until the case manager acknowledges it."""
    from caseflow.records import actions

    day = parse_past_date(on, "--date", repo.today())
    services = [s for d in directories(repo) for s in d.services]
    found = find_service(services, provider)
    if found is None:
        raise NotFound(f"no provider or service '{provider}' in the directories (caseflow providers search)")
    # The organization's name, as people read it (the due list, the timeline); the id links the directory.
    preset: dict[str, Any] = {
        "provider": provider,
        "provider_name": found.organization,
        "date": day.isoformat(),
        "received_by": actor.id,
    }
    if referral:
        from caseflow.referrals.lifecycle import referral_path

        referral_path(repo, client_id, referral)
        preset["referral"] = referral
    pdf = _read_pdf(attachment) if attachment is not None else None
    body = None if text is None else _note_body(text)
    today = repo.today()

    def finalize(document: Document, tx: Transaction) -> None:
        received = parse_past_date(str(document.data.get("date")), f"{document.path}: date", today)
        if pdf is not None:  # beside the report and named after it, so each report has its own
            beside = document.path.removesuffix(".md") + ".pdf"
            if (repo.root / beside).exists():
                raise CaseflowError(f"{beside} already exists")
            tx.write(beside, pdf)
            document.data["attachment"] = beside.rsplit("/", 1)[-1]
        tx.details["Report"] = f"{document.data.get('provider')} {received.isoformat()}"

    return actions.new_document(
        repo,
        actor,
        client_id,
        "core.provider-report",
        edit=edit,
        editor=editor,
        preset=preset,
        body=body,
        action="report-in",
        finalize=finalize,
    )


def _read_pdf(path: Path) -> bytes:
    """The attachment's bytes, checked before anyone types a word of the report."""
    if path.suffix.lower() != ".pdf" or not path.is_file():
        raise CaseflowError(f"--attach {path}: attach a PDF file")
    data = path.read_bytes()
    if not data.startswith(b"%PDF-"):
        raise CaseflowError(f"--attach {path}: not a PDF (it does not start with %PDF-)")
    return data


def acknowledge(repo: Session, actor: Staff, client_id: str, document: str) -> SavedDocument:
    """The case manager has read this provider report (it leaves the due list)."""
    from caseflow.records import actions

    path = repo.resolve_document(client_id, document)
    form = repo.form("core.provider-report")
    with repo.store.transaction(repo.author(actor), action="ack", client=client_id) as tx:
        actions.refuse_uncommitted(repo, path)
        report = repo.read_document(path)
        if report.form_id != form.id:
            raise CaseflowError(f"{path} is not a provider report ({report.form_id})")
        worker = repo.client_record(client_id).get("assigned_worker")
        if worker and actor.id != worker:
            raise NotAllowed(f"{path} is for the assigned case manager ({worker}) to mark read")
        if report.data.get("acknowledged_on"):
            by = report.data.get("acknowledged_by")
            raise CaseflowError(f"{path} was already read by {by} on {report.data['acknowledged_on']}")
        report.data["acknowledged_by"] = actor.id
        report.data["acknowledged_on"] = repo.today().isoformat()
        tx.details["Report"] = f"read by {actor.id}"
        actions.commit_document(repo, tx, report, form, client_id)
    return actions.saved(repo, tx, client_id, path, form, "ack")
