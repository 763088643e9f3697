"""Empty is not done: a note saved as its bare skeleton (or with a required field left empty) is
kept, but meets no requirement and counts as no contact, and ``validate`` says which."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.testing import Result, commit_files
from tests.samples import CLIENT, CLIENT_YAML

TODAY = "2026-03-10"
Run = Callable[..., Result]


@pytest.fixture
def agency(case_repo: Callable[..., Path]) -> Path:
    return case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML.replace("stage: intake", "stage: evaluation")})


def caseflow(run: Run, repo: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return run("--repo", repo, "--as", "casey", *args, env={"CASEFLOW_TODAY": TODAY, **(env or {})})


def missing(run: Run, repo: Path) -> list[str]:
    status = json.loads(caseflow(run, repo, "stages", CLIENT, "--json").stdout)
    return [m for n in status["next"] for r in n["requirements"] for m in r["missing"]]


def test_a_bare_interview_note_meets_nothing_until_it_is_written(agency: Path, invoke_caseflow: Run) -> None:
    made = caseflow(invoke_caseflow, agency, "new", CLIENT, "core.intake-interview").assert_success()
    path = made.stdout.strip()
    assert "counts for nothing (no contact, no requirement met) until it is written" in made.stderr
    [needs] = [m for m in missing(invoke_caseflow, agency) if "intake interview" in m]
    assert needs.startswith("needs an intake interview note: evaluation/")
    assert "is there but nothing is written" in needs
    checked = caseflow(invoke_caseflow, agency, "validate", "--json")
    assert checked.exit_code == 0  # incomplete is said, not failed
    [incomplete] = json.loads(checked.stdout)["incomplete"]
    assert incomplete["path"] == path and "still the form's skeleton" in incomplete["message"]
    assert "1 incomplete" in caseflow(invoke_caseflow, agency, "validate").stderr

    note = agency / path
    note.write_text(note.read_text().replace("## Safety\n", "## Safety\n\nNo current thoughts of self-harm.\n"))
    commit_files(agency, {path: note.read_text()})
    assert not [m for m in missing(invoke_caseflow, agency) if "intake interview" in m]
    assert json.loads(caseflow(invoke_caseflow, agency, "validate", "--json").stdout)["incomplete"] == []


def test_a_bare_contact_note_is_not_the_last_contact(agency: Path, invoke_caseflow: Run) -> None:
    active = CLIENT_YAML.replace("stage: intake", "stage: active")
    commit_files(agency, {f"clients/{CLIENT}/client.yaml": active})
    before = json.loads(caseflow(invoke_caseflow, agency, "show", CLIENT, "--json").stdout)["last_contact"]
    caseflow(invoke_caseflow, agency, "new", CLIENT, "core.visit", "--field", "type=phone").assert_success()
    after = json.loads(caseflow(invoke_caseflow, agency, "show", CLIENT, "--json").stdout)["last_contact"]
    assert after == before  # the skeleton says nothing happened
    caseflow(invoke_caseflow, agency, "visit", CLIENT, "--type", "phone", "--note", "Work.").assert_success()
    written = json.loads(caseflow(invoke_caseflow, agency, "show", CLIENT, "--json").stdout)["last_contact"]
    assert written is not None and written != before


def test_an_agency_skeletons_own_prompts_are_not_writing(agency: Path, invoke_caseflow: Run) -> None:
    prompts = "---\nform: core.visit\nclient: {{ client_id }}\ndate: {{ today }}\ntype: office\n"
    prompts += "author: {{ actor }}\n---\n"
    prompts += "## What happened\n\n_Describe the contact._\n\n- \n"
    commit_files(agency, {"templates/forms/visit.md.j2": prompts})
    made = caseflow(invoke_caseflow, agency, "new", CLIENT, "core.visit").assert_success()
    assert "counts for nothing" in made.stderr
