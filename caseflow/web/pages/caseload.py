"""*Caseload*: every client, filtered by stage, worker and risk, a page at a time; and finding a
client by name or birth date (sent in the body of a POST, so a name never lands in a URL or a log).

Names are shown only to those allowed to see them: a case manager her own clients', supervisors
and directors everyone's; each page that shows names is recorded in the access record.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from caseflow.core import access_record
from caseflow.errors import UsageError
from caseflow.web.pages import session, web_state
from caseflow.web.render import page

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.repo import CaseRepo

PAGE_SIZE = 100


def may_see_name(repo: CaseRepo, actor: Staff, worker: str | None) -> bool:
    """Supervisors and directors see every client's name; a case manager sees her own clients'."""
    return actor.role in repo.config.identified_report_roles or worker == actor.id


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


def _folded(text: str) -> str:
    """Letters without case or accents, so "jose" finds "José"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip()


async def find(request: Request) -> Response:
    """Find clients by (part of) a name and/or a birth date; only among clients whose names this
    person may see (anyone else's would confirm a name)."""
    from caseflow.index.caseload import client_records

    form = await request.form()
    name = str(form.get("name") or "").strip()
    dob = str(form.get("dob") or "").strip()
    with session(request, "caseload") as (repo, actor):
        if not name and not dob:
            raise UsageError("give a name, a birth date, or both")
        rows = [r for r in repo.clients() if may_see_name(repo, actor, r.get("assigned_worker"))]
        records = client_records(repo, repo.snapshot(), [r["id"] for r in rows])
        wanted = _folded(name)
        found = []
        for row in rows:
            parsed = records.get(row["id"])
            if not isinstance(parsed, tuple):
                continue
            record = parsed[0]
            if wanted and wanted not in _folded(str(record.get("name") or "")):
                continue
            if dob and str(record.get("dob") or "") != dob:
                continue
            found.append({**row, "name": str(record.get("name") or "")})
        if found:
            access_record.record(
                repo.root, who=actor.id, action="web", what="find a client", clients=[r["id"] for r in found]
            )
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
            found=found,
            find={"name": name, "dob": dob},
        )


routes = [Route("/caseload", caseload), Route("/caseload/find", find, methods=["POST"])]
