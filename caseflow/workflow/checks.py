"""The built-in requirement checks that workflows name: each says in plain words what is missing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from caseflow import CaseView, Check, CheckParameter, hookimpl
from caseflow.core.consent_rules import expiry_reasons, facts_of, minor_problem
from caseflow.referrals.referral_forms import OPEN_STATUSES


def _identity_complete(case: CaseView, params: Mapping[str, Any]) -> list[str]:
    record = case.record
    missing = [label for key, label in (("name", "a name"), ("dob", "a date of birth")) if not record.get(key)]
    if not any(record.get(key) for key in ("phone", "email", "address")):
        missing.append("a way to reach the client (phone, email or address)")
    return [f"client.yaml needs {item}" for item in missing]


def _consent_on_file(case: CaseView, params: Mapping[str, Any]) -> list[str]:
    kind = params.get("kind", "treatment")
    today = case.today.isoformat()
    facts = facts_of(case)
    reasons = []
    for consent in case.current("core.consent"):
        data = consent.data
        if data.get("kind") != kind or data.get("status") != "active":
            continue
        # the one rule: an expiry by date, duration or event, and a minor's signer
        minor = minor_problem(data, facts)
        why_not = expiry_reasons(data, facts, today) + ([f"lacks the right signer ({minor})"] if minor else [])
        if not why_not:
            return []
        reasons.append(f"consent {data.get('id')} {'; '.join(why_not)}")
    if reasons:
        return reasons
    how = f"caseflow consent {case.client_id} --treatment" if kind == "treatment" else "see caseflow consent --help"
    return [f"no active {kind} consent on file ({how})"]


def _document_exists(case: CaseView, params: Mapping[str, Any]) -> list[str]:
    form = str(params["form"])
    if case.filled(form):
        return []
    started = case.current(form)  # there, but blank: it counts once something is written in it
    if started:
        return [f"needs {_title(params)}: {started[0].path} is there but {case.blank(started[0])}; write it"]
    return [f"needs {_title(params)} ({_how(case, params)})"]


def _document_valid(case: CaseView, params: Mapping[str, Any]) -> list[str]:
    form = str(params["form"])
    documents = case.current(form)
    if not documents:
        return [f"needs {_title(params)} ({_how(case, params)})"]
    reasons = []
    for document in documents:
        problems = case.validate(document)
        if problems:
            reasons.append(f"{document.path} has {len(problems)} problem(s): {problems[0].message}")
    return reasons


def _screened_within(case: CaseView, params: Mapping[str, Any]) -> list[str]:
    instruments = params.get("instruments")
    days = int(params.get("days", 30))
    since = (case.today - dt.timedelta(days=days)).isoformat()
    if params.get("since_stage_entry") and case.stage_entered:
        since = max(since, case.stage_entered)  # a rescreen: given in this stage, not before it
    for document in case.documents:
        if not case.in_episode(document):
            continue
        form = document.form_id or ""
        wanted = form in instruments if instruments else form.startswith("instruments.")
        date = document.data.get("date")
        if wanted and isinstance(date, str) and date >= since:
            return []
    first = str((instruments or ["phq9"])[0]).removeprefix("instruments.")
    return [f"needs {_screening(params)} dated within the last {days} days (caseflow screen {case.client_id} {first})"]


def _plan_has_measurable_goal(case: CaseView, params: Mapping[str, Any]) -> list[str]:
    for plan in case.current("core.plan"):
        for goal in plan.data.get("goals") or []:
            for objective in goal.get("objectives") or [] if isinstance(goal, Mapping) else []:
                if isinstance(objective, Mapping) and objective.get("target_date") and objective.get("responsible"):
                    return []
    return ["the plan needs at least one goal with an objective that has a target date and a responsible party"]


def _approved(case: CaseView, params: Mapping[str, Any]) -> list[str]:
    form = str(params["form"])
    documents = case.current(form)
    if not documents:
        return [f"needs {_title(params)}, approved (there is none yet)"]
    since = case.stage_entered if params.get("since_stage_entry") else None
    reasons = []
    for document in documents:
        decision = case.latest_decision(document.path, since)
        if decision is None:
            run = f"caseflow approve {case.client_id} {document.path}"
            when = " in this stage" if since else ""
            forged = next((a for a in case.unbacked if a.document == document.path), None)
            if forged is not None:  # written by hand, or committed by someone other than its maker
                reasons.append(
                    f"{document.path} is not approved{when}: the approval in approvals.yaml naming {forged.by} "
                    f"was not committed by {forged.by}, so it does not count (a supervisor runs: {run})"
                )
            else:
                reasons.append(f"{document.path} is not approved{when} yet (a supervisor runs: {run})")
        elif decision.blob != document.blob:
            when = f"{decision.decision} by {decision.by} on {decision.at[:10]}"
            reasons.append(f"{document.path} changed after it was {when}; it needs approval again")
        elif decision.decision != "approved":
            why = f": {decision.comment}" if decision.comment else ""
            reasons.append(f"{document.path} was sent back by {decision.by}{why}")
    return reasons


def _suicide_risk_followed_up(case: CaseView, params: Mapping[str, Any]) -> list[str]:
    """A positive PHQ-9 item 9 calls for a suicide-risk assessment (C-SSRS) on or after that day."""
    positive = [
        str(d.data.get("date"))
        for d in case.current("instruments.phq9")
        if isinstance(d.data.get("answers"), Mapping) and (d.data["answers"].get("q9") or 0) >= 1
    ]
    if not positive:
        return []
    first = min(positive)
    if any(str(d.data.get("date")) >= first for d in case.current("instruments.cssrs")):
        return []
    return [f"PHQ-9 item 9 was positive on {first}: needs a C-SSRS since then (caseflow screen {case.client_id} cssrs)"]


def _no_open_referrals(case: CaseView, params: Mapping[str, Any]) -> list[str]:
    return [
        f"referral {r.data.get('id')} ({r.data.get('category')}) is still {r.data.get('status')}"
        for r in case.current("core.referral")
        if r.data.get("status") in OPEN_STATUSES
    ]


def _referrals_serve_plan_goals(case: CaseView, params: Mapping[str, Any]) -> list[str]:
    """A plan is built out of its referrals: each open referral says which plan goal it serves."""
    plans = case.current("core.plan")
    goals = {str(g.get("id")) for g in (plans[0].data.get("goals") or []) if isinstance(g, Mapping)} if plans else set()
    missing = []
    for referral in case.current("core.referral"):
        data = referral.data
        if data.get("status") not in OPEN_STATUSES:
            continue
        if not data.get("goal"):
            fix = f"caseflow set {case.client_id} referrals/{data.get('id')}.yaml goal=GOAL_ID"
            missing.append(f"referral {data.get('id')} names no plan goal ({fix})")
        elif str(data["goal"]) not in goals:
            missing.append(f"referral {data.get('id')} serves goal {data['goal']}, which the plan does not have")
    return missing


def _contact_attempts(case: CaseView, params: Mapping[str, Any]) -> list[str]:
    """Closing for lost contact: the attempts to reach the client are on record (contact notes
    whose client was not reached), enough of them and recent."""
    count, days = int(params.get("count", 2)), int(params.get("days", 30))
    since = (case.today - dt.timedelta(days=days)).isoformat()
    attempts = [
        d
        for d in case.current("core.visit")
        if d.data.get("client_present") is False and str(d.data.get("date") or "") >= since
    ]
    if len(attempts) >= count:
        return []
    return [
        f"needs {count} attempts to reach the client in the last {days} days, {len(attempts)} on record "
        f"(each: caseflow visit {case.client_id} --type phone --not-reached --note TEXT)"
    ]


def _field_given(case: CaseView, params: Mapping[str, Any]) -> list[str]:
    form, name = str(params["form"]), str(params["field"])
    documents = case.current(form)
    if any(str(d.data.get(name) or "").strip() for d in documents):
        return []
    where = documents[0].path if documents else f"the {form} document"
    return [f"{where} needs {params.get('title') or name} ({name})"]


def _discharge_goals_reviewed(case: CaseView, params: Mapping[str, Any]) -> list[str]:
    """A completed case says how each goal of its plan ended."""
    plans = case.current("core.plan")
    goals = [str(g.get("id")) for g in (plans[0].data.get("goals") or []) if isinstance(g, Mapping)] if plans else []
    discharges = case.current("core.discharge")
    listed = discharges[0].data.get("goals") if discharges else None
    reviewed = {str(g.get("goal")) for g in listed or [] if isinstance(g, Mapping) and g.get("status")}
    return [
        f"the discharge gives no outcome for plan goal {goal} "
        f"(caseflow discharge {case.client_id} --reason completed --goal {goal}=met)"
        for goal in goals
        if goal not in reviewed
    ]


def _how(case: CaseView, params: Mapping[str, Any]) -> str:
    """The command that writes the document: the requirement's own (``command``, with {client}),
    else ``caseflow new`` with the form."""
    command = params.get("command")
    return str(command).format(client=case.client_id) if command else f"caseflow new {case.client_id} {params['form']}"


def _title(params: Mapping[str, Any]) -> str:
    return str(params.get("title") or f"a {params.get('form')} document")


def _screening(params: Mapping[str, Any]) -> str:
    instruments = params.get("instruments")
    named = "a screening with " + " or ".join(instruments) if instruments else "a standardized screening"
    return str(params.get("title") or named)


def _form(meaning: str = "the form id, e.g. `core.plan`") -> CheckParameter:
    return CheckParameter("form", str, meaning, required=True, identifies=True)


def _title_parameter(meaning: str = "the document in words, for the message") -> CheckParameter:
    return CheckParameter("title", str, meaning, default='"a FORM document"')


COMMAND = CheckParameter(
    "command", str, "the command that writes it, shown in the message; `{client}` is the client id",
    default="`caseflow new CLIENT FORM`",
)  # fmt: skip
SINCE_STAGE_ENTRY = "only {what} since the client entered the current stage"

CHECKS = [
    Check(
        "identity_complete",
        lambda p: "identity complete (name, date of birth, a way to reach them)",
        _identity_complete,
        doc="The client record has a name, a date of birth and a way to reach the client (phone, email or address).",
    ),
    Check(
        "consent_on_file",
        lambda p: f"an active {p.get('kind', 'treatment')} consent on file",
        _consent_on_file,
        parameters=(
            CheckParameter(
                "kind",
                str,
                "the consent's kind: `treatment`, or `release` for a release of information",
                default="`treatment`",
                identifies=True,
            ),
        ),
        doc="An active consent of a kind is on file and valid today (not expired by date, duration or event; "
        "signed by the right person for a minor).",
    ),
    Check(
        "document_exists",
        _title,
        _document_exists,
        parameters=(_form("the form id, e.g. `core.intake-interview`"), _title_parameter(), COMMAND),
        doc="A document of a form is there and something is written in it (a bare skeleton does not count).",
    ),
    Check(
        "document_valid",
        lambda p: f"{_title(p)}, valid",
        _document_valid,
        parameters=(_form(), _title_parameter(), COMMAND),
        doc="The documents of a form are there and each validates against its form.",
    ),
    Check(
        "screened_within",
        lambda p: f"{_screening(p)} within {p.get('days', 30)} days",
        _screened_within,
        parameters=(
            CheckParameter("days", int, "how recent, in days before today", default="`30`"),
            CheckParameter(
                "instruments",
                list,
                "the instrument form ids that count (`[instruments.phq9, instruments.gad7]`)",
                default="any instrument",
                identifies=True,
            ),
            CheckParameter(
                "since_stage_entry",
                bool,
                SINCE_STAGE_ENTRY.format(what="a screening given") + " (a rescreen)",
                default="`false`",
            ),
            CheckParameter("title", str, "the screening in words", default='"a screening with ..."'),
        ),
        doc="A screening was given within some days (in the current episode of the case).",
    ),
    Check(
        "plan_has_measurable_goal",
        lambda p: "a goal with an objective, a target date and a responsible party",
        _plan_has_measurable_goal,
        doc="The plan (`core.plan`) has a goal with an objective that has a target date and a responsible party.",
    ),
    Check(
        "approved",
        lambda p: f"{_title(p)}, approved by a supervisor at its current version",
        _approved,
        parameters=(
            _form(),
            _title_parameter("the document in words"),
            CheckParameter("since_stage_entry", bool, SINCE_STAGE_ENTRY.format(what="a decision made"), "`false`"),
        ),
        doc="Each document of a form is approved by a supervisor at its current version: the approval is bound "
        "to the git blob id, so any later change needs approving again, and only an approval committed by the "
        "approver counts.",
    ),
    Check(
        "no_open_referrals",
        lambda p: "no referral left open",
        _no_open_referrals,
        doc="No referral of the client is still open (draft, requested, received, accepted, in progress).",
    ),
    Check(
        "referrals_serve_plan_goals",
        lambda p: "every open referral linked to a goal of the plan",
        _referrals_serve_plan_goals,
        doc="Every open referral names a goal (`goal:`) the plan has.",
    ),
    Check(
        "contact_attempts",
        lambda p: f"{p.get('count', 2)} attempts to reach the client within {p.get('days', 30)} days",
        _contact_attempts,
        parameters=(
            CheckParameter("count", int, "how many attempts", default="`2`"),
            CheckParameter("days", int, "within how many days before today", default="`30`"),
        ),
        doc="Attempts to reach the client are on record (contact notes whose client was not reached: "
        "`caseflow visit CLIENT --not-reached`), enough of them and recent: closing for lost contact.",
    ),
    Check(
        "field_given",
        lambda p: f"{p.get('title') or p.get('field')} given in {p.get('form')}",
        _field_given,
        parameters=(
            _form("the form id"),
            CheckParameter("field", str, "the field's name at the top of the document", required=True, identifies=True),
            CheckParameter("title", str, "the field in words", default="the field's name"),
        ),
        doc="A field of a document is given (not empty).",
    ),
    Check(
        "discharge_goals_reviewed",
        lambda p: "an outcome for every goal of the plan in the discharge",
        _discharge_goals_reviewed,
        doc="The discharge summary gives an outcome for every goal of the plan.",
    ),
    Check(
        "suicide_risk_followed_up",
        lambda p: "a positive PHQ-9 item 9 followed by a C-SSRS",
        _suicide_risk_followed_up,
        doc="A positive PHQ-9 item 9 is followed by a C-SSRS screener on or after that day.",
    ),
]


@hookimpl(trylast=True)
def register_checks() -> list[Check]:
    return list(CHECKS)
