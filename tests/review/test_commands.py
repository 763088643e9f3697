"""`caseflow review` in text, and the combinations of its options it refuses."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.testing import Result
from tests.review.test_queue import PLAN
from tests.samples import CLIENT, CLIENT_YAML

Run = Callable[..., Result]


@pytest.fixture
def caseflow(case_repo: Callable[..., Path], invoke_caseflow: Run) -> Run:
    """The command as the supervisor, on a repository whose plan was never approved."""
    path = case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML, f"clients/{CLIENT}/plan.yaml": PLAN})

    def run(*args: str, who: str = "sam") -> Result:
        return invoke_caseflow("--repo", path, "--as", who, *args)

    return run


def test_the_queue_in_text_names_what_the_json_names(caseflow: Run) -> None:
    [pending] = json.loads(caseflow("review", "--json").assert_success().stdout)
    text = caseflow("review").assert_success().stdout
    assert text.splitlines()[0].split() == ["CLIENT", "DOCUMENT", "AUTHOR", "AGE", "WHAT", "CHANGED"]
    assert pending["client"] in text and pending["path"] in text and pending["summary"] in text
    caseflow("review", CLIENT, "--approve").assert_success()
    assert "(nothing awaits approval)" in caseflow("review").assert_success().stdout
    assert caseflow("review", CLIENT).assert_success().stdout == f"nothing of {CLIENT} awaits approval\n"


def test_one_clients_changes_without_a_terminal_say_how_to_decide(caseflow: Run) -> None:
    shown = caseflow("review", CLIENT).assert_success().stdout
    assert "plan.yaml" in shown and shown.endswith("decide with --approve or --reject COMMENT\n")
    as_json = json.loads(caseflow("review", CLIENT, "--json").assert_success().stdout)
    assert as_json["client"] == CLIENT and [p["path"] for p in as_json["pending"]] == ["plan.yaml"]


def test_refused_combinations_change_nothing(caseflow: Run) -> None:
    before = json.loads(caseflow("review", "--json").stdout)
    assert "give CLIENT" in caseflow("review", "--approve").assert_refused(2).stderr
    assert "not both" in caseflow("review", CLIENT, "--approve", "--reject", "why").assert_refused(2).stderr
    assert "no staff member 'nobody'" in caseflow("review", "--worker", "nobody").assert_refused(2).stderr
    assert json.loads(caseflow("review", "--json").stdout) == before
