"""The pages of the web app, one module per page; each exposes ``routes`` (see ``caseflow.web.app``).

What they share: the repository for this request and who acts (:func:`session`), a message for
the next page (:func:`tell`), the redirect after a write (:func:`see_other`), the CSRF-checked
form (:func:`form_of`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse

from caseflow.web.security import SESSION_COOKIE

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.repo import CaseRepo
    from caseflow.web.state import WebState


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


@contextlib.contextmanager
def session(request: Request, nav: str = "") -> Iterator[tuple[CaseRepo, Staff]]:
    """The repository as it is now and the person acting, for one request."""
    state = web_state(request)
    if nav:
        request.scope["nav"] = nav
    with state.repo() as repo:
        actor = state.actor(repo)
        request.scope["may_import"] = repo.importing.may_import(actor)  # the navigation's Import link
        # the navigation's Staff link
        request.scope["may_staff"] = repo.agency.may_reassign(actor) or repo.agency.may_change_staff(actor)
        request.scope["may_audit"] = actor.role in ("supervisor", "director") or actor.admin  # the Audit link
        yield repo, actor


def tell(request: Request, message: str) -> None:
    """Show ``message`` on the next page (kept on the server: never in a URL)."""
    request.app.state.sessions.tell(request.cookies.get(SESSION_COOKIE), message)


def see_other(url: str) -> RedirectResponse:
    """After a write, the page to look at (303: a reload does not send the form again)."""
    return RedirectResponse(url, status_code=303)


async def form_of(request: Request) -> FormData:
    return await request.form()
