"""The workflow engine: every transition of the default workflow, requirements, approvals, timeline."""
# A PHQ-9 counts as a standardized screening and, with its item 9, as a suicide-risk screen.

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from caseflow import (
    CaseRepo,
    CaseView,
    Check,
    DocumentError,
    NotAllowed,
    NotFound,
    PluginError,
    Requirement,
    Stage,
    StageChange,
    Transition,
    UsageError,
    Workflow,
    WorkflowExtension,
    hookimpl,
    open_repo,
)
from caseflow.evaluation.screening import parse_answers, screen
from caseflow.testing import ONLY_BUILTIN_PLUGINS, Result, git
from caseflow.workflow.engine import RequirementsNotMet, advance, evaluate


class Recorder:
    def __init__(self, veto: str | None = None) -> None:
        self.veto = veto
        self.changes: list[StageChange] = []
        self.asked: list[tuple[str, str, str, str]] = []

    @hookimpl
    def before_stage_change(self, case: CaseView, source: str, target: str) -> str | None:
        self.asked.append((case.client_id, case.record["stage"], source, target))
        return self.veto if target == "evaluation" else None

    @hookimpl
    def after_stage_change(self, change: StageChange) -> None:
        self.changes.append(change)


@pytest.fixture
def repo(case_repo: Callable[..., Path]) -> CaseRepo:
    return open_repo(case_repo(), environ=ONLY_BUILTIN_PLUGINS)


#: What a person writes under the interview's headings (a note left as its skeleton counts for nothing).
INTERVIEW = "# Intake interview\n\n## Presenting concerns\n\nLow mood since losing her job in the spring.\n"


def new(repo: CaseRepo, staff: str, client_id: str, form: str, *fields: str, body: str | None = None) -> str:
    return repo.records.new_document(repo.actor(staff), client_id, form, fields=list(fields), body=body).path


def write(repo: CaseRepo, client_id: str, inner: str, text: str, who: str = "casey") -> None:
    """A document written by hand and committed by a person (the way screenings arrive for now)."""
    path = repo.root / "clients" / client_id / inner
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    member = repo.config.staff_member(who)
    assert member is not None
    git(repo.root, "add", str(path))
    git(repo.root, "-c", f"user.name={member.name}", "-c", f"user.email={member.email}", "commit", "-qm", "hand edit")


def treatment_consent(repo: CaseRepo, client_id: str) -> str:
    """The client's signed consent to services, recorded by Casey."""
    fields = ("kind=treatment", "patient_name=Ana Example", "signed_by.name=Ana Example")
    return new(repo, "casey", client_id, "core.consent", *fields)


def missing(repo: CaseRepo, client_id: str, to: str | None = None) -> list[str]:
    with pytest.raises(RequirementsNotMet) as caught:
        advance(repo, repo.actor("casey"), client_id, to)
    return caught.value.evaluation.missing()


def test_a_client_goes_from_intake_to_discharged_and_back(repo: CaseRepo) -> None:
    casey, sam = repo.actor("casey"), repo.actor("sam")
    client = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    today = repo.today().isoformat()

    # intake -> evaluation: identity and treatment consent, both reported at once
    assert missing(repo, client) == [
        "client.yaml needs a way to reach the client (phone, email or address)",
        f"no active treatment consent on file (caseflow consent {client} --treatment)",
    ]
    repo.records.set_fields(casey, client, "client.yaml", ["phone=555-0100"])
    treatment_consent(repo, client)
    assert advance(repo, casey, client)[1].target == "evaluation"

    # evaluation -> planning: interview, a screening, a suicide-risk screen
    assert len(missing(repo, client)) == 3
    new(repo, "casey", client, "core.intake-interview", body=INTERVIEW)
    phq9 = repo.host.instruments()["instruments.phq9"]
    screen(repo, casey, client, "phq9", parse_answers(phq9, "2,2,1,1,1,1,1,1,0"))  # a PHQ-9 is both
    evaluation, change = advance(repo, casey, client)
    assert (change.source, change.target) == ("evaluation", "planning")
    assert all(r.met for r in evaluation.requirements)
    # entering planning created plan.yaml from its skeleton, in the same commit as the stage change
    assert git(repo.root, "show", "--name-only", "--format=", "HEAD").split() == [
        f"clients/{client}/client.yaml",
        f"clients/{client}/plan.yaml",
    ]

    # planning -> active: a measurable goal, approved at the current version
    assert missing(repo, client) == [
        "the plan needs at least one goal with an objective that has a target date and a responsible party",
        f"plan.yaml is not approved yet (a supervisor runs: caseflow approve {client} plan.yaml)",
    ]
    goal = ["goals[+].id=g1", "goals[g1].title=Stable housing", "goals[g1].status=active"]
    repo.records.set_fields(casey, client, "plan.yaml", goal)
    objective = [
        "id=g1-o1",
        "statement=Apply for housing",
        "target_date=2026-12-01",
        "responsible=client and case manager",
    ]
    repo.records.set_fields(
        casey,
        client,
        "plan.yaml",
        [f"goals[g1].objectives[+].{objective[0]}", *(f"goals[g1].objectives[g1-o1].{f}" for f in objective[1:])],
    )
    repo.workflow.approve(sam, client, "plan.yaml")
    assert advance(repo, casey, client)[1].target == "active"

    # active -> review -> active: a rescreen and the plan re-approved after its revision
    with pytest.raises(UsageError, match="can go to review or discharged: say which with --to"):
        advance(repo, casey, client)
    advance(repo, casey, client, "review")
    repo.records.set_fields(casey, client, "plan.yaml", ["review_date=2027-03-01"])
    assert missing(repo, client, "active") == [
        f"plan.yaml changed after it was approved by sam on {today}; it needs approval again"
    ]
    repo.workflow.approve(sam, client, "plan.yaml")
    advance(repo, casey, client, "active")

    # active -> discharged: a discharge summary, no open referral, approved
    new(
        repo,
        "casey",
        client,
        "core.referral",
        "provider=eastside",
        "service=Counseling",
        "category=counseling",
        "status=requested",
    )
    new(repo, "casey", client, "core.discharge", "reason=goals-met", "outcome=Housed and back at school")
    unmet = missing(repo, client, "discharged")
    assert any("is still requested" in line for line in unmet)
    assert (
        f"the discharge gives no outcome for plan goal g1 (caseflow discharge {client} --reason completed "
        "--goal g1=met)" in unmet
    )
    repo.records.set_fields(casey, client, "discharge.yaml", ["goals[+].goal=g1", "goals[0].status=met"])
    assert any(line.startswith("discharge.yaml is not approved") for line in unmet)
    referral = next(p for p in (repo.root / "clients" / client / "referrals").iterdir())
    repo.records.set_fields(casey, client, f"referrals/{referral.name}", ["status=completed"])
    repo.workflow.approve(sam, client, "discharge.yaml")
    advance(repo, casey, client, "discharged")

    # discharged -> intake: only with a reason
    assert missing(repo, client) == ["moving from discharged to intake needs a reason (--reason TEXT)"]
    advance(repo, casey, client, reason="client asked to come back")
    history = repo.client_record(client)["stage_history"]
    assert [h["to"] for h in history] == [
        "intake",
        "evaluation",
        "planning",
        "active",
        "review",
        "active",
        "discharged",
        "intake",
    ]
    assert history[-1]["reason"] == "client asked to come back" and history[-1]["by"] == "casey"
    assert repo.validate().ok


def test_unknown_and_disallowed_stages(repo: CaseRepo) -> None:
    client = repo.records.intake(repo.actor("casey"), name="Ana Example", dob="1990-04-02")
    with pytest.raises(NotFound, match="no stage 'limbo'"):
        evaluate(repo, client, "limbo")
    with pytest.raises(Exception, match="does not allow intake -> active; from intake a client can go to evaluation"):
        evaluate(repo, client, "active")


def test_plugins_veto_and_hear_about_stage_changes(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    veto = Recorder(veto="the county requires a signed release first")
    repo = open_repo(path, environ=ONLY_BUILTIN_PLUGINS, plugins=[veto])
    casey = repo.actor("casey")
    client = repo.records.intake(casey, name="Ana Example", dob="1990-04-02", phone="555-0100")
    treatment_consent(repo, client)
    before = git(path, "rev-parse", "HEAD")
    assert missing(repo, client) == ["refused by a plugin: the county requires a signed release first [Recorder]"]
    assert veto.asked == [(client, "intake", "intake", "evaluation")]  # the case as the requirements saw it
    assert git(path, "rev-parse", "HEAD") == before
    listener = Recorder()
    repo = open_repo(path, environ=ONLY_BUILTIN_PLUGINS, plugins=[listener])
    advance(repo, casey, client)
    [change] = listener.changes
    assert (change.source, change.target, change.by) == ("intake", "evaluation", "casey")
    assert change.commit == git(path, "rev-parse", "HEAD").strip()


# -- approvals ----------------------------------------------------------------------------------


def planned_client(repo: CaseRepo) -> str:
    casey = repo.actor("casey")
    client = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    new(repo, "casey", client, "core.plan")
    return client


def test_approvals_are_bound_to_the_version_and_go_stale(repo: CaseRepo) -> None:
    client = planned_client(repo)
    saved = repo.workflow.approve(repo.actor("sam"), client, "plan.yaml", comment="Looks right")
    assert git(repo.root, "log", "-1", "--format=%an|%s").strip() == f"Sam Whitfield|approve {client}"
    case = repo.case(client)
    [decision] = case.approvals
    assert decision.blob == case.document("plan.yaml").blob and decision.by == "sam"
    assert saved.path.endswith("approvals.yaml")
    repo.records.set_fields(repo.actor("casey"), client, "plan.yaml", ["review_date=2027-01-01"])
    case = repo.case(client)
    assert case.latest_decision("plan.yaml").blob != case.document("plan.yaml").blob  # stale, by itself


def test_rejection_reaches_the_author(repo: CaseRepo) -> None:
    client = planned_client(repo)
    with pytest.raises(UsageError, match="needs a comment"):
        repo.workflow.reject(repo.actor("sam"), client, "plan.yaml", comment=" ")
    repo.workflow.reject(repo.actor("sam"), client, "plan.yaml", comment="Add a housing goal")
    checks = repo.host.checks()
    assert checks["approved"].evaluate(repo.case(client), {"form": "core.plan"}) == [
        "plan.yaml was sent back by sam: Add a housing goal"
    ]
    [returned] = repo.workflow.sent_back(client)
    assert (returned.document, returned.by, returned.comment) == ("plan.yaml", "sam", "Add a housing goal")
    repo.workflow.approve(repo.actor("sam"), client, "plan.yaml")
    assert repo.workflow.sent_back(client) == []


def test_who_may_approve(repo: CaseRepo, case_repo: Callable[..., Path]) -> None:
    client = planned_client(repo)
    with pytest.raises(NotAllowed, match="casey is a case_manager; only supervisor, director may approve"):
        repo.workflow.approve(repo.actor("casey"), client, "plan.yaml")
    repo.records.set_fields(repo.actor("sam"), client, "plan.yaml", ["review_date=2027-01-01"])  # now sam is the author
    with pytest.raises(NotAllowed, match=r"sam made the last change to plan\.yaml; another supervisor decides"):
        repo.workflow.approve(repo.actor("sam"), client, "plan.yaml")
    before = git(repo.root, "rev-parse", "HEAD")
    with pytest.raises(NotFound):
        repo.workflow.approve(repo.actor("sam"), client, "discharge.yaml")
    assert git(repo.root, "rev-parse", "HEAD") == before


def test_self_approval_when_the_agency_allows_it(repo: CaseRepo) -> None:
    client = planned_client(repo)
    config = repo.root / "caseflow.yaml"
    config.write_text(config.read_text().replace("staff:", "approvals:\n  self_approval: true\nstaff:", 1))
    git(repo.root, "commit", "-qam", "allow self-approval")
    repo = open_repo(repo.root, environ=ONLY_BUILTIN_PLUGINS)
    repo.records.set_fields(repo.actor("sam"), client, "plan.yaml", ["review_date=2027-01-01"])
    repo.workflow.approve(repo.actor("sam"), client, "plan.yaml")


def test_an_invalid_document_cannot_be_approved(repo: CaseRepo) -> None:
    client = planned_client(repo)
    write(repo, client, "plan.yaml", f"form: core.plan\nclient: {client}\nreview_date: someday\ngoals: []\n")
    with pytest.raises(DocumentError, match="Plan review date: 'someday' is not a date"):
        repo.workflow.approve(repo.actor("sam"), client, "plan.yaml")


# -- plugin workflows and checks -----------------------------------------------------------------


def _housed(case: CaseView, params: dict[str, Any]) -> list[str]:
    return [] if case.record.get("language") else ["the client's preferred language is not recorded"]


class AgencyWorkflow:
    @hookimpl
    def register_checks(self) -> list[Check]:
        return [Check("riverbend.language_known", lambda p: "preferred language recorded", _housed)]

    @hookimpl
    def register_workflows(self) -> list[Workflow | WorkflowExtension]:
        return [
            Workflow(
                "riverbend.drop-in",
                "Drop-in",
                (
                    Stage("intake", "Intake", (Requirement("riverbend.language_known"),)),
                    Stage("closed", "Closed", final=True),
                ),
                (Transition("intake", "closed"),),
            ),
            WorkflowExtension(
                "core.behavioral-health", exit_requirements={"intake": (Requirement("riverbend.language_known"),)}
            ),
        ]


def test_a_plugin_workflow_and_check(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    config = path / "caseflow.yaml"
    config.write_text(config.read_text().replace("workflow: core.behavioral-health", "workflow: riverbend.drop-in"))
    git(path, "commit", "-qam", "drop-in workflow")
    repo = open_repo(path, environ=ONLY_BUILTIN_PLUGINS, plugins=[AgencyWorkflow()])
    assert repo.workflow_spec.id == "riverbend.drop-in"
    client = repo.records.intake(repo.actor("casey"), name="Ana Example", dob="1990-04-02")
    assert missing(repo, client) == ["the client's preferred language is not recorded"]
    repo.records.set_fields(repo.actor("casey"), client, "client.yaml", ["language=Spanish"])
    assert advance(repo, repo.actor("casey"), client)[1].target == "closed"
    extended = repo.host.workflows()["core.behavioral-health"]
    assert Requirement("riverbend.language_known") in extended.stage("intake").exit_requirements


@pytest.mark.parametrize(
    ("stages", "transitions", "expected"),
    [
        (
            (Stage("a", "A", (Requirement("no_such_check"),)), Stage("b", "B", final=True)),
            (Transition("a", "b"),),
            "requirement names unknown check 'no_such_check'",
        ),
        (
            (Stage("a", "A"), Stage("b", "B", final=True), Stage("island", "Island")),
            (Transition("a", "b"),),
            "stage 'island' cannot be reached from 'a'",
        ),
        (
            (Stage("a", "A"), Stage("b", "B"), Stage("c", "C", final=True)),
            (Transition("a", "b"), Transition("b", "a"), Transition("a", "c"), Transition("c", "b")),
            None,
        ),
        (
            (Stage("a", "A"), Stage("b", "B"), Stage("c", "C", final=True)),
            (Transition("a", "b"), Transition("b", "a")),
            "stage 'c' cannot be reached from 'a'; stages a, b form a cycle with no way out to a final stage",
        ),
        (
            (Stage("a", "A"), Stage("b", "B", final=True)),
            (Transition("a", "nowhere"),),
            "a transition a -> nowhere names unknown stage 'nowhere'",
        ),
        (
            (Stage("a", "A", (Requirement("approved"),)), Stage("b", "B", final=True)),
            (Transition("a", "b"),),
            "requirement 'approved' needs the parameter 'form'",
        ),
        (
            (Stage("a", "A", (Requirement("document_valid", {"form": "core.nope"}),)), Stage("b", "B", final=True)),
            (Transition("a", "b"),),
            "requirement 'document_valid' names unknown form 'core.nope'",
        ),
    ],
    ids=["unknown-check", "unreachable", "sound-cycle", "dead-cycle", "unknown-stage", "missing-param", "unknown-form"],
)
def test_broken_workflows_are_refused_naming_the_plugin(
    case_repo: Callable[..., Path], stages: tuple[Stage, ...], transitions: tuple[Transition, ...], expected: str | None
) -> None:
    class Broken:
        @hookimpl
        def register_workflows(self) -> list[Workflow]:
            return [Workflow("test.broken", "Broken", stages, transitions)]

    repo = open_repo(case_repo(), environ=ONLY_BUILTIN_PLUGINS, plugins=[Broken()])
    if expected is None:
        assert "test.broken" in repo.host.workflows()
        return
    with pytest.raises(PluginError) as caught:
        repo.host.workflows()
    assert f"workflow 'test.broken' (from 'Broken') cannot be used: {expected}" in str(caught.value)


# -- the command line and the timeline ----------------------------------------------------------


def test_advance_stages_approve_and_log_from_the_command_line(
    case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    path = case_repo()
    env = {"CASEFLOW_USER": "casey", "CASEFLOW_PLUGINS": ""}
    client = invoke_caseflow("intake", "--name", "Ana Example", "--dob", "1990-04-02", cwd=path, env=env).stdout.strip()
    head = git(path, "rev-parse", "HEAD")
    refused = invoke_caseflow("advance", client, cwd=path, env=env).assert_refused(1)
    assert refused.stderr.splitlines() == [
        f"error: {client} cannot move from intake to evaluation:",
        "error:   - client.yaml needs a way to reach the client (phone, email or address)",
        f"error:   - no active treatment consent on file (caseflow consent {client} --treatment)",
    ]
    assert git(path, "rev-parse", "HEAD") == head
    dry = json.loads(
        invoke_caseflow("advance", client, "--dry-run", "--json", cwd=path, env=env).assert_refused(1).stdout
    )
    assert dry["ok"] is False and dry["to"] == "evaluation" and len(dry["missing"]) == 2 and dry["commit"] is None
    listing = json.loads(invoke_caseflow("stages", client, "--json", cwd=path, env=env).assert_success().stdout)
    assert listing["stage"] == "intake" and listing["next"][0]["to"] == "evaluation"
    assert [s["id"] for s in json.loads(invoke_caseflow("stages", "--json", cwd=path).stdout)["stages"]] == [
        "intake",
        "evaluation",
        "planning",
        "active",
        "review",
        "discharged",
    ]
    refused = invoke_caseflow("advance", client, "--to", "planing", cwd=path, env=env).assert_refused(2)
    assert "no stage 'planing' (did you mean 'planning'?)" in refused.stderr

    invoke_caseflow("set", client, "client.yaml", "phone=555-0100", cwd=path, env=env).assert_success()
    invoke_caseflow(
        "new",
        client,
        "core.consent",
        "--field",
        "kind=treatment",
        "--field",
        "patient_name=Ana Example",
        "--field",
        "signed_by.name=Ana Example",
        cwd=path,
        env=env,
    ).assert_success()
    moved = json.loads(invoke_caseflow("advance", client, "--json", cwd=path, env=env).assert_success().stdout)
    assert moved["ok"] and moved["commit"] == git(path, "rev-parse", "HEAD").strip()

    invoke_caseflow("new", client, "core.plan", cwd=path, env=env).assert_success()
    invoke_caseflow("approve", client, "plan.yaml", cwd=path, env=env).assert_refused(1)  # casey is not a supervisor
    invoke_caseflow("--as", "sam", "reject", client, "plan.yaml", cwd=path).assert_refused(2)  # a comment is required
    invoke_caseflow("--as", "sam", "approve", client, "plan.yaml", "--comment", "ok", cwd=path).assert_success()

    timeline = json.loads(invoke_caseflow("log", client, "--json", cwd=path).assert_success().stdout)
    assert [e["action"] for e in timeline] == ["approve", "new", "advance", "new", "set", "intake"]
    assert timeline[0]["author"] == "sam" and timeline[0]["documents"] == [
        {"path": "approvals.yaml", "change": "added"}
    ]
    assert timeline[2]["documents"] == [{"path": "client.yaml", "change": "changed"}]
    assert timeline[2]["stage"] == "intake -> evaluation" and timeline[0]["stage"] is None
    assert "Ana" not in json.dumps(timeline)
    assert "advance" in invoke_caseflow("log", client, cwd=path).stdout


def test_approvals_cannot_be_written_by_hand(repo: CaseRepo) -> None:
    client = planned_client(repo)
    casey = repo.actor("casey")
    with pytest.raises(NotAllowed, match="written only by caseflow approve / caseflow reject"):
        repo.records.new_document(casey, client, "core.approvals")
    repo.workflow.approve(repo.actor("sam"), client, "plan.yaml")
    with pytest.raises(NotAllowed, match="never by hand"):
        repo.records.set_fields(casey, client, "approvals.yaml", ["approvals[0].comment=fine"])
    # an entry a case manager slips in with git does not count, and validate says so
    approvals = repo.root / "clients" / client / "approvals.yaml"
    approvals.write_text(approvals.read_text().replace("by: sam", "by: casey"))
    git(repo.root, "commit", "-qam", "forged")
    assert [a.by for a in repo.case(client).approvals] == []
    [problem] = repo.validate().problems
    assert problem.message == "decision by 'casey', who may not approve; it does not count"


def test_a_reopened_case_starts_a_new_episode(repo: CaseRepo) -> None:
    casey = repo.actor("casey")
    client = repo.records.intake(casey, name="Ana Example", dob="1990-04-02", phone="555-0100")
    treatment_consent(repo, client)
    record = repo.root / "clients" / client / "client.yaml"
    # the first episode ended with a discharge last year; the consent of that episode was signed before it
    reopened_on = repo.today().isoformat()
    text = record.read_text()
    text += (
        "  - from: intake\n    to: discharged\n    on: 2025-06-01\n    by: casey\n"
        f"  - from: discharged\n    to: intake\n    on: {reopened_on}\n    by: casey\n    reason: back\n"
    )
    text = text.replace("risk_flags: []\n", "") + "risk_flags: []\n"
    record.write_text(text)
    consent = next((repo.root / "clients" / client / "consents").iterdir())
    consent.write_text(consent.read_text().replace(f"signed_on: {reopened_on}", "signed_on: 2025-01-10"))
    git(repo.root, "commit", "-qam", "history")
    assert missing(repo, client) == [f"no active treatment consent on file (caseflow consent {client} --treatment)"]


def test_a_positive_item_9_needs_a_cssrs_before_planning(repo: CaseRepo) -> None:
    casey = repo.actor("casey")
    client = repo.records.intake(casey, name="Ana Example", dob="1990-04-02", phone="555-0100")
    treatment_consent(repo, client)
    advance(repo, casey, client)
    new(repo, "casey", client, "core.intake-interview", body=INTERVIEW)
    screen(repo, casey, client, "phq9", parse_answers(repo.host.instruments()["instruments.phq9"], "1,1,1,1,1,1,1,1,1"))
    today = repo.today().isoformat()
    assert missing(repo, client) == [
        f"PHQ-9 item 9 was positive on {today}: needs a C-SSRS since then (caseflow screen {client} cssrs)"
    ]
    screen(repo, casey, client, "cssrs", parse_answers(repo.host.instruments()["instruments.cssrs"], "1,0,0"))
    assert advance(repo, casey, client)[1].target == "planning"


def test_a_review_needs_a_rescreen_given_during_it(repo: CaseRepo) -> None:
    casey = repo.actor("casey")
    client = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    record = repo.root / "clients" / client / "client.yaml"
    record.write_text(
        record.read_text()
        .replace("stage: intake", "stage: review")
        .replace(
            "risk_flags: []",
            f"  - from: active\n    to: review\n    on: {repo.today().isoformat()}\n    by: casey\nrisk_flags: []",
        )
    )
    git(repo.root, "commit", "-qam", "in review")
    earlier = (repo.today() - dt.timedelta(days=10)).isoformat()
    screen(
        repo,
        casey,
        client,
        "phq9",
        parse_answers(repo.host.instruments()["instruments.phq9"], "1,1,1,1,1,1,1,1,0"),
        date=earlier,
    )
    unmet = missing(repo, client, "active")
    assert unmet[0] == f"needs a rescreen dated within the last 30 days (caseflow screen {client} phq9)"


def test_open_referrals_must_serve_a_goal_of_the_plan(case_repo: Callable[..., Path]) -> None:
    client = "C-7K2M9Q"

    def referral(referral_id: str, status: str, goal: str | None) -> str:
        return (
            f"form: core.referral\nid: {referral_id}\nclient: {client}\nservice: Counseling\ncategory: counseling\n"
            f"status: {status}\n" + (f"goal: {goal}\n" if goal else "")
        )

    base = f"clients/{client}"
    path = case_repo(
        {
            f"{base}/client.yaml": f"form: core.client\nid: {client}\nname: Ana Example\ndob: 1990-04-02\n"
            "assigned_worker: casey\nintake_date: 2026-01-05\nstage: planning\n",
            f"{base}/plan.yaml": f"form: core.plan\nclient: {client}\ngoals:\n  - id: g1\n    title: Feel better\n",
            f"{base}/referrals/R-AAAAAA.yaml": referral("R-AAAAAA", "draft", "g1"),
            f"{base}/referrals/R-BBBBBB.yaml": referral("R-BBBBBB", "requested", None),
            f"{base}/referrals/R-CCCCCC.yaml": referral("R-CCCCCC", "accepted", "g7"),
            f"{base}/referrals/R-DDDDDD.yaml": referral("R-DDDDDD", "cancelled", None),  # closed: no matter
        }
    )
    repo = open_repo(path, environ=ONLY_BUILTIN_PLUGINS)
    check = repo.host.checks()["referrals_serve_plan_goals"]
    assert check.evaluate(repo.case(client), {}) == [
        f"referral R-BBBBBB names no plan goal (caseflow set {client} referrals/R-BBBBBB.yaml goal=GOAL_ID)",
        "referral R-CCCCCC serves goal g7, which the plan does not have",
    ]
    assert any("R-BBBBBB names no plan goal" in line for line in missing(repo, client, "active"))
