"""*Staff*: the staff list with each person's open clients, someone leaving or coming back
(deactivate, reactivate: admins), and moving clients from one worker to another (reassign:
supervisors, directors, admins), as ``caseflow staff deactivate|reactivate`` and ``caseflow
reassign`` do, through the same services: one commit each, by the person acting.

The page names staff and client ids, never a client's name or details: showing it is not a
disclosure for the access record (the writes are in git's history, by the person acting).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from caseflow.errors import CaseflowError, NotAllowed, UsageError
from caseflow.web.pages import see_other, session, tell
from caseflow.web.render import page, refusal_status

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.repo import CaseRepo


def _allowed(repo: CaseRepo, actor: Staff) -> None:
    if not (repo.agency.may_reassign(actor) or repo.agency.may_change_staff(actor)):
        raise NotAllowed(f"{actor.id} is a {actor.role}; the staff page is for supervisors, directors and admins")


def _show(
    request: Request, repo: CaseRepo, actor: Staff, source: str, *, error: str = "", status_code: int = 200
) -> Response:
    members = repo.config.staff
    people = [
        {
            "id": m.id,
            "name": m.name,
            "role": m.role,
            "active": m.active,
            "admin": repo.config.is_admin(m),
            "open_clients": len(repo.agency.open_clients(m.id)),
        }
        for m in members
    ]
    known = {m.id for m in members}
    return page(
        request,
        "staff.html",
        status_code=status_code,
        people=people,
        error=error,
        may_change=repo.agency.may_change_staff(actor),
        may_reassign=repo.agency.may_reassign(actor),
        source=source if source in known else "",
        source_clients=repo.agency.open_clients(source) if source in known else [],
        targets=[m.id for m in members if m.active and m.id != source],
        actor=actor.id,
    )


async def staff(request: Request) -> Response:
    """The list; ``?from=STAFF`` also lists STAFF's open clients for the reassign form."""
    source = str(request.query_params.get("from") or "").strip()
    with session(request, "staff") as (repo, actor):
        _allowed(repo, actor)
        return _show(request, repo, actor, source)


async def _write(request: Request, act: Any) -> Response:
    """Run ``act(repo, actor, form)``: its message on the list, or the list again with the refusal."""
    form = await request.form()
    with session(request, "staff") as (repo, actor):
        _allowed(repo, actor)
        try:
            message = act(repo, actor, form)
        except CaseflowError as exc:
            source = str(form.get("from") or "").strip()
            return _show(request, repo, actor, source, error=exc.lines()[0], status_code=refusal_status(exc))
    tell(request, message)
    return see_other("/staff")


def _field(form: Any, name: str, what: str) -> str:
    value = str(form.get(name) or "").strip()
    if not value:
        raise UsageError(f"choose {what}")
    return value


def _deactivate(repo: CaseRepo, actor: Staff, form: Any) -> str:
    staff_id = _field(form, "staff", "who left")
    repo.agency.deactivate(actor, staff_id, str(form.get("reason") or "").strip() or None)
    remaining = len(repo.agency.open_clients(staff_id))
    still = f" They still have {remaining} open client(s): reassign them below." if remaining else ""
    return f"{staff_id} is inactive: no new clients are assigned to them.{still}"


def _reactivate(repo: CaseRepo, actor: Staff, form: Any) -> str:
    staff_id = _field(form, "staff", "who is back")
    repo.agency.reactivate(actor, staff_id)
    return f"{staff_id} is active again."


def _reassign(repo: CaseRepo, actor: Staff, form: Any) -> str:
    source = _field(form, "from", "whose clients move")
    target = _field(form, "to", "who takes them")
    clients = [str(c) for c in form.getlist("clients") if str(c).strip()]
    moved = repo.agency.reassign(actor, source, target, clients)
    households = f" and {len(moved.households)} household(s)" if moved.households else ""
    return f"{len(moved.clients)} client(s){households} moved from {source} to {target}: {', '.join(moved.clients)}."


async def deactivate(request: Request) -> Response:
    return await _write(request, _deactivate)


async def reactivate(request: Request) -> Response:
    return await _write(request, _reactivate)


async def reassign(request: Request) -> Response:
    return await _write(request, _reassign)


routes = [
    Route("/staff", staff),
    Route("/staff/deactivate", deactivate, methods=["POST"]),
    Route("/staff/reactivate", reactivate, methods=["POST"]),
    Route("/staff/reassign", reassign, methods=["POST"]),
]
