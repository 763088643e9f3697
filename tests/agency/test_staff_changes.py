"""Staff who leave and caseloads that move: `staff deactivate/reactivate` and `reassign`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.testing import Result, git


@pytest.fixture
def repo(case_repo: Callable[..., Path]) -> Path:
    return case_repo()


@pytest.fixture
def cf(repo: Path, invoke_caseflow: Callable[..., Result]) -> Callable[..., Result]:
    def run(*args: str, who: str = "sam") -> Result:
        return invoke_caseflow("--repo", str(repo), "--as", who, *args)

    return run


def intake(cf: Callable[..., Result], worker: str = "casey") -> str:
    made = cf("intake", "--name", "Ana Example", "--dob", "1990-04-02", "--worker", worker, "--new-person", "--json")
    return str(json.loads(made.assert_success().stdout)["id"])


def test_a_person_who_left_gets_no_new_clients_and_keeps_their_history(repo: Path, cf: Callable[..., Result]) -> None:
    written = intake(cf, "casey")
    cf("visit", written, "--type", "phone", "--note", "First call", who="casey").assert_success()
    left = cf("staff", "deactivate", "casey", "--reason", "Left the agency").assert_success()
    assert "casey is inactive" in left.stderr and "caseflow reassign --from casey --to STAFF_ID" in left.stderr
    assert "Caseflow-Reason: Left the agency" in git(repo, "log", "-1", "--format=%B")
    listed = {m["id"]: m["active"] for m in json.loads(cf("staff", "list", "--json").stdout)}
    assert listed == {"sam": True, "casey": False, "robin": True}

    head = git(repo, "rev-parse", "HEAD")
    refused = cf("intake", "--name", "Bo Example", "--dob", "1991-05-03", "--worker", "casey")
    assert refused.exit_code == 1 and "casey is no longer active: no new clients are assigned to them" in refused.stderr
    other = intake(cf, "robin")
    refused = cf("set", other, "client.yaml", "assigned_worker=casey")
    assert refused.exit_code == 1 and "casey is no longer active" in refused.stderr
    acting = cf("visit", written, "--type", "phone", "--note", "Another call", who="casey")
    assert acting.exit_code == 1 and "no longer active" in acting.stderr
    assert cf("validate").exit_code == 0  # casey's client and note are still valid
    assert cf("verify").exit_code == 0  # and casey's commits still verify
    assert git(repo, "rev-parse", "HEAD") != head  # the new client with robin

    cf("staff", "reactivate", "casey").assert_success()
    intake(cf, "casey")


def test_only_an_admin_or_supervisor_changes_staff(cf: Callable[..., Result]) -> None:
    refused = cf("staff", "deactivate", "robin", who="casey")
    assert refused.exit_code == 1 and "supervisor or director" in refused.stderr
    assert cf("staff", "deactivate", "nobody").exit_code == 1
    assert cf("staff", "reactivate", "robin").exit_code == 2  # already active


def test_reassign_moves_a_whole_caseload_and_the_due_list_follows(repo: Path, cf: Callable[..., Result]) -> None:
    first, second = intake(cf), intake(cf)
    kept = intake(cf, "robin")
    cf("flag", first, "set", "Suicide risk", who="casey").assert_success()
    cf("staff", "deactivate", "casey").assert_success()
    head = git(repo, "rev-parse", "HEAD").strip()
    moved = json.loads(cf("reassign", "--from", "casey", "--to", "robin", "--json").assert_success().stdout)
    assert sorted(moved["clients"]) == sorted([first, second]) and moved["commit"]
    assert git(repo, "rev-list", "--count", f"{head}..HEAD").strip() == "1"
    rows = {r["id"]: r["assigned_worker"] for r in json.loads(cf("clients", "--json").stdout)}
    assert rows == {first: "robin", second: "robin", kept: "robin"}
    due = json.loads(cf("due", "--worker", "robin", "--json").stdout)
    assert first in {e["client"] for e in due}
    assert json.loads(cf("due", "--worker", "casey", "--json").stdout) == []


def test_reassign_refusals_write_nothing(repo: Path, cf: Callable[..., Result]) -> None:
    mine, theirs = intake(cf), intake(cf, "robin")
    head = git(repo, "rev-parse", "HEAD")
    cf("staff", "deactivate", "robin").assert_success()
    cases = {
        ("--from", "casey", "--to", "robin", mine): "robin is no longer active",
        ("--from", "casey", "--to", "nobody", mine): "'nobody' is not on the staff list",
        ("--from", "casey", "--to", "casey", mine): "--from and --to are both casey",
        ("--from", "casey", "--to", "sam", theirs): f"{theirs} is assigned to robin, not casey",
    }
    head = git(repo, "rev-parse", "HEAD")
    for args, why in cases.items():
        refused = cf("reassign", *args)
        assert refused.exit_code in (1, 2) and why in refused.stderr, (args, refused.stderr)
    assert cf("reassign", "--from", "casey", "--to", "sam", mine, who="casey").exit_code == 1  # a case manager
    assert git(repo, "rev-parse", "HEAD") == head
