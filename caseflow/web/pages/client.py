"""*Client*: one client's page (stage and exactly what is still needed, flags, documents, scores
with a trend chart, referrals, consents, appointments, medications; the git timeline loads after
the page), advancing the stage, closing the case (a discharge by reason, from any stage), raising
and clearing risk flags, reading one document, and taking a new client in (intake). Every write
calls the service the command line calls (``caseflow advance``, ``discharge``, ``flag``).

Every view of this page names the client: it is recorded in the access record before it is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from caseflow.core import access_record
from caseflow.core.ids import check_client_id
from caseflow.errors import CaseflowError, UsageError
from caseflow.records.actions import MANAGED_FORMS
from caseflow.web.charts import trend_chart
from caseflow.web.closing import GOAL_LABELS, Refusal, in_words, plan_goals, reason_needs
from caseflow.web.pages import see_other, session, tell
from caseflow.web.render import page
from caseflow.workflow.discharge import DISCHARGED, Closing
from caseflow.workflow.engine import RequirementsNotMet


def _client_id(request: Request) -> str:
    client_id = request.path_params["client_id"]
    check_client_id(client_id)  # an opaque id, never a path: C-7K2M9Q
    return str(client_id)


async def client(request: Request) -> Response:
    return _show(request, _client_id(request))


def _show(
    request: Request,
    client_id: str,
    *,
    closing: dict[str, Any] | None = None,
    refusal: list[Refusal] | None = None,
    status_code: int = 200,
) -> Response:
    """The client page; after a refused closing, with what was typed (``closing``) and why (``refusal``)."""
    with session(request, "caseload") as (repo, actor):
        record = repo.client_record(client_id)
        stage = record.get("stage")
        ways = _ways_on(repo, client_id, stage)
        summary = repo.followup.summary(client_id)
        scores = repo.evaluation.scores(client_id)
        charts = [
            {"instrument": name, "svg": trend_chart(name, [s for s in scores if s.instrument == name])}
            for name in sorted({s.instrument for s in scores})
        ]
        reasons = reason_needs(repo, str(stage))
        today = repo.today().isoformat()
        access_record.record(repo.root, who=actor.id, action="web", what="client page", clients=[client_id])
        return page(
            request,
            "client.html",
            status_code=status_code,
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
            flags=_flags(record),
            today=today,
            reasons=reasons,
            goals=plan_goals(repo, client_id) if reasons else [],
            goal_labels=GOAL_LABELS,
            closing=closing or {"reason": "", "date": today, "note": "", "transferred_to": "", "goals": {}},
            refusal=refusal,
        )


def _flags(record: Any) -> dict[str, list[Any]]:
    """The risk flags in force, and those cleared (kept as history)."""
    entries = [f for f in record.get("risk_flags") or [] if isinstance(f, Mapping)]
    return {
        "in_force": [f for f in entries if not f.get("cleared_on")],
        "cleared": [f for f in entries if f.get("cleared_on")],
    }


def _ways_on(repo: Any, client_id: str, stage: Any) -> list[dict[str, Any]]:
    """Each stage the client can move to from here, with what it still needs (none: a final stage).
    A move that needs a reason is ready once all else is: the reason is typed with the button."""
    # Closing the case has its own form (with a reason): it is not one of the ways on.
    targets = [t.target for t in repo.workflow_spec.transitions if t.source == stage and t.target != DISCHARGED]
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


async def discharge(request: Request) -> Response:
    """Close the case, as ``caseflow discharge`` does; refused: the page again with what is missing
    and everything typed."""
    client_id = _client_id(request)
    form = await request.form()
    typed = {key: str(form.get(key) or "").strip() for key in ("reason", "date", "note", "transferred_to")}
    goals = {
        key.removeprefix("goal:"): str(value)
        for key, value in form.multi_items()
        if key.startswith("goal:") and str(value).strip()
    }
    closing = Closing(
        typed["reason"], typed["date"] or None, typed["note"] or None, typed["transferred_to"] or None, goals
    )
    try:
        with session(request) as (repo, actor):
            if not closing.reason:
                raise UsageError("choose why the case closes")
            _, change = repo.workflow.discharge(actor, client_id, closing)
    except RequirementsNotMet as refused:
        refusal = [in_words(line) for line in [*refused.evaluation.missing(), *refused.hints]]
    except CaseflowError as exc:
        refusal = [Refusal(exc.lines()[0])]
    else:
        tell(request, f"{client_id} is discharged ({closing.reason}), from {change.source}.")
        return see_other(f"/clients/{client_id}")
    return _show(request, client_id, closing={**typed, "goals": goals}, refusal=refusal, status_code=400)


async def flag_set(request: Request) -> Response:
    """Raise a risk flag, as ``caseflow flag CLIENT set`` does."""
    client_id = _client_id(request)
    form = await request.form()
    name, since, note = (str(form.get(key) or "").strip() for key in ("flag", "since", "note"))
    with session(request) as (repo, actor):
        repo.records.set_flag(actor, client_id, name, since=since or None, note=note or None)
    tell(request, f"Risk flag '{name}' raised for {client_id}.")
    return see_other(f"/clients/{client_id}")


async def flag_clear(request: Request) -> Response:
    """Clear a risk flag, as ``caseflow flag CLIENT clear`` does: kept as history."""
    client_id = _client_id(request)
    form = await request.form()
    name, on, note = (str(form.get(key) or "").strip() for key in ("flag", "on", "note"))
    with session(request) as (repo, actor):
        repo.records.clear_flag(actor, client_id, name, on=on or None, note=note or None)
    tell(request, f"Risk flag '{name}' cleared for {client_id}.")
    return see_other(f"/clients/{client_id}")


routes = [
    Route("/intake", intake, methods=["GET", "POST"]),
    Route("/clients/{client_id}", client),
    Route("/clients/{client_id}/timeline", timeline),
    Route("/clients/{client_id}/advance", advance, methods=["POST"]),
    Route("/clients/{client_id}/merge", merge, methods=["POST"]),
    Route("/clients/{client_id}/discharge", discharge, methods=["POST"]),
    Route("/clients/{client_id}/flags/set", flag_set, methods=["POST"]),
    Route("/clients/{client_id}/flags/clear", flag_clear, methods=["POST"]),
    Route("/clients/{client_id}/documents/{name:path}", document),
]
