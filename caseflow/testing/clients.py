"""Builders of valid clients: ``make_client(repo, stage="planning")`` for a plugin author's tests.

Each document is made the way staff would make it, through the repository's services (intake,
``new``, ``screen``, ``approve``, ``advance``), so what a test gets is exactly what the default
workflow's requirements accept, and it stays so when those requirements change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caseflow.repo import CaseRepo

#: The default workflow's stages in the order a client goes through them (discharge aside).
STAGES = ("intake", "evaluation", "planning", "active", "review")

INTERVIEW = "# Intake interview\n\n## Presenting concerns\n\nLow mood since losing her job in the spring.\n"
#: A PHQ-9 with item 9 at 0: a standardized screening and a suicide-risk screen at once.
PHQ9_ANSWERS = "2,2,1,1,1,1,1,1,0"


def make_client(
    repo: CaseRepo,
    stage: str = "intake",
    *,
    name: str = "Ana Example",
    dob: str = "1990-04-02",
    worker: str = "casey",
    supervisor: str = "sam",
) -> str:
    """A new client of ``worker`` moved on to ``stage`` of the default workflow; returns the client id.

    intake: the client record (with a phone); evaluation: a treatment consent too; planning: the
    intake interview and a PHQ-9; active: a goal with a measurable objective, the plan approved by
    ``supervisor``; review: moved on to the periodic review. Every step is one commit, dated the
    repository's today (``CASEFLOW_TODAY`` fixes it).
    """
    if stage not in STAGES:
        raise ValueError(f"make_client builds clients in {', '.join(STAGES)}, not {stage!r}")
    actor = repo.actor(worker)
    client = repo.records.intake(actor, name=name, dob=dob, worker=worker, phone="555-0100", new_person=True)
    target = STAGES.index(stage)
    if target >= 1:
        consent = ("kind=treatment", f"patient_name={name}", f"signed_by.name={name}")
        repo.records.new_document(actor, client, "core.consent", fields=list(consent))
        repo.workflow.advance(actor, client, "evaluation")
    if target >= 2:
        from caseflow.evaluation.screening import parse_answers

        repo.records.new_document(actor, client, "core.intake-interview", body=INTERVIEW)
        phq9 = repo.host.instruments()["instruments.phq9"]
        repo.evaluation.screen(actor, client, "phq9", parse_answers(phq9, PHQ9_ANSWERS))
        repo.workflow.advance(actor, client, "planning")
    if target >= 3:
        goal = ["goals[+].id=g1", "goals[g1].title=Stable housing", "goals[g1].status=active"]
        repo.records.set_fields(actor, client, "plan.yaml", goal)
        objective = [
            "goals[g1].objectives[+].id=g1-o1",
            "goals[g1].objectives[g1-o1].statement=Apply for housing",
            f"goals[g1].objectives[g1-o1].target_date={repo.today().replace(year=repo.today().year + 1).isoformat()}",
            "goals[g1].objectives[g1-o1].responsible=client and case manager",
        ]
        repo.records.set_fields(actor, client, "plan.yaml", objective)
        repo.workflow.approve(repo.actor(supervisor), client, "plan.yaml")
        repo.workflow.advance(actor, client, "active")
    if target >= 4:
        repo.workflow.advance(actor, client, "review")
    return client
