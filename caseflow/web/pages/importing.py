"""*Import*: a director or an admin uploads a CSV export and a mapping file, sees the dry run (per
record: the new client, its documents and where each came from, what does not fit), then imports,
as ``caseflow import PATH --mapping MAP.yaml [--dry-run]`` does: one commit per client, or nothing.

The two uploaded files are kept in this server's memory between the dry run and the import (never
on disk, never in a URL), under a random key that only the session that uploaded them may use; the
import plans again from them, so what is committed is checked against the repository as it is then.
The report names rows, columns, fields and new client ids, never a person's name or details, so
showing it is not a disclosure for the access record; the clients it makes are in git's history,
by the person importing.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from caseflow.errors import CaseflowError, DocumentError, NotAllowed
from caseflow.web.pages import see_other, session, tell
from caseflow.web.render import page
from caseflow.web.security import CSRF_COOKIE, SESSION_COOKIE, check_upload_token

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.importing.plan import Plan
    from caseflow.repo import CaseRepo

CSRF_FAILED = (
    "This form is out of date or did not come from caseflow (no valid CSRF token): "
    "go back, reload the page and send it again. Nothing was changed."
)

#: Uploads waiting for their import, at most this many per server (the oldest go first).
KEPT_UPLOADS = 8


@dataclass(frozen=True)
class _Upload:
    session: str
    csv_name: str
    csv: bytes
    mapping_name: str
    mapping: bytes


class _Uploads:
    """Uploaded files between the dry run and the import, in memory only."""

    def __init__(self) -> None:
        self._kept: dict[str, _Upload] = {}
        self._lock = threading.Lock()

    def keep(self, upload: _Upload) -> str:
        key = secrets.token_urlsafe(18)
        with self._lock:
            self._kept[key] = upload
            while len(self._kept) > KEPT_UPLOADS:
                del self._kept[next(iter(self._kept))]
        return key

    def take(self, key: str, session_id: str) -> _Upload | None:
        with self._lock:
            upload = self._kept.get(key)
            if upload is None or not secrets.compare_digest(upload.session.encode(), session_id.encode()):
                return None
            return self._kept.pop(key)

    def put_back(self, key: str, upload: _Upload) -> None:
        with self._lock:
            self._kept[key] = upload


def _uploads(request: Request) -> _Uploads:
    state = request.app.state
    kept = getattr(state, "import_uploads", None)
    if kept is None:
        kept = state.import_uploads = _Uploads()
    assert isinstance(kept, _Uploads)
    return kept


def _allowed(repo: CaseRepo, actor: Staff) -> None:
    if not repo.importing.may_import(actor):
        raise NotAllowed("only a director or an admin imports records")


async def start(request: Request) -> Response:
    """The form: a CSV file and a mapping file."""
    with session(request, "import") as (repo, actor):
        _allowed(repo, actor)
        return page(request, "import.html", report=None, errors=[], key="")


async def check(request: Request) -> Response:
    """The dry run of the uploaded files: what would be created, what does not fit. Writes nothing."""
    async with request.form() as form:
        sessions = request.app.state.sessions
        if not check_upload_token(sessions.secret, request.cookies.get(CSRF_COOKIE), form.get("csrftoken")):
            return PlainTextResponse(CSRF_FAILED, status_code=403)
        files = {name: form.get(name) for name in ("csv", "mapping")}
        missing = [name for name, value in files.items() if not isinstance(value, UploadFile) or not value.filename]
        read = {
            name: (_base_name(value.filename or name), await value.read())
            for name, value in files.items()
            if isinstance(value, UploadFile) and name not in missing
        }
    with session(request, "import") as (repo, actor):
        _allowed(repo, actor)
        if missing:
            words = " and ".join("the CSV file" if m == "csv" else "the mapping file" for m in missing)
            return page(request, "import.html", status_code=400, report=None, errors=[f"choose {words}"], key="")
        upload = _Upload(request.cookies.get(SESSION_COOKIE) or "", *read["csv"], *read["mapping"])
        plan, errors = _plan(repo, actor, upload)
        key = _uploads(request).keep(upload) if plan is not None and not plan.all_problems else ""
        status = 200 if key else 400
        return page(request, "import.html", status_code=status, report=_words(plan), errors=errors, key=key)


async def run(request: Request) -> Response:
    """Import the files the dry run checked: planned again now, then one commit per client."""
    form = await request.form()
    key = str(form.get("upload") or "")
    with session(request, "import") as (repo, actor):
        _allowed(repo, actor)
        upload = _uploads(request).take(key, request.cookies.get(SESSION_COOKIE) or "")
        if upload is None:
            message = "these files are no longer here (the server restarted, or they were imported): upload them again"
            return page(request, "import.html", status_code=400, report=None, errors=[message], key="")
        plan, errors = _plan(repo, actor, upload)
        if plan is None or plan.all_problems:
            return page(request, "import.html", status_code=400, report=_words(plan), errors=errors, key="")
        try:
            made = repo.importing.commit(actor, plan)
        except CaseflowError as exc:
            _uploads(request).put_back(key, upload)
            return page(request, "import.html", status_code=400, report=_words(plan), errors=exc.lines(), key=key)
    count = f"{len(made)} client{'' if len(made) == 1 else 's'}"
    tell(request, f"Imported {count}, one commit each: {', '.join(made)}")
    return see_other("/caseload")


def _plan(repo: CaseRepo, actor: Staff, upload: _Upload) -> tuple[Plan | None, list[str]]:
    try:
        mapping = repo.importing.read_mapping(upload.mapping_name, upload.mapping)
        plan = repo.importing.plan_csv(actor, upload.csv_name, upload.csv, mapping)
    except DocumentError as exc:
        return None, [str(p) for p in exc.problems]
    except CaseflowError as exc:
        return None, exc.lines()
    return plan, [str(p) for p in plan.problems]


def _base_name(name: str) -> str:
    """The file's own name (a browser may send a path), as the report names it."""
    return name.replace("\\", "/").rsplit("/", 1)[-1] or "upload"


def _words(plan: Plan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {
        "source": plan.source,
        "ok": not plan.all_problems,
        "count": len(plan.clients),
        "clients": [
            {
                "id": c.client_id,
                "origin": c.origin,
                "documents": [{"path": d.path, "form": d.form.id, "origin": d.origin} for d in c.documents],
                "extra": c.extra,
                "dropped": c.dropped,
                "problems": [str(p) for p in c.problems],
            }
            for c in plan.clients
        ],
    }


routes = [
    Route("/import", start),
    Route("/import/check", check, methods=["POST"]),
    Route("/import/run", run, methods=["POST"]),
]
