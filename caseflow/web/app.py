"""The web application: routes of every page, the security layers around them, error pages.

Each page module under ``caseflow.web.pages`` exposes ``routes``; this module puts them together
behind the gate (secret and session), CSRF protection (asgi-csrf: a signed token in a cookie and
in every form or htmx request) and the security headers.
"""

from __future__ import annotations

import importlib
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from caseflow.errors import CaseflowError
from caseflow.web.render import STATIC, error_page, page
from caseflow.web.security import Gate, SecurityHeaders, Sessions
from caseflow.web.state import WebState

#: The page modules, in the order of the navigation.
PAGES = (
    "caseflow.web.pages.today",
    "caseflow.web.pages.caseload",
    "caseflow.web.pages.client",
    "caseflow.web.pages.households",
    "caseflow.web.pages.forms",
    "caseflow.web.pages.form_list",
    "caseflow.web.pages.followup",
    "caseflow.web.pages.screening",
    "caseflow.web.pages.referrals",
    "caseflow.web.pages.review",
    "caseflow.web.pages.reports",
    "caseflow.web.pages.sync",
    "caseflow.web.pages.importing",
    "caseflow.web.pages.staff",
    "caseflow.web.pages.audit",
)

#: The largest request body taken (a form, an upload): more is refused with 413 before it is read.
MAX_BODY = 2 * 1024 * 1024


def create_app(state: WebState, sessions: Sessions, *, agency: str = "", acting_label: str = "") -> Starlette:
    """The web app over ``state`` (the repository and its plugins, kept between requests): every page,
    behind the launch secret of ``sessions`` and a CSRF token on every form (``caseflow serve``)."""
    from asgi_csrf import asgi_csrf_decorator

    routes: list[BaseRoute] = []
    for name in PAGES:
        routes.extend(importlib.import_module(name).routes)
    routes.append(Mount("/static", app=StaticFiles(directory=STATIC), name="static"))

    def csrf(app: Any) -> Any:
        return asgi_csrf_decorator(
            signing_secret=sessions.secret,
            cookie_name="caseflow_csrf",
            cookie_samesite="Strict",
            send_csrf_failed=_csrf_failed,
            skip_if_scope=_checked_by_the_page,
        )(app)

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(BodyLimit, limit=MAX_BODY),
            Middleware(Gate, sessions=sessions),
            Middleware(AfterWrites, state=state),
            Middleware(_Wrapped, wrap=csrf),
        ],
        exception_handlers={CaseflowError: _refused, 404: _not_found, 405: _not_allowed, Exception: _failed},
    )
    app.state.web = state
    app.state.sessions = sessions
    app.state.agency = agency
    app.state.acting_label = acting_label
    return app


#: Pages taking file uploads (multipart/form-data). asgi-csrf's own reading of a multipart body
#: fails with the python-multipart this project uses (its ``FileClass`` argument is gone), so these
#: pages check the same token themselves (:func:`caseflow.web.security.check_upload_token`).
UPLOAD_PATHS = frozenset({"/import/check"})


def _checked_by_the_page(scope: Any) -> bool:
    headers = dict(scope.get("headers") or [])
    multipart = headers.get(b"content-type", b"").split(b";", 1)[0].strip() == b"multipart/form-data"
    return bool(multipart and scope.get("path") in UPLOAD_PATHS)


class _Wrapped:
    """A plain ASGI decorator (asgi-csrf's) as a Starlette middleware entry."""

    def __init__(self, app: Any, wrap: Any) -> None:
        self.app = wrap(app)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


class AfterWrites:
    """After every request that may write (not GET or HEAD), tell the state what it may have changed."""

    def __init__(self, app: Any, state: WebState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD"):
                self.state.wrote(scope["path"])


class BodyLimit:
    """Refuse a request whose body is larger than ``limit`` (413), by its length or as it arrives."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await _too_large(send)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(send)


class _TooLarge(Exception):
    pass


async def _too_large(send: Any) -> None:
    body = b"Too large: caseflow takes requests of up to 2 MB."
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _csrf_failed(scope: Any, send: Any, message_id: Any = None) -> None:
    body = (
        b"This form is out of date or did not come from caseflow (no valid CSRF token): "
        b"go back, reload the page and send it again. Nothing was changed."
    )
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CaseflowError)
    return error_page(request, exc)


async def _failed(request: Request, exc: Exception) -> Response:
    """A fault of caseflow's own: a plain page, and in the log the kind of fault and where it was
    raised, never its message or values (they may hold a client's details)."""
    import logging
    import traceback

    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    logging.getLogger("caseflow.web").error(
        "fault %s at %s:%s (%s %s)",
        type(exc).__name__,
        where.filename if where else "?",
        where.lineno if where else "?",
        request.method,
        request.url.path,
    )
    return page(
        request,
        "error.html",
        status_code=500,
        message="caseflow failed to do this (a fault of caseflow's, logged without client details). "
        "Nothing half-done was kept; run `caseflow doctor` if in doubt.",
    )


async def _not_found(request: Request, exc: Exception) -> Response:
    return page(request, "error.html", status_code=404, message="There is no such page.")


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return page(request, "error.html", status_code=405, message="That page cannot be used this way.")
