"""Administering an instrument (``caseflow screen``) and reading results over time (``caseflow scores``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caseflow.core.config import Staff
from caseflow.core.documents import new_document as parse_new_document
from caseflow.core.documents import new_mapping, new_sequence, yaml_scalar
from caseflow.core.documents.edits import insert_item
from caseflow.core.names import unknown_name
from caseflow.errors import CaseflowError
from caseflow.evaluation.instruments import Instrument, Item, Result

if TYPE_CHECKING:
    from caseflow.core.events import SavedDocument
    from caseflow.session import Session

SUICIDE_RISK = "Suicide risk"
#: For these, the literature's response (a 50% drop from baseline) and remission (< 5) markers.
RESPONSE_REMISSION = {"instruments.phq9", "instruments.gad7"}


class AnswerError(CaseflowError):
    """Answers that do not fit the instrument; names the item."""


def instrument(repo: Session, instrument_id: str) -> Instrument:
    found = repo.host.instruments().get(instrument_id) or repo.host.instruments().get(f"instruments.{instrument_id}")
    if found is None:
        names = [name.removeprefix("instruments.") for name in repo.host.instruments()]
        raise unknown_name("instrument", instrument_id, names, listed_by="caseflow instruments")
    return found


def parse_answers(spec: Instrument, text: str) -> dict[str, int]:
    """``0,1,2,...``: one value per question asked, in order (skipped questions take no value)."""
    values = [v.strip() for v in text.split(",")] if text.strip() else []
    answers: dict[str, int] = {}
    position = 0
    for item in spec.items:
        if not item.asked(answers):
            continue
        if position >= len(values):
            if item.optional:
                continue
            raise AnswerError(f"{spec.name}: no answer for {item.id} ({item.text}); only {len(values)} answers given")
        answers[item.id] = _value(spec, item, values[position])
        position += 1
    if position < len(values):
        raise AnswerError(f"{spec.name}: {len(values)} answers given but only {position} questions were asked")
    return answers


def _value(spec: Instrument, item: Item, text: str) -> int:
    allowed = ", ".join(f"{o.value} {o.label}" for o in item.options)
    try:
        value = int(text)
    except ValueError:
        raise AnswerError(f"{spec.name} {item.id}: {text!r} is not a number; answer one of: {allowed}") from None
    if value not in [o.value for o in item.options]:
        raise AnswerError(f"{spec.name} {item.id}: {value} is not an answer to this item; answer one of: {allowed}")
    return value


def ask(spec: Instrument, prompt: Callable[[Item, Mapping[str, int]], int]) -> dict[str, int]:
    """Interactive administration: ``prompt`` gets each question as the skip logic reaches it."""
    answers: dict[str, int] = {}
    for item in spec.items:
        if item.asked(answers):
            answers[item.id] = prompt(item, answers)
    return answers


def screen(
    repo: Session,
    actor: Staff,
    client_id: str,
    instrument_id: str,
    answers: Mapping[str, int],
    date: str | None = None,
    parameters: Mapping[str, str] | None = None,
) -> tuple[SavedDocument, Result]:
    """Save one administration (and, if it shows suicide risk, the client's risk flag) in one commit."""
    from caseflow.records import actions

    spec = instrument(repo, instrument_id)
    day = _day(repo, date)
    parameters = dict(parameters or {})
    problems = spec.problems(answers, parameters)
    if problems:
        raise AnswerError("; ".join(f.message for f in problems))
    result = spec.score(answers, parameters)
    base = repo.client_dir(client_id)
    form = repo.form(spec.id)
    with repo.store.transaction(repo.author(actor), action="screen", client=client_id) as tx:
        text = _document_text(spec, client_id, day, actor.id, answers, parameters, result)
        document = parse_new_document(f"{base}/{form.path}", text)
        document.path = actions.place(repo, base, form, document)
        actions.commit_document(repo, tx, document, form, client_id)
        if "suicide-risk" in result.flags:
            _raise_risk_flag(repo, tx, client_id, spec, day)
    return actions.saved(repo, tx, client_id, document.path, form, "screen"), result


def _day(repo: Session, date: str | None) -> str:
    today = repo.today()
    if date is None:
        return today.isoformat()
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        raise AnswerError(f"--date {date!r} is not a date written YYYY-MM-DD") from None
    if day > today:
        raise AnswerError(f"--date {date} is in the future; a screening is recorded on the day it was given")
    return day.isoformat()


def _document_text(
    spec: Instrument,
    client_id: str,
    day: str,
    actor: str,
    answers: Mapping[str, int],
    parameters: Mapping[str, str],
    result: Result,
) -> str:
    # Each answer carries its option's words as a comment, so the file reads like the form.
    lines = [
        f"# {spec.name} {spec.version}: scored by caseflow; the result is recomputed on every validation.",
        f"form: {spec.id}",
        f"client: {client_id}",
        f"date: {day}",
        f"administered_by: {actor}",
        f"instrument_version: {yaml_scalar(spec.version)}",
    ]
    if parameters:
        lines.append("parameters:")
        lines.extend(f"  {key}: {yaml_scalar(value)}" for key, value in parameters.items())
    lines.append("answers:")
    for item in spec.items:
        if item.id in answers:
            label = next(o.label for o in item.options if o.value == answers[item.id])
            lines.append(f"  {item.id}: {answers[item.id]}   # {label}")
    total = "null" if result.total is None else str(result.total)
    flags = "[" + ", ".join(result.flags) + "]"
    lines += ["result:", f"  total: {total}", f"  band: {yaml_scalar(result.band)}", f"  flags: {flags}"]
    return "\n".join(lines) + "\n"


def _raise_risk_flag(repo: Session, tx: Any, client_id: str, spec: Instrument, day: str) -> None:
    from caseflow.records import actions

    record = repo.read_document(f"{repo.client_dir(client_id)}/client.yaml")
    flags = record.data.get("risk_flags")
    if flags is None:
        flags = record.data["risk_flags"] = new_sequence()
    if any(isinstance(f, Mapping) and f.get("flag") == SUICIDE_RISK and not f.get("cleared_on") for f in flags):
        return  # already flagged: the new screening is on file, the flag stays as it is
    if flags.fa.flow_style():
        flags.fa.set_block_style()
    entry = new_mapping({"id": f"risk-{day}", "flag": SUICIDE_RISK, "since": day})
    entry["source"] = f"{spec.name} on {day}"
    insert_item(flags, len(flags), entry)
    actions.commit_document(repo, tx, record, repo.form("core.client"), client_id)


@dataclass(frozen=True)
class Administration:
    instrument: str
    date: str
    total: int | None
    band: str
    flags: tuple[str, ...]
    change: int | None  # from the first (baseline) administration
    response: bool | None
    remission: bool | None

    def as_json(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "date": self.date,
            "total": self.total,
            "band": self.band,
            "flags": list(self.flags),
            "change_from_baseline": self.change,
            "response": self.response,
            "remission": self.remission,
        }


def scores(repo: Session, client_id: str, instrument_id: str | None = None) -> list[Administration]:
    """Every administration, oldest first, with change from baseline and response/remission."""
    wanted = instrument(repo, instrument_id).id if instrument_id else None
    case = repo.case(client_id)
    instruments = repo.host.instruments()
    found: list[Administration] = []
    for instrument_key in sorted(instruments):
        if wanted and instrument_key != wanted:
            continue
        # same day: "…-phq9.yaml" was given before "…-phq9-2.yaml" (older names), both before the
        # names of format 3, whose short id starts with how many the clone had that day ("-0k7mq",
        # then "-1x3ab")
        documents = sorted(case.by_form(instrument_key), key=lambda d: (str(d.data.get("date")), len(d.path), d.path))
        baseline: int | None = None
        for document in documents:
            result = document.data.get("result") or {}
            total = result.get("total")
            if baseline is None and isinstance(total, int):
                baseline = total
            change = total - baseline if isinstance(total, int) and baseline is not None else None
            markers = instrument_key in RESPONSE_REMISSION and isinstance(total, int) and baseline is not None
            response = bool(baseline and (baseline - total) * 2 >= baseline) if markers else None  # type: ignore[operator]
            remission = bool(total < 5) if markers else None  # type: ignore[operator]
            found.append(
                Administration(
                    instrument_key,
                    str(document.data.get("date")),
                    total,
                    str(result.get("band")),
                    tuple(result.get("flags") or ()),
                    change,
                    response,
                    remission,
                )
            )
    return found


def sparkline(values: Sequence[int | None], top: int) -> str:
    """A small trend line: one block per administration, height by score."""
    blocks = "▁▂▃▄▅▆▇█"
    return "".join(" " if v is None else blocks[min(len(blocks) - 1, v * len(blocks) // (top + 1))] for v in values)
