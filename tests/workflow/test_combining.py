"""Several plugins extending one workflow: a fixed order (tryfirst/trylast, then plugin name),
conflicts won by the first, and `caseflow plugins --check` reporting them."""

from __future__ import annotations

import importlib
import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow import Requirement, Stage, Transition, WorkflowExtension, hookimpl
from caseflow.testing import Result, registered_plugin

WORKFLOW = "core.behavioral-health"
PHQ9_14 = Requirement("screened_within", {"instruments": ["instruments.phq9"], "days": 14})
PHQ9_30 = Requirement("screened_within", {"instruments": ["instruments.phq9"], "days": 30})
GAD7_30 = Requirement("screened_within", {"instruments": ["instruments.gad7"], "days": 30})


def extending(name: str, extension: WorkflowExtension, *, tryfirst: bool = False, trylast: bool = False) -> object:
    """A plugin object named ``name`` whose register_workflows returns ``extension``."""

    @hookimpl(tryfirst=tryfirst, trylast=trylast)
    def register_workflows() -> list[WorkflowExtension]:
        return [extension]

    return type(name, (), {"register_workflows": staticmethod(register_workflows), "__name__": name})()


def plan_review(name: str, days: int, **marks: bool) -> object:
    return extending(name, WorkflowExtension(WORKFLOW, monitoring={"plan_review_days": days}), **marks)


@pytest.mark.parametrize("first_registered", ["weekly", "monthly"])
def test_the_order_is_by_plugin_name_not_by_registration(case_repo: Callable[..., Path], first_registered: str) -> None:
    plugins = {"weekly": plan_review("weekly", 7), "monthly": plan_review("monthly", 30)}
    order = [plugins[first_registered], *(p for n, p in plugins.items() if n != first_registered)]
    host = registered_plugin(case_repo(), *order).host
    assert host.workflows()[WORKFLOW].monitoring["plan_review_days"] == 30  # "monthly" sorts first
    [conflict] = host.workflow_conflicts()
    assert conflict.as_json() == {
        "workflow": WORKFLOW,
        "key": "monitoring.plan_review_days",
        "plugins": ["monthly", "weekly"],
        "values": [30, 7],
        "winner": "monthly",
    }


def test_tryfirst_wins_over_the_name_and_trylast_loses_to_it(case_repo: Callable[..., Path]) -> None:
    host = registered_plugin(case_repo(), plan_review("monthly", 30), plan_review("weekly", 7, tryfirst=True)).host
    assert host.workflows()[WORKFLOW].monitoring["plan_review_days"] == 7
    assert host.workflow_conflicts()[0].plugins == ("weekly", "monthly")
    later = case_repo(name="other")
    host = registered_plugin(later, plan_review("monthly", 30, trylast=True), plan_review("weekly", 7)).host
    assert host.workflows()[WORKFLOW].monitoring["plan_review_days"] == 7
    assert host.workflow_conflicts()[0].winner == "weekly"


def test_tables_merge_key_by_key_and_only_the_same_key_conflicts(case_repo: Callable[..., Path]) -> None:
    high = extending("alpha", WorkflowExtension(WORKFLOW, monitoring={"contact_days_by_risk": {"high": 5}}))
    low = extending("beta", WorkflowExtension(WORKFLOW, monitoring={"contact_days_by_risk": {"low": 20, "high": 3}}))
    host = registered_plugin(case_repo(), low, high).host
    assert host.workflows()[WORKFLOW].monitoring["contact_days_by_risk"] == {"high": 5, "moderate": 14, "low": 20}
    assert [c.describe() for c in host.workflow_conflicts()] == [
        f"{WORKFLOW}: monitoring.contact_days_by_risk.high is set by 'alpha' (5), 'beta' (3); 'alpha' wins"
    ]


def test_the_same_value_from_two_plugins_is_agreement_not_a_conflict(case_repo: Callable[..., Path]) -> None:
    host = registered_plugin(case_repo(), plan_review("one", 60), plan_review("two", 60)).host
    assert host.workflows()[WORKFLOW].monitoring["plan_review_days"] == 60
    assert host.workflow_conflicts() == []


def test_the_same_stage_requirement_conflicts_and_the_winners_parameters_stand(
    case_repo: Callable[..., Path],
) -> None:
    strict = extending("strict", WorkflowExtension(WORKFLOW, exit_requirements={"evaluation": (PHQ9_14,)}))
    lenient = extending(
        "lenient", WorkflowExtension(WORKFLOW, exit_requirements={"evaluation": (PHQ9_30, GAD7_30)}), tryfirst=True
    )
    host = registered_plugin(case_repo(), strict, lenient).host
    evaluation = host.workflows()[WORKFLOW].stage("evaluation")
    assert PHQ9_30 in evaluation.exit_requirements and GAD7_30 in evaluation.exit_requirements
    assert PHQ9_14 not in evaluation.exit_requirements
    [conflict] = host.workflow_conflicts()
    assert conflict.key == "stages.evaluation.requires screened_within{instruments=[instruments.phq9]}"
    assert conflict.plugins == ("lenient", "strict")
    assert conflict.values == ({"instruments": ["instruments.phq9"], "days": 30}, PHQ9_14.params)


def test_a_stage_added_by_one_plugin_takes_requirements_from_another(case_repo: Callable[..., Path]) -> None:
    waiting = WorkflowExtension(
        WORKFLOW,
        stages=(Stage("waitlist", "Waiting list"),),
        transitions=(Transition("intake", "waitlist"), Transition("waitlist", "evaluation")),
    )
    rule = WorkflowExtension(WORKFLOW, exit_requirements={"waitlist": (Requirement("identity_complete"),)})
    again = WorkflowExtension(WORKFLOW, stages=(Stage("waitlist", "Wait list (other)"),))
    host = registered_plugin(
        case_repo(), extending("zeta", rule), extending("alpha", waiting), extending("beta", again)
    ).host
    workflow = host.workflows()[WORKFLOW]
    assert workflow.stage("waitlist") == Stage("waitlist", "Waiting list", (Requirement("identity_complete"),))
    assert [c.key for c in host.workflow_conflicts()] == ["stages.waitlist"]
    listed = {info.name: info.contributes for info in host.describe()}
    assert listed["zeta"] == {"workflow extensions": (WORKFLOW,)}


# -- the command ----------------------------------------------------------------------------------


def install(site: Path, name: str, source: str) -> None:
    """A real installed plugin distribution (dist-info with an entry point) in ``site``."""
    module = f"caseflow_{name}"
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    dist = site / f"caseflow_{name}-2.0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: caseflow-{name}\nVersion: 2.0.1\n")
    (dist / "entry_points.txt").write_text(f"[caseflow]\n{name} = {module}\n")


PLUGIN = """
from caseflow import WorkflowExtension, hookimpl

@hookimpl({marks})
def register_workflows():
    return [WorkflowExtension("core.behavioral-health", monitoring={{"referral_stale_days": {days}}})]
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on sys.path that this process finds installed distributions in."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def test_plugins_check_reports_each_conflict_and_exits_1(
    case_repo: Callable[..., Path], site: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    tag = site.parent.name.replace("-", "_").lower()[-12:]  # module names unique to this test
    first, second = f"aa{tag}", f"zz{tag}"
    install(site, first, PLUGIN.format(marks="", days=10))
    install(site, second, PLUGIN.format(marks="tryfirst=True", days=21))
    importlib.invalidate_caches()
    path = case_repo()
    result = invoke_caseflow("--repo", path, "plugins", "--check").assert_refused()
    assert result.stdout == (
        f"conflict: {WORKFLOW}: monitoring.referral_stale_days is set by '{second}' (21), '{first}' (10); "
        f"'{second}' wins\n"
    )
    assert "1 conflict between plugins" in result.stderr
    found = json.loads(invoke_caseflow("--repo", path, "plugins", "--check", "--json").assert_refused().stdout)
    assert found["ok"] is False
    assert found["conflicts"][0]["winner"] == second
    stages = json.loads(invoke_caseflow("--repo", path, "stages", "--json").assert_success().stdout)
    assert stages["monitoring"]["referral_stale_days"] == 21
    evaluation = next(s for s in stages["stages"] if s["id"] == "evaluation")
    assert [(r["check"], r["params"]) for r in evaluation["requirements"]][:2] == [
        ("document_exists", {"form": "core.intake-interview", "title": "an intake interview note"}),
        ("screened_within", {"days": 90}),
    ]
    screened = stages["checks"]["screened_within"]
    assert screened["plugin"] == "caseflow.workflow.checks"
    assert [(p["name"], p["type"], p["required"]) for p in screened["parameters"]] == [
        ("days", "int", False),
        ("instruments", "list", False),
        ("since_stage_entry", "bool", False),
        ("title", "str", False),
    ]
    assert stages["checks"]["document_exists"]["needs"] == ["form"]
    listed = json.loads(invoke_caseflow("--repo", path, "plugins", "--json").assert_success().stdout)
    by_name = {p["name"]: p for p in listed}
    assert by_name[first]["version"] == "2.0.1"
    assert by_name[first]["contributes"] == {"workflow extensions": [WORKFLOW]}


def test_plugins_check_without_conflicts_exits_0(
    case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    path = case_repo()
    result = invoke_caseflow("--repo", path, "plugins", "--check").assert_success()
    assert "no conflicts between plugins" in result.stderr
    found = json.loads(invoke_caseflow("--repo", path, "plugins", "--check", "--json").assert_success().stdout)
    assert found == {"ok": True, "conflicts": []}
