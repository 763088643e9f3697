"""*Screening*: an instrument administered item by item, scored on the server, the result at once.

The instruments come from the plugins (``repo.host.instruments()``), as ``caseflow instruments``
lists them. A screening is a short run of POSTs, one item a step: the answers so far ride along in
hidden fields (nothing is written until the end), the instrument's skip logic decides which item
comes next (the C-SSRS asks Q3-Q5 only after a yes to Q2), a review shows every answer, and the
submit makes the very call ``caseflow screen`` makes (``repo.evaluation.screen``): one commit by
the person acting, which also raises the client's risk flag when the result shows suicide risk
(PHQ-9 item 9, C-SSRS moderate or high). The result page then shows the total, the band, the flags
and what they set off: the risk level, the contact cadence and what the due list now asks.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from caseflow.core import access_record
from caseflow.core.ids import check_client_id, check_document_id
from caseflow.errors import CaseflowError, InvalidId, NotFound
from caseflow.web.pages import see_other, session
from caseflow.web.render import page

if TYPE_CHECKING:
    from caseflow.evaluation.instruments import Instrument, Item
    from caseflow.repo import CaseRepo

#: Instrument ids are plugin names such as ``instruments.phq9`` (the short ``phq9`` works too).
_INSTRUMENT_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,80}")
#: The steps besides the items themselves.
PARAMETERS, REVIEW = "parameters", "review"
ANSWER, PARAMETER = "answer.", "parameter."
SUICIDE_RISK_FLAG = "suicide-risk"


def _client_id(request: Request) -> str:
    return check_client_id(str(request.path_params["client_id"]))


def _instrument(repo: CaseRepo, request: Request) -> Instrument:
    wanted = str(request.path_params["instrument_id"])
    if not _INSTRUMENT_ID.fullmatch(wanted):
        raise InvalidId(f"{wanted[:40]!r} is not an instrument id (like instruments.phq9)")
    return repo.evaluation.instrument(wanted)


# -- the list of instruments -----------------------------------------------------------------------


async def instruments(request: Request) -> Response:
    client_id = _client_id(request)
    with session(request, "caseload") as (repo, actor):
        record = repo.client_record(client_id)
        found = sorted(repo.host.instruments().values(), key=lambda i: i.name.lower())
        access_record.record(repo.root, who=actor.id, action="web", what="screening", clients=[client_id])
        return page(
            request,
            "screen_list.html",
            client_id=client_id,
            record=record,
            instruments=found,
            latest=repo.followup.summary(client_id).get("latest_scores") or {},
        )


# -- administering one instrument ------------------------------------------------------------------


@dataclass
class Administration:
    """Where a screening stands: the answers so far, the parameters, the step shown, the errors."""

    spec: Instrument
    answers: dict[str, int] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    date: str = ""
    step: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def asked(self) -> list[Item]:
        """The items the answers so far lead to, in the instrument's order (its skip logic)."""
        return [item for item in self.spec.items if item.asked(self.answers)]

    def prune(self) -> None:
        """Drop answers to items no longer asked (Q2 changed from yes to no: Q3-Q5 go)."""
        kept: dict[str, int] = {}
        for item in self.spec.items:
            if item.id in self.answers and item.asked(kept):
                kept[item.id] = self.answers[item.id]
        self.answers = kept

    def first(self) -> str:
        if self.spec.parameters:
            return PARAMETERS
        return self.spec.items[0].id

    def after(self, step: str) -> str:
        """The step after ``step``: the next item asked, else the review."""
        ids = [item.id for item in self.spec.items]
        start = 0 if step == PARAMETERS else ids.index(step) + 1
        for item in self.spec.items[start:]:
            if item.asked(self.answers):
                return item.id
        return REVIEW

    def before(self, step: str) -> str | None:
        """The step before ``step`` (None: this is the first)."""
        if step == PARAMETERS:
            return None
        asked = [item.id for item in self.asked()]
        if step == REVIEW:
            return asked[-1] if asked else self.first()
        ids = [item.id for item in self.spec.items]
        earlier = [i for i in asked if ids.index(i) < ids.index(step)]
        if earlier:
            return earlier[-1]
        return PARAMETERS if self.spec.parameters else None

    def item(self, step: str) -> Item | None:
        return next((item for item in self.spec.items if item.id == step), None)

    def position(self, step: str) -> tuple[int, int]:
        """This item's number among those asked so far, and how many are asked (skip logic may change it)."""
        asked = [item.id for item in self.asked()]
        return (asked.index(step) + 1 if step in asked else len(asked) + 1), len(asked)

    def first_gap(self) -> str | None:
        """The first item asked that has no answer and needs one."""
        for item in self.asked():
            if item.id not in self.answers and not item.optional:
                return item.id
        return None


def _read(spec: Instrument, form: Mapping[str, Any]) -> Administration:
    """The screening as the form carries it; a carried answer that does not fit is an error at its item."""
    state = Administration(spec, step=str(form.get("step") or ""), date=str(form.get("date") or "").strip())
    for item in spec.items:
        text = str(form.get(ANSWER + item.id) or "").strip()
        if not text:
            continue
        value = _value_of(item, text)
        if value is None:
            state.errors.setdefault(item.id, _not_an_answer(item, text))
        else:
            state.answers[item.id] = value
    for parameter in spec.parameters:
        text = str(form.get(PARAMETER + parameter.id) or "").strip()
        if text:
            state.parameters[parameter.id] = text
    valid_steps = {PARAMETERS, REVIEW, *(item.id for item in spec.items)}
    if state.step not in valid_steps:
        state.step = state.first()
    return state


def _value_of(item: Item, text: str) -> int | None:
    try:
        value = int(text)
    except ValueError:
        return None
    return value if value in [o.value for o in item.options] else None


def _not_an_answer(item: Item, text: str) -> str:
    allowed = ", ".join(f"{o.value} ({o.label})" for o in item.options)
    return f"{text[:20]!r} is not an answer to this question; choose one of: {allowed}"


async def administer(request: Request) -> Response:
    """GET: the first step. POST: the step sent, checked, then the next (or previous) one."""
    client_id = _client_id(request)
    with session(request, "caseload") as (repo, actor):
        spec = _instrument(repo, request)
        repo.client_dir(client_id)  # an unknown client is a 404 before any question
        if request.method == "GET":
            state = Administration(spec, step="")
            state.step = state.first()
            return _step_page(request, repo, client_id, state)
        form = await request.form()
        state = _read(spec, form)
        go = str(form.get("go") or "next")
        if state.errors:  # a carried answer was tampered with: show that item again
            state.step = next(iter(state.errors))
            return _step_page(request, repo, client_id, state, status=400)
        if go.startswith("edit:"):
            wanted = state.item(go[5:])
            state.step = wanted.id if wanted is not None and wanted.asked(state.answers) else state.first()
            return _step_page(request, repo, client_id, state)
        if go == "back":
            state.prune()
            state.step = state.before(state.step) or state.first()
            return _step_page(request, repo, client_id, state)
        if go == "submit":
            return _submit(request, repo, actor, client_id, state)
        return _next(request, repo, client_id, state)


def _next(request: Request, repo: CaseRepo, client_id: str, state: Administration) -> Response:
    """The current step's answer checked (an error shows at the item), then the step after it."""
    step = state.step
    if step == PARAMETERS:
        for parameter in state.spec.parameters:
            if state.parameters.get(parameter.id) not in parameter.options:
                state.errors[PARAMETER + parameter.id] = f"choose {' or '.join(parameter.options)}"
                state.parameters.pop(parameter.id, None)
        if state.errors:
            return _step_page(request, repo, client_id, state, status=400)
    elif step != REVIEW:
        item = state.item(step)
        assert item is not None
        if item.id not in state.answers and not item.optional:
            state.errors[item.id] = "Choose an answer to go on (every question of this instrument needs one)."
            return _step_page(request, repo, client_id, state, status=400)
    state.prune()
    state.step = state.after(step) if step != REVIEW else REVIEW
    return _step_page(request, repo, client_id, state)


def _submit(request: Request, repo: CaseRepo, actor: Any, client_id: str, state: Administration) -> Response:
    """Scored on the server through the same call as ``caseflow screen``: one commit, or nothing."""
    state.prune()
    gap = state.first_gap()
    if gap is not None:
        state.step = gap
        state.errors[gap] = "This question has no answer yet: choose one, then review again."
        return _step_page(request, repo, client_id, state, status=400)
    missing = [p for p in state.spec.parameters if state.parameters.get(p.id) not in p.options]
    if missing:
        state.step = PARAMETERS
        for parameter in missing:
            state.errors[PARAMETER + parameter.id] = f"choose {' or '.join(parameter.options)}"
        return _step_page(request, repo, client_id, state, status=400)
    date_error = _date_error(repo, state.date)
    if date_error:
        state.step = REVIEW
        state.errors["date"] = date_error
        return _step_page(request, repo, client_id, state, status=400)
    try:
        saved, _result = repo.evaluation.screen(
            actor, client_id, state.spec.id, state.answers, state.date or None, state.parameters
        )
    except (NotFound, InvalidId):
        raise
    except CaseflowError as exc:
        state.step = REVIEW
        state.errors["form"] = str(exc)
        return _step_page(request, repo, client_id, state, status=400)
    stem = saved.path.rsplit("/", 1)[-1].removesuffix(".yaml")
    return see_other(f"/clients/{client_id}/screen/{state.spec.id}/result/{stem}")


def _date_error(repo: CaseRepo, text: str) -> str | None:
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return f"{text[:20]!r} is not a date (YYYY-MM-DD)"
    if day > repo.today():
        return "This date is in the future: a screening is recorded on the day it was given."
    return None


def _step_page(request: Request, repo: CaseRepo, client_id: str, state: Administration, status: int = 200) -> Response:
    spec = state.spec
    step = state.step
    item = state.item(step)
    number, count = state.position(step) if item else (0, len(state.asked()))
    review = [
        {
            "item": asked,
            "value": state.answers.get(asked.id),
            "label": next((o.label for o in asked.options if o.value == state.answers.get(asked.id)), None),
        }
        for asked in state.asked()
    ]
    return page(
        request,
        "screen_step.html",
        status_code=status,
        client_id=client_id,
        spec=spec,
        state=state,
        step=step,
        item=item,
        number=number,
        count=count,
        back=state.before(step),
        review=review,
        today=repo.today().isoformat(),
        answer_prefix=ANSWER,
        parameter_prefix=PARAMETER,
        # the answers carried in hidden fields: every one except the item shown
        carried=[(ANSWER + key, value) for key, value in state.answers.items() if key != step],
        carried_parameters=[(PARAMETER + k, v) for k, v in state.parameters.items()] if step != PARAMETERS else [],
    )


# -- the result ------------------------------------------------------------------------------------


async def result(request: Request) -> Response:
    """One screening as saved, and what it set off (the flag, the risk level, the contact cadence)."""
    from caseflow.workflow.monitoring import contact_days

    client_id = _client_id(request)
    stem = check_document_id(str(request.path_params["document"]), "screening")
    with session(request, "caseload") as (repo, actor):
        spec = _instrument(repo, request)
        base = repo.client_dir(client_id)
        path = f"{base}/evaluation/{stem}.yaml"
        if not (repo.root / path).is_file():
            raise NotFound(f"no screening {stem} for {client_id}")
        data = repo.read_document(path).plain()
        if data.get("form") != spec.id:
            raise NotFound(f"{stem} is not a {spec.name} of {client_id}")
        answers = dict(data.get("answers") or {})
        parameters = {str(k): str(v) for k, v in (data.get("parameters") or {}).items()}
        stored = data.get("result") or {}
        interpretation = spec.score(answers, parameters).interpretation
        record = repo.client_record(client_id)
        flags = list(stored.get("flags") or [])
        risk_flag = None
        if SUICIDE_RISK_FLAG in flags:
            from caseflow.evaluation.screening import SUICIDE_RISK

            entry = next(
                (f for f in record.get("risk_flags") or [] if isinstance(f, Mapping) and f.get("flag") == SUICIDE_RISK),
                None,
            )
            risk_flag = {
                "name": SUICIDE_RISK,
                "raised_now": bool(entry and entry.get("source") == f"{spec.name} on {data.get('date')}"),
                "since": entry.get("since") if entry else None,
            }
        level, every = contact_days(record, repo.workflow_spec.monitoring)
        due = [d for d in repo.followup.summary(client_id).get("due") or [] if d.get("rule") == "contact"]
        answered = [
            {
                "item": item,
                "value": answers[item.id],
                "label": next((o.label for o in item.options if o.value == answers[item.id]), ""),
            }
            for item in spec.items
            if item.id in answers
        ]
        access_record.record(
            repo.root, who=actor.id, action="web", what=f"screening result {stem}", clients=[client_id]
        )
        return page(
            request,
            "screen_result.html",
            client_id=client_id,
            record=record,
            spec=spec,
            data=data,
            path=path.split("/", 2)[2],
            total=stored.get("total"),
            band=stored.get("band"),
            flags=flags,
            interpretation=interpretation,
            risk_flag=risk_flag,
            level=level,
            every=every,
            due=due,
            answered=answered,
        )


routes = [
    Route("/clients/{client_id}/screen", instruments),
    Route("/clients/{client_id}/screen/{instrument_id}", administer, methods=["GET", "POST"]),
    Route("/clients/{client_id}/screen/{instrument_id}/result/{document}", result),
]
