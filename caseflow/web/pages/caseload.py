"""*Caseload*: every client, filtered by stage, worker and risk, a page at a time; and finding a
client by name, birth date or phone (sent in the body of a POST, so a name never lands in a URL or a log).

Names are shown only to those allowed to see them: a case manager her own clients', supervisors
and directors everyone's; each page that shows names is recorded in the access record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from caseflow.core import access_record
from caseflow.errors import UsageError
from caseflow.records.finding import may_see_name
from caseflow.web.pages import session, web_state
from caseflow.web.render import page

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.repo import CaseRepo

PAGE_SIZE = 100


def names_of(repo: CaseRepo, actor: Staff, rows: list[dict[str, Any]]) -> dict[str, str]:
    """The names this person may see, of these clients (recorded as an identified read)."""
    from caseflow.index.caseload import client_records

    shown = [r["id"] for r in rows if may_see_name(repo, actor, r.get("assigned_worker"))]
    if not shown:
        return {}
    records = client_records(repo, repo.snapshot(), shown)
    names = {c: str(found[0].get("name") or "") for c, found in records.items() if isinstance(found, tuple)}
    if names:
        access_record.record(repo.root, who=actor.id, action="web", what="caseload names", clients=sorted(names))
    return names


def _risk(row: dict[str, Any]) -> str:
    return "flagged" if row.get("risk_flags") else "none"


async def caseload(request: Request) -> Response:
    query = request.query_params
    stage = query.get("stage") or None
    worker = query.get("worker") or None
    risk = query.get("risk") or None
    try:
        number = max(1, int(query.get("page") or 1))
    except ValueError:
        raise UsageError(f"page '{query.get('page')}' is not a number") from None
    with session(request, "caseload") as (repo, actor):
        stages = [s.id for s in repo.workflow_spec.stages]
        workers = [s.id for s in repo.config.staff if s.role == "case_manager"]
        if stage is not None and stage not in stages:
            raise UsageError(f"no stage '{stage}': the stages are {', '.join(stages)}")
        if worker is not None and repo.config.staff_member(worker) is None:
            raise UsageError(f"no staff member '{worker}'")
        if risk not in (None, "flagged", "none"):
            raise UsageError(f"risk '{risk}': choose flagged or none")
        everyone = web_state(request).memo(repo, ("clients",), repo.clients)
        rows = [
            r
            for r in everyone
            if (stage is None or r["stage"] == stage)
            and (worker is None or r["assigned_worker"] == worker)
            and (risk is None or _risk(r) == risk)
        ]
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        shown = rows[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
        return page(
            request,
            "caseload.html",
            rows=shown,
            total=len(rows),
            number=number,
            pages=pages,
            names=names_of(repo, actor, shown),
            stages=stages,
            workers=workers,
            chosen={"stage": stage or "", "worker": worker or "", "risk": risk or ""},
            found=None,
            find={"name": "", "dob": ""},
        )


async def find(request: Request) -> Response:
    """Find clients by name (accents, case, word order and typos forgiven), birth date or phone,
    through the same service as ``caseflow find``: every match by id, stage and worker, names only
    where this person may see them, recorded in the access record."""
    form = await request.form()
    name = str(form.get("name") or "").strip()
    dob = str(form.get("dob") or "").strip()
    with session(request, "caseload") as (repo, actor):
        if not name and not dob:
            raise UsageError("give a name, a birth date, or both")
        found = repo.records.find(actor, name, dob=dob or None, action="web")
        stages = [s.id for s in repo.workflow_spec.stages]
        return page(
            request,
            "caseload.html",
            rows=[],
            total=0,
            number=1,
            pages=1,
            names={},
            stages=stages,
            workers=[s.id for s in repo.config.staff if s.role == "case_manager"],
            chosen={"stage": "", "worker": "", "risk": ""},
            found=found.matches,
            found_total=found.total,
            find={"name": name, "dob": dob},
        )


routes = [Route("/caseload", caseload), Route("/caseload/find", find, methods=["POST"])]
