"""Pages: the jinja2 environment of the web templates, Markdown made safe, answers and errors.

Templates live in ``caseflow/web/templates`` and share the reports' look (one stylesheet,
``static/caseflow.css``). Autoescaping is on; Markdown a person typed is rendered without raw HTML
and then sanitized (nh3) before it reaches a page.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from caseflow.errors import CaseflowError, NotAllowed, NotFound

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name fails a test, not a page
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["markdown"] = markdown
    env.filters["humanize"] = humanize
    return env


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A whole page (or, for an htmx request of a fragment template, the fragment)."""
    html = environment().get_template(template).render(**common(request), **context)
    return HTMLResponse(html, status_code=status_code)


def common(request: Request) -> dict[str, Any]:
    """What every template may use: the CSRF token, who acts, the agency, flash messages."""
    app_state = request.app.state
    token = request.scope.get("csrftoken")
    return {
        "request": request,
        "csrftoken": token() if callable(token) else "",
        "agency": getattr(app_state, "agency", ""),
        "acting": getattr(app_state, "acting_label", ""),
        "messages": app_state.sessions.take_messages(request.cookies.get("caseflow_session")),
        "nav": request.scope.get("nav", ""),
        "may_import": bool(request.scope.get("may_import")),
        "may_staff": bool(request.scope.get("may_staff")),
        "may_audit": bool(request.scope.get("may_audit")),
    }


def error_page(request: Request, exc: CaseflowError) -> HTMLResponse:
    """A refusal as a page: the one-line reason, the status a browser and a test can tell apart."""
    lines = exc.lines()
    return page(request, "error.html", status_code=refusal_status(exc), message=lines[0], details=lines[1:])


def refusal_status(exc: CaseflowError) -> int:
    """The HTTP status of a refusal: 404 not found (a name not here too, though it is also a usage
    error on the command line), 403 not allowed, else 400."""
    return 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, NotAllowed) else 400


def markdown(text: str) -> Markup:
    """Markdown typed by a person, as safe HTML (no raw HTML, then sanitized)."""
    import markdown_it
    import nh3

    html = markdown_it.MarkdownIt("commonmark", {"html": False}).enable("table").render(text or "")
    return Markup(nh3.clean(html))


def humanize(value: Any) -> str:
    """A field name or code as a person reads it: ``target_date`` → ``Target date``."""
    text = str(value).replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]


def flat(values: Mapping[str, Any]) -> dict[str, str]:
    """A form's posted values, one string each (the last of repeated keys)."""
    return {key: str(value) for key, value in values.items()}
