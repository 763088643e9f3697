"""``validate`` and ``show`` on a demo client whose plan.yaml is one of issue 16's bad inputs.

``validate`` prints one ``file:line:col: message`` line for it and exits 1, without a traceback;
``show`` lists the same problem and never reads the file (it is "(unreadable)"), including where
the fast loader alone used to read what ``validate`` refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.testing import Result
from tests.core.yaml.conformance import suite_cases

CLIENT = "C-4HX8TB"  # a demo client with a plan
PLAN = f"clients/{CLIENT}/plan.yaml"
ENV = {"CASEFLOW_USER": "casey"}

BAD_PLANS = {
    "a list inside a key": ("goals: [ a, [ [[b,c]]: d, e]]\n", "3:15: a key must be text, not a list"),
    "a list as a key": ("[ a, [ [[b,c]]: d, e]]: 23\n", "3:8: a key must be text, not a list"),
    "a number as a key": ("1: one\n", "3:1: the key 1 reads as a number"),
    "a tag": ("review_date: !!str 2026-11-18\n", "3:14: explicit tags such as !!str are not allowed"),
    "a glued comment": ('review_date: "2026-11-18"# agreed\n', "3:26: put a space before '#'"),
    # the fast loader (libyaml) read these two, so show read what validate refused
    "a glued comment on block text": ("note: ># agreed\n  text\n", "3:8: put a space before '#'"),
    "wide blank lines before block text": ("note: >\n \n  \n   \n # text\n", "6:3: this blank line"),
    # both loaders read this one; YAML 1.2 does not
    "a list line not indented": ("goals: [a,\nb]\n", "4:1: this line is still inside the [ ] list"),
    "ten thousand levels": ("x: " + "[" * 10_000 + "]" * 10_000 + "\n", "3:67: nested deeper than 64 levels"),
}


def plan_text(bad: str) -> str:
    return f"form: core.plan\nclient: {CLIENT}\n{bad}"


def plan_problem_lines(result: Result) -> list[str]:
    return [line for line in result.stdout.splitlines() if PLAN in line]


@pytest.mark.parametrize("case", sorted(BAD_PLANS))
def test_validate_and_show_on_a_bad_plan(
    case: str, demo_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    bad, expected = BAD_PLANS[case]
    repo = demo_repo()
    (repo / PLAN).write_text(plan_text(bad), encoding="utf-8")

    validated = invoke_caseflow("--repo", repo, "validate", env=ENV).assert_refused(1)
    assert "Traceback" not in validated.stderr + validated.stdout
    [line] = plan_problem_lines(validated)
    assert line.startswith(f"{PLAN}:{expected}"), line
    assert re.match(rf"{re.escape(PLAN)}:\d+:\d+: \S", line)

    shown = invoke_caseflow("--repo", repo, "show", CLIENT, env=ENV)
    assert shown.exit_code == 0, shown.stderr
    assert "Traceback" not in shown.stderr + shown.stdout
    assert [line.strip() for line in shown.stdout.splitlines() if line.strip().startswith(PLAN)] == [line]
    as_json = json.loads(invoke_caseflow("--repo", repo, "show", "--json", CLIENT, env=ENV).stdout)
    [plan] = [d for d in as_json["documents"] if d["path"] == PLAN]
    assert plan["readable"] is False


@pytest.mark.slow
def test_validate_never_prints_a_traceback_on_any_suite_input(
    demo_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    """Each of the 402 inputs as the plan: one located line for it (or none if it is a valid plan)."""
    repo = demo_repo()
    for case in suite_cases():
        (repo / PLAN).write_bytes(case["yaml"].encode("utf-8"))
        result = invoke_caseflow("--repo", repo, "validate", CLIENT, env=ENV)
        assert result.exit_code in (0, 1), (case["id"], result.stderr)
        assert "Traceback" not in result.stderr + result.stdout, case["id"]
        for line in plan_problem_lines(result):
            assert re.match(rf"{re.escape(PLAN)}:\d+:\d+: \S", line), (case["id"], line)
