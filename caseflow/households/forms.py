"""The household forms: the household record, the family plan and a family contact note.

They are not registered through ``register_forms`` (whose paths are inside a client folder):
they live under ``households/<id>/`` and this package validates them with the same checker.
"""

from __future__ import annotations

import copy
from typing import Any

from caseflow.core.formfields import (
    choice,
    client_id,
    date,
    document,
    integer,
    item_id,
    list_of,
    record,
    staff,
    text,
)
from caseflow.core.forms import Form
from caseflow.followup.note_forms import CONTACT_TYPES
from caseflow.records.plan_form import GOAL
from caseflow.workflow.approval_form import DECISION

HOUSEHOLD_FORM = "core.household"
FAMILY_PLAN_FORM = "core.family-plan"
FAMILY_CONTACT_FORM = "core.family-contact"
HOUSEHOLD_APPROVALS_FORM = "core.household-approvals"
HOUSEHOLD_ID_PATTERN = r"^H-[0-9A-Z]{4,12}$"

RELATIONSHIPS = [
    "self",
    "head",
    "spouse",
    "partner",
    "parent",
    "child",
    "stepchild",
    "foster-child",
    "sibling",
    "grandparent",
    "grandchild",
    "guardian",
    "other-relative",
    "other",
]

MEMBER = record(
    "Member",
    {
        "id": item_id("Member id"),
        "client": client_id("Client id"),
        "name": text("Name", phi=True, min_length=1),
        "relationship": choice("Relationship", RELATIONSHIPS),
        "birth_year": {**integer("Birth year", 1900, 2100), "x-phi": True},
    },
    ["id"],
)
# A member is a client (by id) or a person who is not one (a name, no client id): never both.
MEMBER["oneOf"] = [
    {"required": ["client"], "not": {"anyOf": [{"required": ["name"]}, {"required": ["birth_year"]}]}},
    {"required": ["name", "relationship"], "not": {"required": ["client"]}},
]

HOUSEHOLD_SCHEMA = document(
    "Household",
    HOUSEHOLD_FORM,
    {
        "id": {"type": "string", "pattern": HOUSEHOLD_ID_PATTERN, "title": "Household id"},
        "created": date("Created"),
        "worker": staff("Responsible case manager"),
        "members": list_of("Members", MEMBER, min_items=1),
    },
    ["id", "created", "members"],
)


def _family_goal() -> dict[str, Any]:
    """The plan's goal, each objective naming the household member responsible for it."""
    goal = copy.deepcopy(GOAL)
    objective = goal["properties"]["objectives"]["items"]
    objective["properties"]["member"] = item_id("Responsible member")
    objective["required"] = [*objective["required"], "member"]
    return goal


FAMILY_PLAN_SCHEMA = document(
    "Family plan",
    FAMILY_PLAN_FORM,
    {
        "household": {"type": "string", "pattern": HOUSEHOLD_ID_PATTERN, "title": "Household"},
        "created": date("Created"),
        "author": staff("Author"),
        "review_date": date("Family plan review date"),
        "strengths": list_of("Strengths", text("Strength", min_length=1)),
        "goals": list_of("Goals", _family_goal()),
    },
    ["household", "review_date", "goals"],
)

FAMILY_CONTACT_SCHEMA = document(
    "Family contact",
    FAMILY_CONTACT_FORM,
    {
        "household": {"type": "string", "pattern": HOUSEHOLD_ID_PATTERN, "title": "Household"},
        "date": date("Contact date"),
        "type": choice("Contact type", CONTACT_TYPES),
        "duration_minutes": integer("Duration (minutes)", 1, 1440),
        "author": staff("Author"),
        "present": list_of("Members present", item_id("Member id"), min_items=1),
        "goals": list_of("Family plan goals addressed", item_id("Goal id")),
    },
    ["household", "date", "type", "author", "present"],
)

HOUSEHOLD_APPROVALS_SCHEMA = document(
    "Household approvals",
    HOUSEHOLD_APPROVALS_FORM,
    {
        "household": {"type": "string", "pattern": HOUSEHOLD_ID_PATTERN, "title": "Household"},
        "approvals": list_of("Decisions", DECISION),
    },
    ["household", "approvals"],
)

#: The forms, by id; paths are inside ``households/<id>/``.
HOUSEHOLD_FORMS: dict[str, Form] = {
    form.id: form
    for form in (
        Form(
            id=HOUSEHOLD_FORM,
            title="Household",
            kind="yaml",
            path="household.yaml",
            schema=HOUSEHOLD_SCHEMA,
            skeleton="forms/household.yaml.j2",
            description="Members (clients by id; other people by name, relationship, birth year).",
        ),
        Form(
            id=FAMILY_PLAN_FORM,
            title="Family plan",
            kind="yaml",
            path="family-plan.yaml",
            schema=FAMILY_PLAN_SCHEMA,
            skeleton="forms/family-plan.yaml.j2",
            description="Household goals and objectives, each with its responsible member; review date.",
        ),
        Form(
            id=FAMILY_CONTACT_FORM,
            title="Family contact",
            kind="markdown",
            path="contacts/{date}-{type}.md",
            schema=FAMILY_CONTACT_SCHEMA,
            skeleton="forms/family-contact.md.j2",
            description="A contact with the family, once; linked from each client present.",
        ),
        Form(
            id=HOUSEHOLD_APPROVALS_FORM,
            title="Household approvals",
            kind="yaml",
            path="approvals.yaml",
            schema=HOUSEHOLD_APPROVALS_SCHEMA,
            skeleton="forms/approvals.yaml.j2",
            description="Supervisors' decisions on the family plan, each bound to the git blob id it judged.",
        ),
    )
}
