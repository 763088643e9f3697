"""The service plan: problems, goals with objectives and interventions, and the review date."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from caseflow import Form, hookimpl
from caseflow.core.formfields import (
    choice,
    client_id,
    date,
    document,
    item_id,
    list_of,
    record,
    staff,
    text,
)

DOMAINS = [
    "housing",
    "education",
    "employment",
    "medical",
    "mental-health",
    "substance-use",
    "legal",
    "financial",
    "social",
    "daily-living",
    "other",
]
RESPONSIBLE = text("Responsible party", min_length=1)

OBJECTIVE = record(
    "Objective",
    {
        "id": item_id("Objective id"),
        "statement": text("Objective", min_length=1),
        "measure": text("How it is measured"),
        "target_date": date("Target date"),
        "responsible": RESPONSIBLE,
        "status": choice("Status", ["open", "met", "not-met", "dropped"]),
    },
    ["id", "statement", "target_date", "responsible"],
)

INTERVENTION = record(
    "Intervention",
    {
        "id": item_id("Intervention id"),
        "action": text("Intervention", min_length=1),
        "responsible": RESPONSIBLE,
        "frequency": text("Frequency"),
        "provider": item_id("Provider id"),
    },
    ["id", "action", "responsible"],
)

GOAL = record(
    "Goal",
    {
        "id": item_id("Goal id"),
        "title": text("Goal", min_length=1),
        "problem": item_id("Problem addressed"),
        "domain": choice("Domain", DOMAINS),
        "client_words": text("In the client's words"),
        "status": choice("Status", ["active", "met", "revised", "discontinued"]),
        "target_date": date("Target date"),
        "objectives": list_of("Objectives", OBJECTIVE),
        "interventions": list_of("Interventions", INTERVENTION),
    },
    ["id", "title", "status"],
)

PLAN_SCHEMA = document(
    "Service plan",
    "core.plan",
    {
        "client": client_id(),
        "created": date("Created"),
        "author": staff("Author"),
        "review_date": date("Plan review date"),
        "strengths": list_of("Strengths", text("Strength", min_length=1)),
        "problems": list_of(
            "Problems",
            record(
                "Problem",
                {
                    "id": item_id("Problem id"),
                    "statement": text("Problem", min_length=1),
                    "domain": choice("Domain", DOMAINS),
                },
                ["id", "statement"],
            ),
        ),
        "goals": list_of("Goals", GOAL),
    },
    ["client", "review_date", "goals"],
)


def summarize_plan(data: Mapping[str, Any]) -> Mapping[str, Any]:
    goals = [g for g in data.get("goals") or [] if isinstance(g, Mapping)]
    return {
        "review_date": data.get("review_date"),
        "goals": len(goals),
        "active_goals": sum(1 for g in goals if g.get("status") == "active"),
    }


@hookimpl(trylast=True)
def register_forms() -> list[Form]:
    return [
        Form(
            id="core.plan",
            title="Service plan",
            kind="yaml",
            path="plan.yaml",
            schema=PLAN_SCHEMA,
            skeleton="forms/plan.yaml.j2",
            description="Problems, goals, objectives (target date, responsible party), interventions, review date.",
            summarize=summarize_plan,
        )
    ]
