"""*Client*: one client's page (stage and exactly what is still needed, flags, documents, scores
with a trend chart, referrals, consents, appointments, medications; the git timeline loads after
the page), advancing the stage, reading one document, and taking a new client in (intake).

Every view of this page names the client: it is recorded in the access record before it is sent.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from caseflow.core import access_record
from caseflow.core.ids import check_client_id
from caseflow.errors import CaseflowError, UsageError
from caseflow.records.actions import MANAGED_FORMS
from caseflow.web.charts import trend_chart
from caseflow.web.pages import see_other, session, tell
from caseflow.web.render import page


def _client_id(request: Request) -> str:
    client_id = request.path_params["client_id"]
    check_client_id(client_id)  # an opaque id, never a path: C-7K2M9Q
    return str(client_id)


async def client(request: Request) -> Response:
    client_id = _client_id(request)
    with session(request, "caseload") as (repo, actor):
        record = repo.client_record(client_id)
        ways = _ways_on(repo, client_id, record.get("stage"))
        summary = repo.followup.summary(client_id)
        scores = repo.evaluation.scores(client_id)
        charts = [
            {"instrument": name, "svg": trend_chart(name, [s for s in scores if s.instrument == name])}
            for name in sorted({s.instrument for s in scores})
        ]
        access_record.record(repo.root, who=actor.id, action="web", what="client page", clients=[client_id])
        return page(
            request,
            "client.html",
            client_id=client_id,
            record=record,
            ways=ways,
            summary=summary,
            sent_back=repo.workflow.sent_back(client_id),
            documents=repo.records.documents(client_id),
            scores=scores,
            charts=charts,
            consents=_consents(repo, client_id),
            appointments=repo.followup.appointments(client_id),
            medications=repo.followup.medications(client_id),
            forms=_new_document_forms(repo),
            instruments=sorted(repo.host.instruments()),
            households=repo.households.of_client(client_id),
            may_merge=repo.records.may_merge(actor),
        )


def _ways_on(repo: Any, client_id: str, stage: Any) -> list[dict[str, Any]]:
    """Each stage the client can move to from here, with what it still needs (none: a final stage).
    A move that needs a reason is ready once all else is: the reason is typed with the button."""
    targets = [t.target for t in repo.workflow_spec.transitions if t.source == stage]
    ways = []
    for target in targets:
        try:
            evaluation = repo.workflow.evaluate(client_id, to=target)
        except CaseflowError as exc:
            ways.append({"ready": False, "target": target, "missing": exc.lines(), "met": [], "needs_reason": False})
            continue
        ways.append(
            {
                "ready": all(r.met for r in evaluation.requirements) and not evaluation.vetoes,
                "target": target,
                "missing": [line for r in evaluation.requirements for line in r.missing]
                + [f"refused by a plugin: {veto}" for veto in evaluation.vetoes],
                "met": [r.description for r in evaluation.requirements if r.met],
                "needs_reason": evaluation.reason_missing,
            }
        )
    return ways


def _consents(repo: Any, client_id: str) -> list[dict[str, Any]]:
    """Each consent and whether it is valid today, by the rule every disclosure uses."""
    return list(repo.referrals.consent_statuses(client_id))


def _new_document_forms(repo: Any) -> list[dict[str, str]]:
    """Forms a person can start from the client page (the managed ones have their own pages)."""
    return [
        {"id": form.id, "title": form.title}
        for form in sorted(repo.forms.values(), key=lambda f: f.title)
        if form.id not in MANAGED_FORMS and form.id != "core.client"
    ]


async def timeline(request: Request) -> Response:
    """The client's git history: loaded after the page (one ``git log``)."""
    client_id = _client_id(request)
    with session(request) as (repo, _actor):
        repo.client_dir(client_id)
        entries = repo.workflow.timeline(client_id)
    return page(request, "client_timeline.html", entries=entries)


async def advance(request: Request) -> Response:
    client_id = _client_id(request)
    form = await request.form()
    reason = str(form.get("reason") or "").strip() or None
    target = str(form.get("to") or "").strip() or None
    with session(request) as (repo, actor):
        _, change = repo.workflow.advance(actor, client_id, to=target, reason=reason)
    tell(request, f"{client_id} moved from {change.source} to {change.target}.")
    return see_other(f"/clients/{client_id}")


async def document(request: Request) -> Response:
    """One document as it is now: its fields, or its Markdown text rendered."""
    client_id = _client_id(request)
    name = request.path_params["name"]
    with session(request, "caseload") as (repo, actor):
        path = repo.resolve_document(client_id, name)
        loaded = repo.read_document(path)
        access_record.record(repo.root, who=actor.id, action="web", what=f"document {name}", clients=[client_id])
        return page(
            request,
            "document.html",
            client_id=client_id,
            name=name,
            data=loaded.data,
            body=getattr(loaded, "body", "") or "",
            text=(repo.root / path).read_text(encoding="utf-8", errors="replace"),
        )


async def intake(request: Request) -> Response:
    """A new client: name and birth date (and phone), assigned to the acting case manager or the
    case manager chosen. The client gets an opaque id; the name goes in ``client.yaml`` only."""
    with session(request, "intake") as (repo, actor):
        workers = [s.id for s in repo.config.staff if s.role == "case_manager" and s.active]
        values = {"name": "", "dob": "", "phone": "", "worker": actor.id if actor.id in workers else ""}
        error = None
        duplicates: list[Any] = []
        new_person = False
        if request.method == "POST":
            form = await request.form()
            values = {key: str(form.get(key) or "").strip() for key in values}
            new_person = form.get("new_person") == "yes"
            try:
                if not values["name"] or not values["dob"]:
                    raise UsageError("give the client's name and birth date")
                if not new_person:  # someone already here? (the same check `caseflow intake` makes)
                    duplicates = repo.records.likely_duplicates(
                        actor, name=values["name"], dob=values["dob"], phone=values["phone"] or None
                    )
                if not duplicates:
                    client_id = repo.records.intake(
                        actor,
                        name=values["name"],
                        dob=values["dob"],
                        worker=values["worker"] or None,
                        phone=values["phone"] or None,
                        new_person=True,  # checked just above, or the person said so
                    )
            except CaseflowError as exc:
                error = str(exc)  # the page again, with everything typed kept
            else:
                if not duplicates:
                    tell(request, f"New client {client_id} is in intake.")
                    return see_other(f"/clients/{client_id}")
        return page(
            request,
            "intake.html",
            status_code=400 if error else 409 if duplicates else 200,
            values=values,
            workers=workers,
            error=error,
            duplicates=duplicates,
            new_person=new_person,
        )


async def merge(request: Request) -> Response:
    """Join another record of the same person into this one (supervisors, directors, admins)."""
    keep = _client_id(request)
    form = await request.form()
    other = str(form.get("other") or "").strip()
    reason = str(form.get("reason") or "").strip() or None
    with session(request) as (repo, actor):
        if form.get("confirm") != "yes":
            raise UsageError("tick the box to confirm that both records are this one person")
        if not other:
            raise UsageError("give the id of the other record (like C-7K2M9Q)")
        repo.records.merge_clients(actor, keep, other, reason=reason)
    tell(request, f"{other} was merged into {keep}.")
    return see_other(f"/clients/{keep}")


routes = [
    Route("/intake", intake, methods=["GET", "POST"]),
    Route("/clients/{client_id}", client),
    Route("/clients/{client_id}/timeline", timeline),
    Route("/clients/{client_id}/advance", advance, methods=["POST"]),
    Route("/clients/{client_id}/merge", merge, methods=["POST"]),
    Route("/clients/{client_id}/documents/{name:path}", document),
]
