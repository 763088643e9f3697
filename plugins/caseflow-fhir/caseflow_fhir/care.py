"""EpisodeOfCare, CarePlan and Goals: the client's enrollment and service plan (standards §2.4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from caseflow_fhir.common import Context, Resource, concept, day, ref, require, resource_id, text

#: caseflow goal status -> (Goal.lifecycleStatus, achievementStatus code or None).
#: "revised" and "discontinued" both end a goal without meeting it: FHIR's word is cancelled,
#: and the caseflow word is kept in statusReason so nothing is lost.
GOAL_STATUS = {
    "active": ("active", None),
    "met": ("completed", "achieved"),
    "revised": ("cancelled", None),
    "discontinued": ("cancelled", None),
}
GOAL_LIFECYCLE = ("proposed", "planned", "accepted", "active", "on-hold", "completed", "cancelled")
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"


def episode_of_care(ctx: Context) -> Resource:
    """Finished once the client is discharged (the end is the day of that stage change)."""
    record = ctx.inputs.case.record
    discharged = record.get("stage") == "discharged"
    ended = None
    if discharged:
        history = [h for h in record.get("stage_history") or [] if isinstance(h, Mapping)]
        ended = next((day(h.get("on")) for h in reversed(history) if h.get("to") == "discharged"), None)
    return {
        "resourceType": "EpisodeOfCare",
        "id": resource_id("episode", ctx.client_id),
        "status": "finished" if discharged else "active",
        "patient": ctx.patient,
        "managingOrganization": {"display": ctx.inputs.agency} if text(ctx.inputs.agency) else None,
        "period": {"start": day(record.get("intake_date")), "end": ended},
        "careManager": ctx.staff(record.get("assigned_worker")),
    }


def plan_resources(ctx: Context) -> list[Resource]:
    """The CarePlan and one Goal per plan goal; referrals made for the plan are its activities."""
    resources: list[Resource] = []
    for document in ctx.documents("core.plan"):
        plan = document.data
        goals = [g for g in plan.get("goals") or [] if isinstance(g, Mapping) and text(g.get("id"))]
        goal_resources = [goal(ctx, g) for g in goals]
        activities = [{"reference": ref("ServiceRequest", resource_id("ref", r))} for r in sorted(ctx.referral_ids)]
        resources.append(
            {
                "resourceType": "CarePlan",
                "id": care_plan_id(ctx),
                "status": "active",
                "intent": "plan",
                "subject": ctx.patient,
                "created": day(plan.get("created")),
                "author": ctx.staff(plan.get("author")),
                "goal": [ref("Goal", g["id"]) for g in goal_resources],
                "activity": activities,
                "note": [{"text": f"Review due {day(plan.get('review_date'))}"}]
                if day(plan.get("review_date"))
                else [],
            }
        )
        resources += goal_resources
        break  # one plan per client (a singleton form)
    return resources


def care_plan_id(ctx: Context) -> str:
    return resource_id("plan", ctx.client_id)


def goal(ctx: Context, data: Mapping[str, Any]) -> Resource:
    status = str(data.get("status"))
    lifecycle, achievement = GOAL_STATUS.get(status, (status, None))
    require(lifecycle, GOAL_LIFECYCLE, f"goal {data['id']} status")
    return {
        "resourceType": "Goal",
        "id": resource_id("goal", ctx.client_id, str(data["id"])),
        "identifier": [{"system": f"urn:caseflow:goal:{ctx.client_id}", "value": str(data["id"])}],
        "lifecycleStatus": lifecycle,
        "achievementStatus": {"coding": [{"system": GOAL_ACHIEVEMENT, "code": achievement}]} if achievement else None,
        "statusReason": status if lifecycle == "cancelled" else None,
        "category": [concept(data.get("domain"))],
        "description": {"text": text(data.get("title")) or str(data["id"])},
        "subject": ctx.patient,
        "note": [{"text": text(data.get("client_words"))}] if text(data.get("client_words")) else [],
    }
