"""How an agency tests its plugin: a real case repository, the real command, caseflow.testing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from caseflow import open_repo
from caseflow.testing import Result

CLIENT = "C-4HX8TB"
CLIENT_YAML = f"""form: core.client
id: {CLIENT}
name: Beth Example
dob: 1997-03-14
assigned_worker: robin
intake_date: 2026-10-13
stage: intake
"""


def test_housing_assessment_form_is_registered_and_has_a_skeleton(case_repo: Callable[..., Path]) -> None:
    path = case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML})
    repo = open_repo(path, environ={"CASEFLOW_PLUGINS": "riverbend"})
    robin = repo.actor("robin")
    saved = repo.records.new_document(
        robin, CLIENT, "riverbend.housing-assessment", fields=["living_situation=staying-with-family-or-friends"]
    )
    assert "-housing-assessment-" in saved.path and saved.path.endswith(".yaml")  # a short id makes it unique
    assert "living_situation: staying-with-family-or-friends" in (path / saved.path).read_text()
    assert repo.validate().ok


def test_home_visits_must_record_their_length(
    case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    visit = f"---\nform: core.visit\nclient: {CLIENT}\ndate: 2026-10-20\ntype: home\nauthor: robin\n---\nVisited.\n"
    path = case_repo(
        {f"clients/{CLIENT}/client.yaml": CLIENT_YAML, f"clients/{CLIENT}/visits/2026-10-20-home.md": visit}
    )
    result = invoke_caseflow("--repo", path, "validate", env={"CASEFLOW_PLUGINS": "riverbend"}).assert_refused(1)
    assert result.stdout == (
        f"clients/{CLIENT}/visits/2026-10-20-home.md:5:7: "
        "[riverbend] Riverbend policy: a home visit records duration_minutes (lone-worker safety)\n"
    )
    invoke_caseflow("--repo", path, "validate", env={"CASEFLOW_PLUGINS": ""}).assert_success()
