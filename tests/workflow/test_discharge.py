"""Closing a case early or as planned: `caseflow discharge` from any stage, each reason with its needs."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow import open_repo
from caseflow.testing import ONLY_BUILTIN_PLUGINS, Result, git


@pytest.fixture
def repo(case_repo: Callable[..., Path]) -> Path:
    return case_repo()


@pytest.fixture
def cf(repo: Path, invoke_caseflow: Callable[..., Result]) -> Callable[..., Result]:
    def run(*args: str, who: str = "casey") -> Result:
        return invoke_caseflow("--repo", str(repo), "--as", who, *args)

    return run


def intake(cf: Callable[..., Result]) -> str:
    return json.loads(
        cf("intake", "--name", "Ana Example", "--dob", "1990-04-02", "--new-person", "--json").assert_success().stdout
    )["id"]


def stage_of(repo: Path, client: str) -> str:
    return str(open_repo(repo, environ=ONLY_BUILTIN_PLUGINS).client_record(client)["stage"])


def test_a_client_who_moved_is_discharged_from_intake_in_one_commit(repo: Path, cf: Callable[..., Result]) -> None:
    client = intake(cf)
    before = git(repo, "rev-parse", "HEAD").strip()
    closed = cf("discharge", client, "--reason", "moved", "--note", "Moved out of state").assert_success()
    assert "intake → discharged" in closed.stderr
    assert git(repo, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    changed = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(changed) == [f"clients/{client}/client.yaml", f"clients/{client}/discharge.yaml"]
    message = git(repo, "log", "-1", "--format=%B")
    assert "Caseflow-Action: advance" in message and "intake -> discharged" in message
    assert stage_of(repo, client) == "discharged"
    summary = (repo / "clients" / client / "discharge.yaml").read_text()
    assert "reason: moved" in summary and "outcome: Moved out of state" in summary
    assert cf("validate", client).exit_code == 0


def test_deceased_takes_the_date_given_and_declined_needs_nothing_more(repo: Path, cf: Callable[..., Result]) -> None:
    first, second = intake(cf), intake(cf)
    cf("discharge", first, "--reason", "deceased", "--date", "2026-01-05").assert_success()
    assert (
        "date: '2026-01-05'" in (repo / "clients" / first / "discharge.yaml").read_text()
        or "date: 2026-01-05" in (repo / "clients" / first / "discharge.yaml").read_text()
    )
    cf("discharge", second, "--reason", "declined-services").assert_success()
    assert stage_of(repo, second) == "discharged"


def test_transferred_needs_to_whom(repo: Path, cf: Callable[..., Result]) -> None:
    client = intake(cf)
    head = git(repo, "rev-parse", "HEAD")
    refused = cf("discharge", client, "--reason", "transferred")
    assert refused.exit_code == 1
    assert "discharge.yaml needs to whom the client was transferred (transferred_to)" in refused.stderr
    assert git(repo, "rev-parse", "HEAD") == head and not (repo / "clients" / client / "discharge.yaml").exists()
    cf("discharge", client, "--reason", "transferred", "--transferred-to", "County mental health").assert_success()


def test_lost_contact_needs_two_recent_attempts_that_are_not_contacts(repo: Path, cf: Callable[..., Result]) -> None:
    client = intake(cf)
    refused = cf("discharge", client, "--reason", "lost-contact")
    assert refused.exit_code == 1
    assert "needs 2 attempts to reach the client in the last 30 days, 0 on record" in refused.stderr
    suggestion = f"caseflow visit {client} --type phone --not-reached --note TEXT"
    assert suggestion in refused.stderr
    today = open_repo(repo, environ=ONLY_BUILTIN_PLUGINS).today()
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    cf("visit", client, "--type", "phone", "--not-reached", "--note", "No answer").assert_success()
    cf("visit", client, "--type", "phone", "--not-reached", "--date", yesterday, "--note", "Voicemail").assert_success()
    due = json.loads(cf("due", "--json").assert_success().stdout)
    assert not any(e.get("last_contact") for e in due if e["client"] == client)  # attempts are not contacts
    cf("discharge", client, "--reason", "unable-to-contact").assert_success()  # the old code still works
    assert "reason: lost-contact" in (repo / "clients" / client / "discharge.yaml").read_text()


def test_unknown_reason_is_a_usage_error(repo: Path, cf: Callable[..., Result]) -> None:
    client = intake(cf)
    refused = cf("discharge", client, "--reason", "bored")
    assert refused.exit_code == 2
    assert "unknown discharge reason 'bored' (one of completed, declined-services, lost-contact" in refused.stderr


def test_a_completed_case_needs_its_summary_approved_first(repo: Path, cf: Callable[..., Result]) -> None:
    client = intake(cf)
    head = git(repo, "rev-parse", "HEAD")
    refused = cf("discharge", client, "--reason", "completed", "--note", "Goals met")
    assert refused.exit_code == 1
    assert git(repo, "rev-parse", "HEAD") == head
    write = f'caseflow new {client} core.discharge --field reason=completed --field "outcome=Goals met"'
    assert write in refused.stderr
    cf("new", client, "core.discharge", "--field", "reason=completed", "--field", "outcome=Goals met").assert_success()
    cf("approve", client, "discharge.yaml", who="sam").assert_success()
    closed = json.loads(cf("discharge", client, "--reason", "completed", "--json").assert_success().stdout)
    assert closed["to"] == "discharged" and closed["commit"]


def test_advance_still_moves_on_and_discharge_is_only_taken_when_asked(repo: Path, cf: Callable[..., Result]) -> None:
    client = intake(cf)
    refused = cf("advance", client)
    assert "cannot move from intake to evaluation" in refused.stderr
    moved = cf("advance", client, "--to", "discharged")
    assert moved.exit_code == 1 and "needs a discharge summary" in moved.stderr


def test_stages_json_shows_the_discharge_transitions_and_their_reasons(cf: Callable[..., Result]) -> None:
    listing = json.loads(cf("stages", "--json").assert_success().stdout)
    intake_stage = next(s for s in listing["stages"] if s["id"] == "intake")
    assert intake_stage["next"] == ["evaluation", "discharged"]
    closing = next(t for t in intake_stage["transitions"] if t["to"] == "discharged")
    assert closing["with_exit_requirements"] is False
    by_check = {r["check"]: r for r in closing["requirements"]}
    assert by_check["contact_attempts"]["when"] == {
        "form": "core.discharge",
        "field": "reason",
        "in": ["lost-contact", "unable-to-contact"],
    }
    assert by_check["document_valid"]["when"] is None
    assert json.dumps(listing)  # stable, serialisable
