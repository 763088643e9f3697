"""*Household*: one household's page (members, the family plan and where it stands, family
contacts, what is due) and the form that records a family contact.

The page names the client members and the people who are not clients: each view is recorded in
the access record (for the client members) before it is sent.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from caseflow.core import access_record
from caseflow.errors import CaseflowError, DocumentError, InvalidId
from caseflow.web.pages import see_other, session, tell
from caseflow.web.render import page

_HOUSEHOLD_ID = re.compile(r"^H-[0-9A-Z]{4,12}$")
KINDS = ["office", "home", "hospital", "phone", "video"]


def _household_id(request: Request) -> str:
    household_id = str(request.path_params["household_id"])
    if not _HOUSEHOLD_ID.fullmatch(household_id):  # an opaque id, never a path: H-4T8M2Q
        raise InvalidId(f"{household_id[:40]!r} is not a household id")
    return household_id


async def household(request: Request) -> Response:
    household_id = _household_id(request)
    with session(request, "caseload") as (repo, actor):
        summary = repo.households.summary(household_id)
        loaded = repo.households.get(household_id)
        notes = {d.path: d.body for d in loaded.contacts}
        clients = [m["client"] for m in summary["members"] if m.get("client")]
        access_record.record(repo.root, who=actor.id, action="web", what="household page", clients=clients)
        approver = actor.role in repo.config.approver_roles
        return page(request, "household.html", household=summary, notes=notes, approver=approver)


async def contact(request: Request) -> Response:
    household_id = _household_id(request)
    with session(request, "caseload") as (repo, actor):
        summary = repo.households.summary(household_id)
        values: dict[str, Any] = {
            "date": repo.today().isoformat(),
            "type": "",
            "duration": "",
            "note": "",
            "present": [],
        }
        errors: dict[str, str] = {}
        if request.method == "POST":
            form = await request.form()
            for key in ("date", "type", "duration", "note"):
                value = form.get(key)
                values[key] = (value if isinstance(value, str) else "").replace("\r\n", "\n")
            values["present"] = [str(p) for p in form.getlist("present") if isinstance(p, str)]
            duration = None
            if values["duration"].strip():
                if values["duration"].strip().isdigit():
                    duration = int(values["duration"])
                else:
                    errors["duration"] = "Duration: give a whole number of minutes"
            if values["type"] not in KINDS:
                errors["type"] = f"Contact type: choose one of {', '.join(KINDS)}"
            if not values["present"]:
                errors["present"] = "Who was present: tick at least one member"
            if not errors:
                try:
                    _, links = repo.households.record_contact(
                        actor,
                        household_id,
                        values["present"],
                        values["type"],
                        on=values["date"].strip() or None,
                        duration_minutes=duration,
                        note=values["note"] if values["note"].strip() else None,
                    )
                except CaseflowError as exc:
                    problems = [p.message for p in exc.problems] if isinstance(exc, DocumentError) else [str(exc)]
                    errors["general"] = "; ".join(problems)
                else:
                    tell(request, f"Family contact recorded, linked from {len(links)} client folder(s).")
                    return see_other(f"/households/{household_id}")
        return page(
            request,
            "household_contact.html",
            status_code=400 if errors else 200,
            household=summary,
            kinds=KINDS,
            values=values,
            errors=errors,
        )


async def decide(request: Request) -> Response:
    """A supervisor approves the family plan as committed, or sends it back with a comment."""
    household_id = _household_id(request)
    form = await request.form()
    comment = str(form.get("comment") or "").strip() or None
    decision = "approved" if form.get("decision") == "approve" else "rejected"
    with session(request) as (repo, actor):
        try:
            repo.households.decide(actor, household_id, decision, comment)
        except CaseflowError as exc:
            tell(request, f"Not decided: {exc}")
        else:
            tell(request, f"Family plan {'approved' if decision == 'approved' else 'sent back'}.")
    return see_other(f"/households/{household_id}")


routes = [
    Route("/households/{household_id}", household),
    Route("/households/{household_id}/contact", contact, methods=["GET", "POST"]),
    Route("/households/{household_id}/decide", decide, methods=["POST"]),
]
