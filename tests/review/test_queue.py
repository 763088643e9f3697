"""Semantic diffs in the form's words, and the review queue from change to approval or send-back."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from caseflow import open_repo
from caseflow.review.semdiff import changes
from caseflow.testing import ONLY_BUILTIN_PLUGINS, Result, git
from tests.samples import CLIENT, CLIENT_YAML

PLAN = f"""form: core.plan
client: {CLIENT}
review_date: 2026-03-01
goals:
  - id: g1
    title: Stable housing
    status: active
    objectives:
      - id: g1-o1
        statement: Submit the housing application
        target_date: 2026-03-01
        responsible: casey
  - id: g2
    title: Feel less low
    status: active
"""
Run = Callable[..., Result]


def plan_schema(case_repo: Callable[..., Path]) -> dict[str, object]:
    repo = open_repo(case_repo(), environ=ONLY_BUILTIN_PLUGINS)
    return dict(repo.form("core.plan").schema)


def test_items_are_matched_by_id_and_named_in_the_forms_words(case_repo: Callable[..., Path]) -> None:
    schema = plan_schema(case_repo)
    old = {
        "goals": [
            {"id": "g1", "title": "Stable housing", "objectives": [{"id": "o1", "target_date": "2026-03-01"}]},
            {"id": "g2", "title": "Feel less low"},
        ]
    }
    moved = {"goals": [old["goals"][1], old["goals"][0]]}
    assert changes(old, moved, schema) == []  # order is no change
    new = {
        "goals": [
            {"id": "g1", "title": "Stable housing", "objectives": [{"id": "o1", "target_date": "2026-04-15"}]},
            {"id": "g3", "title": "Return to school"},
        ]
    }
    texts = [c.text() for c in changes(old, new, schema)]
    assert texts == [
        "Goal 'Stable housing' › Objective 'o1' › Target date: 2026-03-01 → 2026-04-15",
        "Goal 'Return to school' added: Return to school",
        "Goal 'Feel less low' removed (was Feel less low)",
    ]


def test_an_instrument_describes_a_score_change_clinically(case_repo: Callable[..., Path]) -> None:
    repo = open_repo(case_repo(), environ=ONLY_BUILTIN_PLUGINS)
    form = repo.form("instruments.phq9")
    old = {"result": {"total": 14, "band": "moderate", "flags": []}}
    new = {"result": {"total": 19, "band": "moderately severe", "flags": []}}
    assert form.describe_changes is not None
    assert form.describe_changes(changes(old, new, form.schema)) == [
        "PHQ-9 total 14 → 19 (moderate → moderately severe)"
    ]


def test_from_change_to_review_to_send_back_to_approval(case_repo: Callable[..., Path], invoke_caseflow: Run) -> None:
    path = case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML, f"clients/{CLIENT}/plan.yaml": PLAN})

    def caseflow(who: str, *args: str) -> Result:
        return invoke_caseflow("--repo", path, "--as", who, *args)

    queue = json.loads(caseflow("sam", "review", "--json").assert_success().stdout)
    assert [(q["client"], q["path"], q["summary"]) for q in queue] == [(CLIENT, "plan.yaml", "never approved")]
    caseflow("sam", "review", CLIENT, "--approve").assert_success()
    assert json.loads(caseflow("sam", "review", "--json").stdout) == []

    caseflow("casey", "set", CLIENT, "plan.yaml", "goals[g1].objectives[g1-o1].target_date=2026-04-15").assert_success()
    queue = json.loads(caseflow("sam", "review", "--json").stdout)
    assert [(q["author"], q["summary"]) for q in queue] == [
        (
            "casey",
            "Goal 'Stable housing' › Objective 'Submit the housing application' › Target date: 2026-03-01 → 2026-04-15",
        )
    ]
    shown = json.loads(caseflow("sam", "diff", CLIENT, "plan.yaml", "--since-approval", "--json").stdout)
    assert [c["path"] for c in shown[0]["changes"]] == [["goals", "[g1]", "objectives", "[g1-o1]", "target_date"]]

    head = git(path, "rev-parse", "HEAD")
    caseflow("sam", "review", CLIENT, "--reject", "Ask the navigator first").assert_success()
    assert git(path, "rev-parse", "HEAD") != head and json.loads(caseflow("sam", "review", "--json").stdout) == []
    due = json.loads(caseflow("casey", "due", "--json").stdout)
    assert [d["reason"] for d in due if d["rule"] == "sent-back"] == [
        "plan.yaml was sent back by sam: Ask the navigator first"
    ]
    assert "sent back by sam" in caseflow("casey", "show", CLIENT).stdout

    caseflow("casey", "set", CLIENT, "plan.yaml", "review_date=2026-03-15").assert_success()
    assert len(json.loads(caseflow("sam", "review", "--json").stdout)) == 1  # changed: back in the queue
    caseflow("sam", "review", CLIENT, "--approve").assert_success()
    assert json.loads(caseflow("sam", "review", "--json").stdout) == []
    assert "sent-back" not in {d["rule"] for d in json.loads(caseflow("casey", "due", "--json").stdout)}


def test_a_markdown_note_diffs_its_front_matter_and_its_body(
    case_repo: Callable[..., Path], invoke_caseflow: Run
) -> None:
    note = f"---\nform: core.visit\nclient: {CLIENT}\ndate: 2026-01-05\ntype: phone\nauthor: casey\n---\nCalled.\n"
    path = case_repo(
        {f"clients/{CLIENT}/client.yaml": CLIENT_YAML, f"clients/{CLIENT}/visits/2026-01-05-phone.md": note}
    )
    edited = note.replace("type: phone", "type: video").replace("Called.", "Video call; she is sleeping better.")
    (path / f"clients/{CLIENT}/visits/2026-01-05-phone.md").write_text(edited)
    shown = json.loads(
        invoke_caseflow("--repo", path, "diff", CLIENT, "visits/2026-01-05-phone.md", "--json").assert_success().stdout
    )
    assert shown[0]["since"] == "HEAD"
    assert shown[0]["described"] == ["Contact type: phone → video"]
    assert shown[0]["body"] == ["-Called.", "+Video call; she is sleeping better."]
    refused = invoke_caseflow("--repo", path, "diff", CLIENT, "--since", "--output=/tmp/x")
    assert refused.exit_code == 2
