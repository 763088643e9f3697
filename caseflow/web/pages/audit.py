"""*Audit*: the access record (who saw which client's record, when, why, under which consent) and
the checks ``caseflow audit --verify`` and ``caseflow verify`` run.

Anyone who may run ``caseflow audit`` may open it (the navigation links it for supervisors,
directors and admins, whose job it is). Entries name clients by id only, so the page discloses
nothing identifying; it reads the services the commands do (``repo.authority.access_entries``,
``verify_access``, ``verify``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from caseflow.core.ids import check_client_id
from caseflow.errors import UsageError
from caseflow.web.pages import session
from caseflow.web.render import page

#: Entries per page, newest first.
PAGE_SIZE = 100
CHECKS = ("access", "history")


async def audit(request: Request) -> Response:
    client_id = (request.query_params.get("client") or "").strip().upper() or None
    if client_id:
        check_client_id(client_id)
    check = request.query_params.get("check") or ""
    if check and check not in CHECKS:
        raise UsageError(f"check '{check}' is not one of: {', '.join(CHECKS)}")
    number = request.query_params.get("page") or "1"
    if not number.isdigit() or int(number) < 1:
        raise UsageError(f"page '{number}' is not a page number")
    with session(request, "audit") as (repo, _actor):
        if client_id:
            repo.client_dir(client_id)  # an unknown client: refused in one line
        entries = list(reversed(repo.authority.access_entries(client_id)))
        pages = max(1, -(-len(entries) // PAGE_SIZE))
        current = min(int(number), pages)
        shown = entries[(current - 1) * PAGE_SIZE : current * PAGE_SIZE]
        access_problems = repo.authority.verify_access() if check == "access" else None
        history = repo.authority.verify() if check == "history" else None
        return page(
            request,
            "audit.html",
            entries=shown,
            total=len(entries),
            page_number=current,
            pages=pages,
            client_id=client_id or "",
            check=check,
            access_problems=access_problems,
            history=history,
        )


routes = [Route("/audit", audit)]
