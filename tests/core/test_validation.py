"""Validation: schema problems in the form's words, each at path:line:col."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow import Problem, open_repo
from caseflow.testing import ONLY_BUILTIN_PLUGINS
from tests.samples import CLIENT, CLIENT_YAML


def problems(case_repo: Callable[..., Path], files: dict[str, str]) -> list[str]:
    path = case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML, **files})
    return [str(p) for p in open_repo(path, environ=ONLY_BUILTIN_PLUGINS).validate().problems]


def test_a_valid_client_has_no_problems(case_repo: Callable[..., Path]) -> None:
    assert problems(case_repo, {}) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            CLIENT_YAML.replace("1990-04-02", "2026-13-45"),
            "client.yaml:4:6: Date of birth: the value is not a date written YYYY-MM-DD",
        ),
        (CLIENT_YAML.replace("name: Ana Example\n", ""), "client.yaml:1:1: missing required field 'name' (Name)"),
        (CLIENT_YAML + "favourite_colour: blue\n", "client.yaml:8:19: unknown field 'favourite_colour'"),
        (
            CLIENT_YAML + "interpreter_needed: maybe\n",
            "client.yaml:8:21: Interpreter needed: expected boolean, got 'maybe'",
        ),
        (
            CLIENT_YAML.replace("form: core.client", "form: core.nonsense"),
            "client.yaml:1:7: unknown form 'core.nonsense' (`caseflow forms` lists the forms)",
        ),
        (
            CLIENT_YAML.replace("form: core.client\n", ""),
            "client.yaml:1:1: names no form: start the document with 'form: <form id>'",
        ),
        (
            CLIENT_YAML.replace(f"id: {CLIENT}", "id: C-AAAAAA"),
            "client.yaml:2:5: says client C-AAAAAA but lives in the folder of C-7K2M9Q",
        ),
    ],
    ids=["bad-date", "missing", "unknown-field", "wrong-type", "unknown-form", "no-form", "wrong-folder"],
)
def test_problems_are_located(case_repo: Callable[..., Path], text: str, expected: str) -> None:
    assert problems(case_repo, {f"clients/{CLIENT}/client.yaml": text}) == [f"clients/{CLIENT}/{expected}"]


def test_nested_problems_use_field_titles_and_point_at_the_value(case_repo: Callable[..., Path]) -> None:
    plan = f"""form: core.plan
client: {CLIENT}
review_date: 2026-04-01
goals:
  - id: g1
    title: Stable housing
    status: active
    objectives:
      - id: g1-o1
        statement: Apply for housing
        target_date: 2026-02-30
        responsible: client
  - id: g1
    title: Duplicate id
    status: someday
"""
    found = problems(case_repo, {f"clients/{CLIENT}/plan.yaml": plan})
    assert found == [
        f"clients/{CLIENT}/plan.yaml:11:22: Target date: '2026-02-30' is not a date written YYYY-MM-DD",
        f"clients/{CLIENT}/plan.yaml:13:9: id 'g1' is used twice in this list (first at item 1)",
        f"clients/{CLIENT}/plan.yaml:15:13: Status: 'someday' is not one of active, met, revised, discontinued",
    ]


def test_a_release_without_its_required_elements_is_invalid(case_repo: Callable[..., Path]) -> None:
    consent = f"""form: core.consent
id: CN-2Q4W6E
client: {CLIENT}
kind: release
patient_name: Ana Example
disclosing_party: Test Agency
signed_by:
  name: Ana Example
  relationship: self
signed_on: 2026-01-05
status: active
"""
    found = problems(case_repo, {f"clients/{CLIENT}/consents/CN-2Q4W6E.yaml": consent})
    messages = [f.split(": ", 1)[1] for f in found]
    for field in ("regulation", "information_covered", "recipients", "purposes", "right_to_revoke"):
        assert any(f"missing required field '{field}'" in m for m in messages), field
    assert "needs 'expires_on' or 'expiry_event'" in messages


def test_a_document_in_the_wrong_place_is_reported(case_repo: Callable[..., Path]) -> None:
    plan = f"form: core.plan\nclient: {CLIENT}\nreview_date: 2026-04-01\ngoals: []\n"
    found = problems(case_repo, {f"clients/{CLIENT}/visits/plan.yaml": plan})
    assert found == [
        f"clients/{CLIENT}/visits/plan.yaml:1:7: "
        "a Service plan belongs at <client>/plan.yaml, not <client>/visits/plan.yaml"
    ]


def test_stray_folders_and_missing_client_record_are_reported(case_repo: Callable[..., Path]) -> None:
    path = case_repo({"clients/not a client/x.yaml": "form: x\n", "clients/C-AAAAAA/plan.yaml": "form: core.plan\n"})
    found = open_repo(path, environ=ONLY_BUILTIN_PLUGINS).validate().problems
    assert Problem("clients/not a client", 0, 0, "is not a client folder (names look like C-7K2M9Q)") in found
    assert Problem("clients/C-AAAAAA", 0, 0, "has no client.yaml") in found


def test_a_release_must_give_the_required_statements(case_repo: Callable[..., Path]) -> None:
    consent = f"""form: core.consent
id: CN-2Q4W6E
client: {CLIENT}
kind: release
regulation: hipaa
patient_name: Ana Example
disclosing_party: Test Agency
information_covered: [Service plan goals]
recipients:
  - name: Eastside Counseling
purposes: [Coordinating counseling]
right_to_revoke: In writing, to the case manager.
expiry_event: discharge
signed_by:
  name: Ana Example
  relationship: self
signed_on: 2026-01-05
redisclosure_notice: false
conditioning_statement: true
status: active
"""
    found = problems(case_repo, {f"clients/{CLIENT}/consents/CN-2Q4W6E.yaml": consent})
    assert found == [f"clients/{CLIENT}/consents/CN-2Q4W6E.yaml:18:22: the redisclosure notice must be given (true)"]


def test_stage_must_match_the_end_of_its_history(case_repo: Callable[..., Path]) -> None:
    text = CLIENT_YAML.replace(
        "stage: intake\n", "stage: active\nstage_history:\n  - to: intake\n    on: 2026-01-05\n    by: casey\n"
    )
    found = problems(case_repo, {f"clients/{CLIENT}/client.yaml": text})
    assert found == [f"clients/{CLIENT}/client.yaml:7:8: stage is 'active' but the stage history ends in 'intake'"]


def test_a_missing_element_of_a_release_is_named_by_its_title(case_repo: Callable[..., Path]) -> None:
    consent = f"""form: core.consent
id: CN-2Q4W6E
client: {CLIENT}
kind: release
patient_name: Ana Example
signed_by: {{name: Ana Example, relationship: guardian}}
signed_on: 2026-01-05
status: active
"""
    found = problems(case_repo, {f"clients/{CLIENT}/consents/CN-2Q4W6E.yaml": consent})
    where = f"clients/{CLIENT}/consents/CN-2Q4W6E.yaml"
    statement = "missing required field 'conditioning_statement' (Statement on conditioning treatment given)"
    assert f"{where}:1:1: {statement}" in found
    assert f"{where}:6:1: missing required field 'authority' (Authority of a representative)" in found


def test_identifying_values_are_never_echoed_in_messages(case_repo: Callable[..., Path]) -> None:
    text = CLIENT_YAML.replace("dob: 1990-04-02", "dob: Maria Lopez-Secret") + "address:\n  city: 42\n"
    found = problems(case_repo, {f"clients/{CLIENT}/client.yaml": text})
    assert found == [
        f"clients/{CLIENT}/client.yaml:4:6: Date of birth: the value is not a date written YYYY-MM-DD",
        f"clients/{CLIENT}/client.yaml:9:9: City: expected string, got the value",
    ]


def test_a_linked_client_folder_is_reported_not_walked(case_repo: Callable[..., Path], tmp_path: Path) -> None:
    import os

    outside = tmp_path / "elsewhere"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "x.yaml").write_text("form: core.plan\n")
    path = case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML})
    os.symlink(outside, path / "clients" / "C-YYYYYY")
    report = open_repo(path, environ=ONLY_BUILTIN_PLUGINS).validate()
    assert [str(p) for p in report.problems] == ["clients/C-YYYYYY: is a symbolic link; caseflow never follows links"]
    assert report.documents == 1


def test_an_empty_field_is_one_message_at_the_field(case_repo: Callable[..., Path]) -> None:
    discharge = (
        f"form: core.discharge\nclient: {CLIENT}\ndate: 2026-03-01\nreason:\noutcome: Moved away\ninterpreter: yes\n"
    )
    found = problems(case_repo, {f"clients/{CLIENT}/discharge.yaml": discharge})
    assert found == [
        f"clients/{CLIENT}/discharge.yaml:4:9: Reason: needs a value",
        f"clients/{CLIENT}/discharge.yaml:6:14: unknown field 'interpreter'",
    ]


def test_values_are_shown_as_yaml_spells_them(case_repo: Callable[..., Path]) -> None:
    text = CLIENT_YAML + "interpreter_needed: 3\n"
    assert problems(case_repo, {f"clients/{CLIENT}/client.yaml": text}) == [
        f"clients/{CLIENT}/client.yaml:8:21: Interpreter needed: expected boolean, got 3"
    ]
