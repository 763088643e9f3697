"""What the client page shows about closing a case: the reasons a person chooses from, what the
workflow asks of each (as ``caseflow stages --json`` lists it), the plan goals a completed case
gives an outcome for, and the service's refusal lines with their commands said in words.

Nothing here decides anything: the discharge service judges the case; this only presents it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caseflow.records.discharge_form import REASON_TITLES, reason_codes
from caseflow.workflow.discharge import DISCHARGED, GOAL_STATUSES

if TYPE_CHECKING:
    from caseflow.repo import CaseRepo

#: The reasons the close form offers (``caseflow discharge --reason``), with the words a person reads.
OFFERED_REASONS = ("completed", "declined-services", "lost-contact", "moved", "transferred", "deceased")
REASON_LABELS = {code: REASON_TITLES[code] for code in OFFERED_REASONS}
GOAL_LABELS = {status: status.replace("-", " ").capitalize() for status in GOAL_STATUSES}


@dataclass(frozen=True)
class Refusal:
    """One line of a refusal: what is missing, and how to do it in words (from its command)."""

    text: str
    how: str = ""


def reason_needs(repo: CaseRepo, stage: str) -> list[dict[str, Any]]:
    """Each offered reason and every requirement the workflow sets for closing from ``stage`` with it
    ([] when the workflow does not close a case from there)."""
    workflow = repo.workflow_spec
    transition = next((t for t in workflow.transitions_from(stage) if t.target == DISCHARGED), None)
    if transition is None:
        return []
    requirements = workflow.requirements(transition)
    shown = []
    for code in OFFERED_REASONS:
        codes = set(reason_codes(code))
        needs = [
            repo.workflow.describe(r)
            for r in requirements
            if r.when is None or codes & {str(v) for v in r.when.get("in") or ()}
        ]
        shown.append({"code": code, "label": REASON_LABELS[code], "needs": needs})
    return shown


def plan_goals(repo: CaseRepo, client_id: str) -> list[dict[str, str]]:
    """The plan's goals (id and title): a completed case says how each ended."""
    plans = repo.case(client_id).current("core.plan")
    goals = plans[0].data.get("goals") if plans else None
    return [
        {"id": str(g.get("id")), "title": str(g.get("title") or "")}
        for g in goals or []
        if isinstance(g, Mapping) and g.get("id")
    ]


#: A command the service names for a missing thing, and the same thing on these pages (the first
#: that fits: a line naming both a new summary and its approval is about the summary).
_WEB_WAYS = (
    (
        re.compile(r"caseflow visit \S+ --type phone --not-reached"),
        "on Record a contact, a phone contact with “The client was not reached” ticked",
    ),
    (re.compile(r"caseflow discharge \S+ --reason completed --goal (\S+?)=met"), "choose how goal {0} ended below"),
    (
        re.compile(r"caseflow (new \S+ core\.discharge|set \S+ discharge\.yaml)"),
        "save the discharge summary first (New document: Discharge, or edit discharge.yaml), "
        "a supervisor approves it on the Review page, then close the case again",
    ),
    (re.compile(r"caseflow approve \S+ discharge\.yaml"), "a supervisor approves discharge.yaml on the Review page"),
)


def in_words(line: str) -> Refusal:
    """A refusal line as the page shows it: the command it names said as the way to do it here."""
    for pattern, words in _WEB_WAYS:
        found = pattern.search(line)
        if found:
            text = line[: line.find("(")].rstrip(" :,") if "(" in line else line
            return Refusal(text, words.format(*found.groups()))
    return Refusal(line)
