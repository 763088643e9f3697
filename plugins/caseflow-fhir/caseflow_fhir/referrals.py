"""ServiceRequest + Task per referral: the SDOH Clinical Care pattern (standards §2.1).

The ServiceRequest is what was asked for; the Task is the request to that provider and where it
stands. caseflow's referral statuses are FHIR Task codes, so Task.status is the referral's status
and its history becomes the Task's notes (FHIR keeps no status history on a Task itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from caseflow_fhir.care import care_plan_id
from caseflow_fhir.common import Context, Resource, concept, day, ref, require, resource_id, text

TASK_STATUSES = (
    "draft",
    "requested",
    "received",
    "accepted",
    "rejected",
    "ready",
    "cancelled",
    "in-progress",
    "on-hold",
    "failed",
    "completed",
    "entered-in-error",
)
#: Task status -> ServiceRequest status: the request stands until it is done or called off.
REQUEST_STATUS = {
    "draft": "draft",
    "requested": "active",
    "received": "active",
    "accepted": "active",
    "ready": "active",
    "in-progress": "active",
    "on-hold": "on-hold",
    "completed": "completed",
    "rejected": "revoked",
    "cancelled": "revoked",
    "failed": "revoked",
    "entered-in-error": "entered-in-error",
}


def referral_resources(ctx: Context) -> list[Resource]:
    resources: list[Resource] = []
    for document in ctx.documents("core.referral"):
        if text(document.data.get("id")):
            resources += [service_request(ctx, document.data), task(ctx, document.data)]
    return resources


def service_request(ctx: Context, data: Mapping[str, Any]) -> Resource:
    referral_id = str(data["id"])
    status = require(text(data.get("status")), TASK_STATUSES, f"referral {referral_id} status")
    consent = text(data.get("consent"))
    return {
        "resourceType": "ServiceRequest",
        "id": resource_id("ref", referral_id),
        "identifier": [{"system": "urn:caseflow:referral", "value": referral_id}],
        "basedOn": [ref("CarePlan", care_plan_id(ctx))] if ctx.has_plan else [],
        "status": REQUEST_STATUS[status],
        "intent": "order",
        "category": [concept(data.get("category"))],
        "code": concept(data.get("service")),
        "subject": ctx.patient,
        "authoredOn": day(data.get("requested_on")),
        "requester": ctx.staff(data.get("requested_by")),
        "performer": [ctx.provider(data.get("provider"), data.get("provider_name"))],
        "reasonCode": [concept(data.get("reason"))],
        "supportingInfo": [ref("Consent", resource_id("consent", consent))]
        if consent and consent in ctx.consent_ids
        else [],
    }


def task(ctx: Context, data: Mapping[str, Any]) -> Resource:
    referral_id = str(data["id"])
    history = [h for h in data.get("history") or [] if isinstance(h, Mapping)]
    return {
        "resourceType": "Task",
        "id": resource_id("task", referral_id),
        "identifier": [{"system": "urn:caseflow:referral", "value": referral_id}],
        "status": require(text(data.get("status")), TASK_STATUSES, f"referral {referral_id} status"),
        "intent": "order",
        "focus": ref("ServiceRequest", resource_id("ref", referral_id)),
        "for": ctx.patient,
        "authoredOn": day(data.get("requested_on")),
        "lastModified": day(history[-1].get("on")) if history else None,
        "requester": ctx.staff(data.get("requested_by")),
        "owner": ctx.provider(data.get("provider"), data.get("provider_name")),
        "note": [history_note(ctx, h) for h in history],
        "output": [{"type": {"text": "outcome"}, "valueString": text(data.get("outcome"))}]
        if text(data.get("outcome"))
        else [],
    }


def history_note(ctx: Context, entry: Mapping[str, Any]) -> dict[str, Any]:
    """One status change as an annotation: "accepted: Assigned to ...", dated, by its author."""
    words = ": ".join(w for w in (text(entry.get("status")), text(entry.get("note"))) if w)
    author = ctx.staff(entry.get("by"))
    return {"time": day(entry.get("on")), "authorString": author["display"] if author else None, "text": words}
