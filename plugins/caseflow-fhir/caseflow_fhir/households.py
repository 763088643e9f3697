"""Group and the family plan's CarePlan: the client's household (standards §2.4, households).

The consent rule is applied before the mapping sees anything (caseflow's
``ExportInputs.households``): the Group lists the client and, in an export to a recipient, the
other clients whose own release covers "Household membership" there; each other member, and
every member who is not a client, is only part of ``quantity``. Members other than the client
are named by their client id (a logical reference by identifier), never by a resource of theirs.
The family plan's CarePlan has the Group as its subject; its activities are the objectives of
the members shown (the others are left out), each performed by its member.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from caseflow_fhir.care import GOAL_LIFECYCLE, GOAL_STATUS
from caseflow_fhir.common import Context, Resource, concept, day, ref, require, resource_id, text

CLIENT_SYSTEM = "urn:caseflow:client"
OBJECTIVE_STATUS = {"open": "in-progress", "met": "completed", "not-met": "stopped", "dropped": "cancelled"}


def household_resources(ctx: Context) -> list[Resource]:
    resources: list[Resource] = []
    for share in ctx.inputs.households:
        household_id = str(share["id"])
        group_id = resource_id("household", household_id)
        group = ref("Group", group_id)
        by_member = {str(m["member"]): m for m in share.get("members") or []}
        resources.append(
            {
                "resourceType": "Group",
                "id": group_id,
                "identifier": [{"system": "urn:caseflow:household", "value": household_id}],
                "type": "person",
                "actual": True,
                "name": f"Household {household_id}",
                "quantity": int(share.get("quantity") or 0),
                "member": [{"entity": _member(ctx, m)} for m in by_member.values()],
            }
        )
        plan = share.get("plan")
        if isinstance(plan, Mapping):
            resources += _family_plan(ctx, household_id, group, plan, by_member)
    return resources


def _member(ctx: Context, member: Mapping[str, Any]) -> dict[str, Any]:
    if member.get("client") == ctx.client_id:
        return ctx.patient
    return {"identifier": {"system": CLIENT_SYSTEM, "value": str(member.get("client"))}, "type": "Patient"}


def _family_plan(
    ctx: Context, household_id: str, group: dict[str, str], plan: Mapping[str, Any], shown: Mapping[str, Any]
) -> list[Resource]:
    goals: list[Resource] = []
    activities = []
    for data in plan.get("goals") or []:
        if not isinstance(data, Mapping) or not text(data.get("id")):
            continue
        status = str(data.get("status"))
        lifecycle, _ = GOAL_STATUS.get(status, (status, None))
        require(lifecycle, GOAL_LIFECYCLE, f"family goal {data['id']} status")
        goal_id = resource_id("family-goal", household_id, str(data["id"]))
        goals.append(
            {
                "resourceType": "Goal",
                "id": goal_id,
                "lifecycleStatus": lifecycle,
                "category": [concept(data.get("domain"))],
                "description": {"text": text(data.get("title")) or str(data["id"])},
                "subject": group,
            }
        )
        for objective in data.get("objectives") or []:
            member = shown.get(str(objective.get("member")))
            if member is None:
                continue  # (caseflow passes only these; never trust that alone)
            activities.append(
                {
                    "detail": {
                        "status": OBJECTIVE_STATUS.get(str(objective.get("status") or "open"), "not-started"),
                        "description": text(objective.get("statement")),
                        "goal": [ref("Goal", goal_id)],
                        "scheduledString": day(objective.get("target_date")),
                        "performer": [_member(ctx, member)],
                    }
                }
            )
    care_plan = {
        "resourceType": "CarePlan",
        "id": resource_id("family-plan", household_id),
        "status": "active" if plan.get("status") == "approved" else "draft",  # in force once approved
        "intent": "plan",
        "title": "Family plan",
        "subject": group,
        "created": day(plan.get("created")),
        "author": ctx.staff(plan.get("author")),
        "goal": [ref("Goal", g["id"]) for g in goals],
        "activity": activities,
        "note": [{"text": f"Review due {day(plan.get('review_date'))}"}] if day(plan.get("review_date")) else [],
    }
    return [care_plan, *goals]
