"""*Sync*: where this clone stands with its remote, syncing as ``caseflow sync`` does (the report
in words), and settling what a sync could not merge, field by field, as ``caseflow resolve`` does:
take mine, take theirs, or a new value.

A new value goes through the same ``repo.sharing.resolve`` as ``caseflow resolve ... --take VALUE``
(typed as both sides' values are, validated before it is written), so no other path writes a
conflicted file. Settling only writes and stages the file, as the CLI does; the next sync commits
the merge. A conflict shows both people's values of a client's document: each view is recorded in
the access record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from caseflow.core import access_record
from caseflow.core.casefiles import CLIENTS_DIR
from caseflow.errors import CaseflowError, NotAllowed, NotFound
from caseflow.web.pages import see_other, session, tell
from caseflow.web.render import page

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.repo import CaseRepo
    from caseflow.sharing.sync import SyncReport

REMOTE = "origin"
TAKES = ("mine", "theirs", "new")


async def status(request: Request) -> Response:
    with session(request, "sync") as (repo, actor):
        return _sync_page(request, repo, actor)


async def sync(request: Request) -> Response:
    """Fetch, merge field by field, validate, push: one sync, as ``caseflow sync`` makes it."""
    with session(request, "sync") as (repo, actor):
        try:
            report = repo.sharing.sync(actor, REMOTE)
        except CaseflowError as exc:
            return _sync_page(request, repo, actor, status_code=_status(exc), refused=exc.lines())
        words = report_words(report)
        if report.conflicts or report.problems or report.access_problems:
            return _sync_page(request, repo, actor, status_code=409 if report.conflicts else 400, report=words)
    for line in words["done"]:
        tell(request, line)
    return see_other("/sync")


async def resolve(request: Request) -> Response:
    """Settle one conflicting field with mine, theirs or a new value (``caseflow resolve``)."""
    form = await request.form()
    path = str(form.get("path") or "")
    field = str(form.get("field") or "")
    take = str(form.get("take") or "")
    value = str(form.get("value") or "")
    typed = {"path": path, "field": field, "take": take, "value": value}
    with session(request, "sync") as (repo, actor):
        conflict = _find(repo, path, field)  # 404 unless it is one of the conflicts left
        client_id, document = _client_document(path)
        error = None
        if take not in TAKES:
            error = "choose mine, theirs or a new value"
        elif take == "new" and not value.strip():
            error = "type the new value, or choose mine or theirs"
        elif take == "new" and value.strip().lower() in ("mine", "theirs"):
            error = f"'{value.strip()}' would be read as a side: choose “{value.strip().lower()}” above instead"
        elif take == "new" and not conflict["typable"]:
            error = "this field holds more than one value: choose mine or theirs, then edit the document"
        if error is None:
            try:
                left = repo.sharing.resolve(client_id, document, field or None, value if take == "new" else take)
            except CaseflowError as exc:
                error = " ".join(line.strip().lstrip("- ") for line in exc.lines())
        if error is not None:
            return _sync_page(request, repo, actor, status_code=400, typed=typed, error=error)
    how = "a new value" if take == "new" else "yours" if take == "mine" else "theirs"
    if left is None:
        tell(request, f"{document} of {client_id}: every conflict settled. Sync to commit the merge.")
    elif hasattr(left, "sibling"):  # a whole-document conflict: both documents kept
        tell(request, f"{document} of {client_id}: both documents kept ({how} under this name). Sync to go on.")
    else:
        tell(request, f"{document} of {client_id}: {field} settled with {how}; {len(left.conflicts)} left.")
    return see_other("/sync")


def report_words(report: SyncReport) -> dict[str, list[str]]:
    """What a sync did, in the words ``caseflow sync`` prints: what went well, what did not."""
    done: list[str] = []
    bad: list[str] = []
    if report.recovered:
        done.append(f"First put right: {report.recovered}")
    for who, changes in report.came_in.items():
        done.append(f"Came in for {who}: {', '.join(changes)}.")
    if report.went_out:
        plural = "s" if report.went_out != 1 else ""
        done.append(f"Sent {report.went_out} commit{plural} to {report.remote}/{report.branch}.")
    if not (report.came_in or report.went_out or report.conflicts or report.problems):
        done.append(f"Up to date with {report.remote}/{report.branch}.")
    for path in report.conflicts:
        bad.append(f"Conflict in {path}: settle it below, then sync again.")
    for problem in report.problems:
        bad.append(f"Does not validate: {problem}")
    if report.problems:
        bad.append("The merged result does not validate: nothing was sent. Fix it, then sync again.")
    for problem in report.access_problems:
        bad.append(f"The access record was not shared: {problem}")
    return {"done": done, "bad": bad}


def _status(exc: CaseflowError) -> int:
    return 403 if isinstance(exc, NotAllowed) else 404 if isinstance(exc, NotFound) else 400


def _client_document(path: str) -> tuple[str, str]:
    parts = path.split("/", 2)
    if len(parts) < 3 or parts[0] != CLIENTS_DIR:
        raise NotFound(f"{path} is not a client's document: settle it by hand, then `git add` it")
    return parts[1], parts[2]


def _unsettled(repo: CaseRepo) -> list[dict[str, Any]]:
    found = []
    for record in repo.sharing.unsettled():
        parts = record.path.split("/", 2)
        client = parts[1] if len(parts) == 3 and parts[0] == CLIENTS_DIR else None
        conflicts = [
            {
                "field": c["field"] if c["path"] else "",  # as `caseflow resolve CLIENT DOC FIELD` names it
                "name": c["field"],
                "label": c.get("label") or c["field"],
                "whole": not c["path"],
                "mine": c["mine"],
                "theirs": c["theirs"],
                "body": c["path"] == ["body"],
                "typable": bool(c["path"]) and not _many(c["mine"]) and not _many(c["theirs"]),
            }
            for c in record.as_json()["conflicts"]
        ]
        found.append(
            {
                "path": record.path,
                "client": client,
                "document": parts[2] if client else record.path,
                "mine_author": record.mine_author,
                "theirs_author": record.theirs_author,
                "note": record.note,
                "conflicts": conflicts,
            }
        )
    return found


def _many(value: Any) -> bool:
    """A value of several parts (a list, a mapping): not one a person types on one line."""
    return isinstance(value, (dict, list))


def _find(repo: CaseRepo, path: str, field: str) -> dict[str, Any]:
    for record in _unsettled(repo):
        if record["path"] == path:
            for conflict in record["conflicts"]:
                if conflict["field"] == field:
                    return conflict
    raise NotFound(f"{path or 'that document'} has no conflict left in {field or 'the whole document'}")


def _sync_page(
    request: Request,
    repo: CaseRepo,
    actor: Staff,
    *,
    status_code: int = 200,
    report: dict[str, list[str]] | None = None,
    refused: list[str] | None = None,
    typed: dict[str, str] | None = None,
    error: str | None = None,
) -> Response:
    unsettled = _unsettled(repo)
    clients = sorted({u["client"] for u in unsettled if u["client"]})
    if clients:
        access_record.record(repo.root, who=actor.id, action="web", what="sync conflicts", clients=clients)
    return page(
        request,
        "sync.html",
        status_code=status_code,
        state=repo.sharing.state(REMOTE),
        unsettled=unsettled,
        report=report,
        refused=[line.strip().lstrip("- ") for line in refused or []],
        typed=typed or {},
        error=error,
    )


routes = [
    Route("/sync", status, methods=["GET"]),
    Route("/sync", sync, methods=["POST"]),
    Route("/sync/resolve", resolve, methods=["POST"]),
]
