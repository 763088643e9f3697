"""*Follow-up*: one client's appointments, medications, provider reports and consent revocations.

Each form is the command line's, as one commit by the person acting: ``caseflow appt`` (add one,
or record it kept, missed or cancelled: ``repo.followup.add_appointment`` / ``mark_appointment``),
``caseflow meds`` (add, stop, log how it goes), ``caseflow report-in`` and ``caseflow ack`` (a
provider's report received, then read), ``caseflow consent revoke``. The due list's "Record the
appointment" and "Read the report" links open this page at the right section.

A refused form comes back with its reason beside it and everything typed still in it (400);
nothing is written. Every view names the client's health details: it is in the access record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from caseflow.core import access_record
from caseflow.core.ids import check_client_id, check_document_id
from caseflow.errors import CaseflowError, UsageError
from caseflow.followup.actions import ADHERENCE, APPOINTMENT_OUTCOMES
from caseflow.web.pages import see_other, session, tell
from caseflow.web.render import page

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.repo import CaseRepo


@dataclass(frozen=True)
class Action:
    """One form of the page: the fields it posts, the section it belongs to, and what it does."""

    fields: tuple[str, ...]
    section: str  #: the page's section (its heading's id) the form sits in
    perform: Callable[[CaseRepo, Staff, str, Mapping[str, str]], str]  #: does it; says what was done


def _add_appointment(repo: CaseRepo, actor: Staff, client_id: str, typed: Mapping[str, str]) -> str:
    at = f"{typed['date']} {typed['time']}".strip()
    _, appointment_id = repo.followup.add_appointment(
        actor,
        client_id,
        with_=typed["with"],
        at=at,
        purpose=typed["purpose"] or None,
        referral=typed["referral"] or None,
    )
    return f"Appointment {appointment_id} added."


def _mark_appointment(repo: CaseRepo, actor: Staff, client_id: str, typed: Mapping[str, str]) -> str:
    appointment = check_document_id(typed["id"], "appointment")
    repo.followup.mark_appointment(actor, client_id, appointment, typed["outcome"], typed["note"] or None)
    return f"Appointment {appointment} recorded as {typed['outcome']}."


def _add_medication(repo: CaseRepo, actor: Staff, client_id: str, typed: Mapping[str, str]) -> str:
    _, medication_id = repo.followup.add_medication(
        actor,
        client_id,
        name=typed["name"],
        dose=typed["dose"],
        prescriber=typed["prescriber"],
        start=typed["start"],
        reason=typed["reason"] or None,
    )
    return f"Medication {medication_id} added."


def _stop_medication(repo: CaseRepo, actor: Staff, client_id: str, typed: Mapping[str, str]) -> str:
    medication = check_document_id(typed["id"], "medication")
    repo.followup.stop_medication(actor, client_id, medication, typed["date"] or None, typed["reason"] or None)
    return f"Medication {medication} stopped."


def _log_medication(repo: CaseRepo, actor: Staff, client_id: str, typed: Mapping[str, str]) -> str:
    medication = check_document_id(typed["id"], "medication")
    repo.followup.log_medication(
        actor,
        client_id,
        medication,
        adherence=typed["adherence"],
        effect=typed["effect"],
        side_effects=typed["side_effects"] or None,
        on=typed["date"] or None,
    )
    return f"How medication {medication} is going was recorded."


def _receive_report(repo: CaseRepo, actor: Staff, client_id: str, typed: Mapping[str, str]) -> str:
    if not typed["text"].strip():
        raise UsageError("the report's text is empty: type or paste what the provider reported")
    saved = repo.followup.receive_report(
        actor,
        client_id,
        provider=typed["provider"],
        on=typed["date"],
        text=typed["text"],
        referral=typed["referral"] or None,
    )
    return f"Report saved as {saved.path.rsplit('/', 1)[-1]}; it stays on the due list until it is marked read."


def _acknowledge(repo: CaseRepo, actor: Staff, client_id: str, typed: Mapping[str, str]) -> str:
    repo.followup.acknowledge(actor, client_id, typed["document"])
    return f"{typed['document']} marked read."


def _revoke_consent(repo: CaseRepo, actor: Staff, client_id: str, typed: Mapping[str, str]) -> str:
    consent = check_document_id(typed["id"], "consent")
    repo.referrals.revoke_consent(actor, client_id, consent, typed["date"] or None, typed["note"] or None)
    return f"Consent {consent} revoked: nothing more is disclosed under it."


ACTIONS: Mapping[str, Action] = {
    "appointment-add": Action(("with", "date", "time", "purpose", "referral"), "h-appts", _add_appointment),
    "appointment-outcome": Action(("id", "outcome", "note"), "h-appts", _mark_appointment),
    "medication-add": Action(("name", "dose", "prescriber", "start", "reason"), "h-meds", _add_medication),
    "medication-stop": Action(("id", "date", "reason"), "h-meds", _stop_medication),
    "medication-log": Action(("id", "adherence", "effect", "side_effects", "date"), "h-meds", _log_medication),
    "report-receive": Action(("provider", "date", "text", "referral"), "h-reports", _receive_report),
    "report-read": Action(("document",), "h-reports", _acknowledge),
    "consent-revoke": Action(("id", "date", "note"), "h-consents", _revoke_consent),
}

#: The command line's options in a refusal, as the page's fields say them.
_OPTION_WORDS = {
    "--at": "Date and time",
    "--with": "With",
    "--date": "Date",
    "--start": "Started on",
    "--name": "Medication",
    "--dose": "Dose",
    "--prescriber": "Prescriber",
    "--adherence": "Taken",
    "--effect": "Effect",
}
_OPTION = re.compile(r"(?<![\w-])--[a-z-]+\b")


def in_page_words(message: str) -> str:
    """A refusal as the page says it: the command line's option names become the fields' labels."""
    return _OPTION.sub(lambda found: _OPTION_WORDS.get(found.group(0), found.group(0)), message)


def _client_id(request: Request) -> str:
    client_id = request.path_params["client_id"]
    check_client_id(client_id)  # an opaque id, never a path: C-7K2M9Q
    return str(client_id)


async def followup(request: Request) -> Response:
    return _show(request, _client_id(request))


async def act(request: Request) -> Response:
    """One form of the page, posted: done as one commit, or shown again with why and what was typed."""
    client_id = _client_id(request)
    name = request.path_params["action"]
    action = ACTIONS.get(name)
    if action is None:
        return page(request, "error.html", status_code=404, message="There is no such page.")
    form = await request.form()
    typed = {
        key: str(form.get(key) or "").strip() if key != "text" else str(form.get(key) or "") for key in action.fields
    }
    with session(request, "caseload") as (repo, actor):
        try:
            done = action.perform(repo, actor, client_id, typed)
        except CaseflowError as exc:
            refusal = {"action": name, "message": in_page_words(str(exc)), "typed": typed}
            return _show(request, client_id, refusal=refusal, status_code=400)
    tell(request, done)
    return see_other(f"/clients/{client_id}/followup#{action.section}")


def _show(
    request: Request, client_id: str, *, refusal: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    with session(request, "caseload") as (repo, actor):
        repo.client_dir(client_id)  # an unknown client: refused in one line
        case = repo.case(client_id)
        reports = [
            {
                "within": document.path,  # its path in the client's folder
                "name": document.path.rsplit("/", 1)[-1],
                "provider": document.data.get("provider_name") or document.data.get("provider"),
                "date": document.data.get("date"),
                "read_on": document.data.get("acknowledged_on"),
                "read_by": document.data.get("acknowledged_by"),
                "text": document.body.strip(),
            }
            for document in case.by_form("core.provider-report")
        ]
        reports.sort(key=lambda r: (bool(r["read_on"]), str(r["date"])))  # unread first, oldest first
        consents = [c for c in repo.referrals.consent_statuses(client_id) if c.get("status") != "revoked"]
        access_record.record(repo.root, who=actor.id, action="web", what="follow-up page", clients=[client_id])
        return page(
            request,
            "followup.html",
            status_code=status_code,
            client_id=client_id,
            today=repo.today().isoformat(),
            appointments=repo.followup.appointments(client_id),
            medications=repo.followup.medications(client_id),
            reports=reports,
            consents=consents,
            referrals=[str(d.data.get("id")) for d in case.by_form("core.referral") if d.data.get("id")],
            outcomes=APPOINTMENT_OUTCOMES,
            adherence=ADHERENCE,
            refusal=refusal or {"action": "", "message": "", "typed": {}},
        )


routes = [
    Route("/clients/{client_id}/followup", followup),
    Route("/clients/{client_id}/followup/{action}", act, methods=["POST"]),
]
