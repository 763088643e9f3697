"""``core.behavioral-health``: the default workflow, from the work itself.

intake -> evaluation -> planning -> active <-> review, then discharged (which can be reopened).
A case can be discharged from any stage; what that needs depends on the discharge's reason.
"""

from __future__ import annotations

from caseflow import Requirement, Stage, Transition, Workflow, hookimpl
from caseflow.records.discharge_form import reason_codes

PLAN = {"form": "core.plan", "title": "the service plan"}
DISCHARGE = {
    "form": "core.discharge",
    "title": "a discharge summary",
    # a summary needs its reason and outcome to be valid: the bare skeleton would not be
    "command": 'caseflow new {client} core.discharge --field reason=completed --field "outcome=Goals met"',
}

#: (approval is not something ``caseflow new`` writes: its check takes no command)
DISCHARGE_APPROVED = {key: value for key, value in DISCHARGE.items() if key != "command"}


def _if_reason(*reasons: str) -> dict[str, object]:
    """Applies when the discharge gives one of ``reasons`` (or an older code meaning the same)."""
    return {"form": "core.discharge", "field": "reason", "in": [c for r in reasons for c in reason_codes(r)]}


#: Every discharge: the summary, valid (a reason and a date); then what each reason needs. A case
#: that ends as planned shows how each goal ended, closes its referrals and is approved; one that
#: ends because the client stopped answering shows the attempts to reach them; a transfer says to whom.
#: A death or a move needs nothing more than the summary with its date.
DISCHARGE_REQUIREMENTS = (
    Requirement("document_valid", DISCHARGE),
    Requirement("discharge_goals_reviewed", when=_if_reason("completed")),
    Requirement("no_open_referrals", when=_if_reason("completed")),
    Requirement("approved", DISCHARGE_APPROVED, when=_if_reason("completed", "incarcerated", "other")),
    Requirement("contact_attempts", {"count": 2, "days": 30}, when=_if_reason("lost-contact")),
    Requirement(
        "field_given",
        {"form": "core.discharge", "field": "transferred_to", "title": "to whom the client was transferred"},
        when=_if_reason("transferred"),
    ),
)

#: Stages a case can be closed from before its services have started.
EARLY_STAGES = ("intake", "evaluation", "planning")

BEHAVIORAL_HEALTH = Workflow(
    id="core.behavioral-health",
    title="Behavioral-health case management",
    stages=(
        Stage(
            "intake",
            "Intake",
            exit_requirements=(Requirement("identity_complete"), Requirement("consent_on_file", {"kind": "treatment"})),
        ),
        Stage(
            "evaluation",
            "Evaluation",
            exit_requirements=(
                Requirement("document_exists", {"form": "core.intake-interview", "title": "an intake interview note"}),
                Requirement("screened_within", {"days": 90}),
                Requirement(
                    "screened_within",
                    {
                        "instruments": ["instruments.cssrs", "instruments.phq9"],
                        "days": 90,
                        "title": "a suicide-risk screen (C-SSRS or PHQ-9)",
                    },
                ),
                Requirement("suicide_risk_followed_up"),
            ),
        ),
        Stage(
            "planning",
            "Planning",
            exit_requirements=(
                Requirement("document_valid", PLAN),
                Requirement("plan_has_measurable_goal"),
                Requirement("referrals_serve_plan_goals"),
                Requirement("approved", PLAN),
            ),
            on_enter_create=("core.plan",),
        ),
        Stage("active", "Active services and monitoring"),
        Stage("review", "Periodic plan review"),
        Stage("discharged", "Discharged", final=True),
    ),
    transitions=(
        Transition("intake", "evaluation"),
        Transition("evaluation", "planning"),
        Transition("planning", "active"),
        Transition("active", "review"),
        Transition(
            "review",
            "active",
            requirements=(
                # the review itself: a rescreen and the plan approved again, both during this review
                Requirement("screened_within", {"days": 30, "title": "a rescreen", "since_stage_entry": True}),
                Requirement("document_valid", PLAN),
                Requirement("referrals_serve_plan_goals"),
                Requirement("approved", {**PLAN, "since_stage_entry": True}),
            ),
        ),
        # Closing is not moving on: a stage's exit requirements do not hold a case that ends there.
        # Closing before the work is done is not moving on: the exit requirements of intake,
        # evaluation and planning do not hold a case that ends there (and `advance` without --to
        # never takes such a move).
        *(Transition(s, "discharged", DISCHARGE_REQUIREMENTS, exit_requirements=False) for s in EARLY_STAGES),
        Transition("active", "discharged", requirements=DISCHARGE_REQUIREMENTS),
        Transition("review", "discharged", requirements=DISCHARGE_REQUIREMENTS),
        Transition("discharged", "intake", reason_required=True),
    ),
    monitoring={
        # A risk flag sets the client's risk level, and the level sets how often to make contact.
        "risk_by_flag": {"Suicide risk": "high", "Recent psychiatric hospitalization": "high"},
        "contact_days_by_risk": {"high": 7, "moderate": 14, "low": 30},
        "rescreen_days": {"instruments.phq9": 30, "instruments.gad7": 30},
        # The plan's review_date, or this many days after its approval when it names none.
        "plan_review_days": 90,
        # A referral waiting on someone (draft .. accepted) with no status change this long is chased.
        "referral_stale_days": 14,
        "missed_appointment_followup_days": 2,  # a contact after a missed appointment
        "post_discharge_followup_days": 7,  # a contact after a hospital discharge (the 7-day measure)
        "consent_expiry_warning_days": 30,  # an expiring release shows this long before
    },
)


@hookimpl(trylast=True)
def register_workflows() -> list[Workflow]:
    return [BEHAVIORAL_HEALTH]
