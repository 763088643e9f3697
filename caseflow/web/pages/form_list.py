"""*Forms* (the list): every form documents can use, caseflow's, the plugins' and the agency's own
files in ``forms/``, as ``caseflow forms`` lists them; and, for an admin or a director, what a
changed form file would make invalid before it is committed, as ``caseflow forms check`` says.

Checking reads the documents of a form and only reports ``path:line:col: message``; it writes
nothing, so it is a GET (``/forms?check=FORM_ID``; without ``check``, the form files that differ
from the last commit are checked, as the command does). The messages quote what is in a document,
so only those who may change the agency's forms see them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from caseflow.errors import UsageError
from caseflow.web.pages import session
from caseflow.web.render import page

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.repo import CaseRepo


def may_check(repo: CaseRepo, actor: Staff) -> bool:
    """Who changes the agency's forms sees what a change would break: its admins and directors."""
    config = repo.config
    return actor.role == "director" or config.is_admin(actor) or not config.admins


def _check(repo: CaseRepo, asked: str | None) -> dict[str, Any]:
    changed = repo.changed_form_files()
    chosen = [asked] if asked else changed
    if asked and asked not in repo.forms and asked not in changed:
        raise UsageError(f"unknown form '{asked}' (this page lists the forms)")
    report = repo.check_forms(chosen)
    return {
        "asked": asked,
        "forms": chosen,
        "changed": changed,
        "ok": report.ok,
        "documents": report.documents,
        "problems": [str(problem) for problem in report.problems],
    }


async def forms(request: Request) -> Response:
    with session(request, "forms") as (repo, actor):
        rows = [
            {"id": f.id, "title": f.title, "kind": f.kind, "path": f.path, "owner": repo.form_owner(f.id)}
            for f in sorted(repo.forms.values(), key=lambda f: f.id)
        ]
        broken = [str(problem) for problem in repo.form_files().problems]
        checking = may_check(repo, actor)
        check = _check(repo, request.query_params.get("check") or None) if checking else None
        return page(request, "forms.html", forms=rows, broken=broken, may_check=checking, check=check)


routes = [Route("/forms", forms)]
