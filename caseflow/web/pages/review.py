"""*Review* (supervisors): the documents awaiting approval as ``caseflow review`` lists them, each
change as its semantic diff (field by field, before and after side by side), and the decision:
approve, or send back with a comment, as ``caseflow approve`` / ``caseflow reject`` make it (one
commit by the acting supervisor, bound to the version shown).

The queue's summaries and the diffs show what a plan says about a client: each view is recorded
in the access record before it is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from caseflow.core import access_record
from caseflow.core.case import blob_id
from caseflow.core.ids import check_client_id
from caseflow.core.textpolicy import read_document_bytes
from caseflow.errors import CaseflowError, NotAllowed, NotFound, UsageError
from caseflow.web.pages import see_other, session, tell, web_state
from caseflow.web.render import page

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.repo import CaseRepo

DECISIONS = ("approve", "reject")


async def queue(request: Request) -> Response:
    """Every document awaiting approval, oldest change first (``caseflow review [--worker]``)."""
    worker = str(request.query_params.get("worker") or "").strip()
    with session(request, "review") as (repo, actor):
        workers = [s.id for s in repo.config.staff if s.role == "case_manager"]
        error = None
        pending: list[Any] = []
        if worker and repo.config.staff_member(worker) is None:
            error = f"no staff member '{worker}'"
        else:
            pending = web_state(request).memo(
                repo, ("review", worker, repo.today()), lambda: repo.review.pending(worker or None)
            )
        if pending:
            access_record.record(
                repo.root,
                who=actor.id,
                action="web",
                what="review queue",
                clients=sorted({p.client for p in pending if not p.household}),
            )
        return page(
            request,
            "review.html",
            status_code=400 if error else 200,
            pending=pending,
            worker=worker,
            workers=workers,
            error=error,
            may_decide=actor.role in repo.config.approver_roles,
            approvers=", ".join(repo.config.approver_roles),
        )


def _target(request: Request) -> tuple[str, str]:
    client_id = str(request.path_params["client_id"])
    check_client_id(client_id)  # an opaque id, never a path
    return client_id, str(request.path_params["name"])


async def document(request: Request) -> Response:
    """One document's change since its last approval, and the decision forms."""
    client_id, name = _target(request)
    with session(request, "review") as (repo, actor):
        return _document_page(request, repo, actor, client_id, name)


async def decide(request: Request) -> Response:
    """Approve (a comment optional) or send back (a comment required) the version that was shown."""
    client_id, name = _target(request)
    form = await request.form()
    decision = str(form.get("decision") or "")
    comment = str(form.get("comment") or "").strip()
    shown = str(form.get("blob") or "")
    if decision not in DECISIONS:
        raise UsageError("say whether to approve or to send back")
    values = {"decision": decision, "comment": comment}
    with session(request, "review") as (repo, actor):
        path = repo.resolve_document(client_id, name)
        if shown and shown != _blob(repo, path):  # never decide on a version nobody read
            return _document_page(
                request,
                repo,
                actor,
                client_id,
                name,
                status_code=409,
                values=values,
                error=f"{name} changed since you opened it: read the change as it is now, then decide again.",
            )
        try:
            if decision == "approve":
                saved = repo.workflow.approve(actor, client_id, name, comment or None)
            else:
                saved = repo.workflow.reject(actor, client_id, name, comment)
        except CaseflowError as exc:
            status = 403 if isinstance(exc, NotAllowed) else 404 if isinstance(exc, NotFound) else 400
            return _document_page(
                request, repo, actor, client_id, name, status_code=status, values=values, error=exc.lines()
            )
    verb = "Approved" if decision == "approve" else "Sent back"
    tell(request, f"{verb} {name} of {client_id} (commit {(saved.commit or '')[:8]}).")
    return see_other("/review")


def _blob(repo: CaseRepo, path: str) -> str:
    return blob_id(read_document_bytes(repo.root, path))


def _document_page(
    request: Request,
    repo: CaseRepo,
    actor: Staff,
    client_id: str,
    name: str,
    *,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    error: str | list[str] | None = None,
) -> Response:
    path = repo.resolve_document(client_id, name)
    diffs = repo.review.diff(client_id, name, since_approval=True)
    pending = next((p for p in repo.review.pending() if p.client == client_id and p.path == diffs[0].path), None)
    access_record.record(repo.root, who=actor.id, action="web", what=f"review {name}", clients=[client_id])
    errors = [error] if isinstance(error, str) else list(error or [])
    return page(
        request,
        "review_document.html",
        status_code=status_code,
        client_id=client_id,
        name=name,
        diffs=[_columns(d) for d in diffs],
        pending=pending,
        blob=_blob(repo, path),
        values=values or {"decision": "", "comment": ""},
        errors=[line.strip().lstrip("- ") for line in errors],
        may_decide=actor.role in repo.config.approver_roles,
        approvers=", ".join(repo.config.approver_roles),
        actor=actor,
    )


def _columns(diff: Any) -> dict[str, Any]:
    """A document's diff as rows of before and after (a Markdown body's lines, each on its side)."""
    return {
        "path": diff.path,
        "since": diff.since,
        "lines": list(diff.lines),
        "changes": list(diff.changes),
        "body_before": [line[1:] for line in diff.body if line.startswith("-")],
        "body_after": [line[1:] for line in diff.body if line.startswith("+")],
    }


routes = [
    Route("/review", queue),
    Route("/review/{client_id}/{name:path}", document, methods=["GET"]),
    Route("/review/{client_id}/{name:path}", decide, methods=["POST"]),
]
