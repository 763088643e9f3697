"""*Today*: the acting person's due list (overdue first, risk-flagged first), each item with a link
to the action it asks for, and the calendar to download."""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from caseflow.errors import UsageError
from caseflow.web.pages import session, web_state
from caseflow.web.render import page

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.followup.due import DueEntry
    from caseflow.repo import CaseRepo
    from caseflow.web.state import WebState

#: Items per page: a supervisor's list covers every client.
PAGE_SIZE = 100

#: Where each due rule's item is done: a path under the client's page.
ACTIONS = {
    "contact": ("visit", "Record a contact"),
    "missed-appointment": ("visit", "Record a contact"),
    "hospital-followup": ("visit", "Record a contact"),
    "appointment": ("followup#h-appts", "See the appointment"),
    "appointment-outcome": ("followup#h-appts", "Record the appointment"),
    "rescreen": ("screen", "Screen again"),
    "plan-review": ("edit/plan.yaml", "Review the plan"),
    "referral": ("referrals", "Follow up the referral"),
    "consent": ("referrals", "Renew the consent"),
    "report": ("followup#h-reports", "Read the report"),
    "sent-back": ("", "Revise and resubmit"),
    "unreadable": ("", "Fix the document"),
}


def action_of(entry: DueEntry) -> tuple[str, str]:
    """The link (under the client's page) and the words of the action a due item asks for."""
    if entry.client.startswith("H-"):  # a household's item: its page holds the plan and the contacts
        return f"/households/{entry.client}", "Open the household"
    where, words = ACTIONS.get(entry.item.rule, ("", "Open the client"))
    base = f"/clients/{entry.client}"
    return (f"{base}/{where}" if where else base), words


def page_number(request: Request) -> int:
    """The ``page`` asked for (1 when none); a page that is not a number is refused."""
    text = request.query_params.get("page") or "1"
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"page '{text}' is not a page number")
    return int(text)


def whose(actor: Staff) -> str | None:
    """Whose clients a person sees by default: a case manager her own, everyone else all."""
    return actor.id if actor.role == "case_manager" else None


def due_in_order(state: WebState, repo: CaseRepo, worker: str | None) -> list[DueEntry]:
    """``worker``'s due list (everyone's for None) as the page shows it: most overdue first, then
    risk-flagged clients; kept while nothing it reads changes. (Also what the server computes
    while it starts, so that the first page is ready when it is asked for.)"""

    def ordered() -> list[DueEntry]:
        # Oldest due date first is most overdue first: ISO dates sort as text.
        return repo.due(worker=worker, order=lambda e: (e.item.due, not e.flagged, e.client))

    return state.memo(repo, ("due-ordered", worker, repo.today()), ordered)


async def today(request: Request) -> Response:
    with session(request, "today") as (repo, actor):
        worker = whose(actor)
        ordered = due_in_order(web_state(request), repo, worker)
        number = page_number(request)
        pages = max(1, -(-len(ordered) // PAGE_SIZE))
        rows = [
            {"entry": entry, "href": action_of(entry)[0], "action": action_of(entry)[1]}
            for entry in ordered[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
        ]
        today_text = repo.today().isoformat()
        return page(
            request,
            "today.html",
            rows=rows,
            total=len(ordered),
            number=number,
            pages=pages,
            worker=worker,
            today=today_text,
            overdue=bisect.bisect_left(ordered, today_text, key=lambda e: e.item.due),
        )


async def calendar(request: Request) -> Response:
    with session(request) as (repo, actor):
        body = repo.calendar(worker=whose(actor), within_days=60)
    return Response(
        body,
        media_type="text/calendar",
        headers={"content-disposition": 'attachment; filename="caseflow.ics"'},
    )


routes = [Route("/", today), Route("/calendar.ics", calendar)]
