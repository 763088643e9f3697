"""Checks a JSON Schema cannot express: unique item ids, dates in order, a document in its folder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from caseflow import DocumentView, Finding, hookimpl
from caseflow.core.consent_rules import expiry_problem


@hookimpl(trylast=True)
def validate_document(document: DocumentView) -> list[Finding]:
    data = document.data
    findings = list(_duplicate_ids(data, ())) if _may_repeat_an_id(data) else []
    client = data.get("id") if document.form_id == "core.client" else data.get("client")
    if document.client_id and isinstance(client, str) and client != document.client_id:
        key = "id" if document.form_id == "core.client" else "client"
        findings.append(Finding(f"says client {client} but lives in the folder of {document.client_id}", (key,)))
    findings.extend(_dates_in_order(data))
    if document.form_id == "core.consent":
        # an expiry nothing can evaluate never ends the consent: refused, pointing at the line
        problem = expiry_problem(data)
        if problem:
            findings.append(Finding(problem, ("expiry_event",)))
    if document.form_id == "core.visit":
        findings.extend(_visit_during_stay(data))
    if document.form_id == "core.client":
        findings.extend(_stage_matches_history(data))
        dob = _date(data.get("dob"))
        if dob is not None and dob > dt.date.today():
            findings.append(Finding("Date of birth: is in the future", ("dob",)))
    return findings


def _visit_during_stay(data: Mapping[str, Any]) -> Iterator[Finding]:
    """A contact has happened (a note dated ahead would silence the contact cadence), and a hospital
    visit happens during the stay it records."""
    stay = data.get("hospital")
    visited = _date(data.get("date"))
    if visited is not None and visited > dt.date.today():
        yield Finding("Contact date: is in the future; a contact note records a contact that happened", ("date",))
    if not isinstance(stay, Mapping) or visited is None:
        return
    admitted, left = _date(stay.get("admitted_on")), _date(stay.get("discharged_on"))
    if (admitted is not None and visited < admitted) or (left is not None and visited > left):
        yield Finding("Contact date: a hospital visit is on a day of the stay it records", ("date",))


def _stage_matches_history(data: Mapping[str, Any]) -> Iterator[Finding]:
    """The stage is where the history says the client went last; a hand edit must keep both."""
    history = [h for h in data.get("stage_history") or [] if isinstance(h, Mapping)]
    if history and isinstance(data.get("stage"), str) and history[-1].get("to") != data["stage"]:
        yield Finding(f"stage is '{data['stage']}' but the stage history ends in '{history[-1].get('to')}'", ("stage",))


def _may_repeat_an_id(value: Any) -> bool:
    """False when no list in ``value`` holds the same ``id`` twice: the plain data of nearly every
    document, told without the paths :func:`_duplicate_ids` builds for each value (an index checks
    87,000 documents at 10,000 clients). True for anything but plain dicts, lists and scalars."""
    kind = type(value)
    if kind is dict:
        return any(_may_repeat_an_id(child) for child in value.values())
    if kind is list:
        ids = [item.get("id") for item in value if type(item) is dict]
        texts = [each for each in ids if isinstance(each, str)]
        return len(set(texts)) != len(texts) or any(_may_repeat_an_id(item) for item in value)
    return not (kind is str or value is None or kind in (int, float, bool)) and isinstance(value, Mapping | Sequence)


def _duplicate_ids(value: Any, at: tuple[str | int, ...]) -> Iterator[Finding]:
    """Items of a list are matched by ``id`` (in edits, reviews and merges), so ids must be unique."""
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield from _duplicate_ids(child, (*at, key))
    elif isinstance(value, Sequence) and not isinstance(value, str):
        seen: dict[str, int] = {}
        for index, item in enumerate(value):
            item_id = item.get("id") if isinstance(item, Mapping) else None
            if isinstance(item_id, str):
                if item_id in seen:
                    yield Finding(
                        f"id '{item_id}' is used twice in this list (first at item {seen[item_id] + 1})",
                        (*at, index, "id"),
                    )
                else:
                    seen[item_id] = index
            yield from _duplicate_ids(item, (*at, index))


_ORDERED_PAIRS = (
    (("signed_on",), ("expires_on",), "expires before it was signed"),
    (("hospital", "admitted_on"), ("hospital", "discharged_on"), "discharge from hospital is before admission"),
    (("start",), ("stop",), "stops before it starts"),
)


def _dates_in_order(data: Mapping[str, Any]) -> Iterator[Finding]:
    for first, second, message in _ORDERED_PAIRS:
        early, late = _get(data, first), _get(data, second)
        if isinstance(early, str) and isinstance(late, str) and late < early:
            yield Finding(message, second)
    for index, med in enumerate(data.get("medications") or []):
        if isinstance(med, Mapping):
            for finding in _dates_in_order(med):
                yield Finding(finding.message, ("medications", index, *finding.at))


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None  # the schema reports a malformed date


def _get(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
