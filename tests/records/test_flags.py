"""`caseflow flag CLIENT set|clear FLAG`: one commit each; a cleared flag is history, not risk."""

from __future__ import annotations

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
    def run(*args: str) -> Result:
        return invoke_caseflow("--repo", str(repo), "--as", "casey", *args)

    return run


def test_set_and_clear_a_flag_the_due_list_follows_at_once(repo: Path, cf: Callable[..., Result]) -> None:
    cf("intake", "--name", "Ana Example", "--dob", "1990-04-02").assert_success()
    second = json.loads(cf("intake", "--name", "Bo Example", "--dob", "1991-05-03", "--json").stdout)["id"]
    head = git(repo, "rev-parse", "HEAD").strip()
    cf("flag", second, "set", "Suicide risk", "--note", "PHQ-9 item 9").assert_success()
    assert git(repo, "rev-list", "--count", f"{head}..HEAD").strip() == "1"
    due = json.loads(cf("due", "--json").assert_success().stdout)
    assert due[0]["client"] == second and due[0]["risk_flagged"] is True
    clients = {r["id"]: r for r in json.loads(cf("clients", "--json").stdout)}
    assert clients[second]["risk_flags"] == ["Suicide risk"]

    refused = cf("flag", second, "set", "suicide risk")
    assert refused.exit_code == 1 and "already flagged" in refused.stderr

    cf("flag", second, "clear", "Suicide risk", "--note", "Safety plan in place").assert_success()
    due = json.loads(cf("due", "--json").assert_success().stdout)
    assert not any(e["risk_flagged"] for e in due)
    assert second not in {e["client"] for e in due}  # low risk again: contact due in 30 days, not 7
    clients = {r["id"]: r for r in json.loads(cf("clients", "--json").stdout)}
    assert clients[second]["risk_flags"] == []
    record = open_repo(repo, environ=ONLY_BUILTIN_PLUGINS).client_record(second)
    (kept,) = record["risk_flags"]
    assert kept["flag"] == "Suicide risk" and kept["cleared_by"] == "casey" and kept["cleared_note"]
    assert kept["set_by"] == "casey" and kept["cleared_on"] >= kept["since"]
    assert cf("validate", second).exit_code == 0


def test_clearing_a_flag_not_in_force_or_mixing_options_is_refused(repo: Path, cf: Callable[..., Result]) -> None:
    client = json.loads(cf("intake", "--name", "Ana Example", "--dob", "1990-04-02", "--json").stdout)["id"]
    head = git(repo, "rev-parse", "HEAD")
    refused = cf("flag", client, "clear", "Suicide risk")
    assert refused.exit_code == 1 and f"{client} has no risk flag 'Suicide risk' in force" in refused.stderr
    assert cf("flag", client, "set", "Suicide risk", "--on", "2026-01-01").exit_code == 2
    assert cf("flag", client, "raise", "Suicide risk").exit_code == 2
    assert git(repo, "rev-parse", "HEAD") == head


def test_a_flag_is_named_as_a_person_types_it_or_by_its_id(repo: Path, cf: Callable[..., Result]) -> None:
    client = json.loads(cf("intake", "--name", "Ana Example", "--dob", "1990-04-02", "--json").stdout)["id"]
    cf("flag", client, "set", "Suicide risk").assert_success()
    cf("flag", client, "set", "Housing loss").assert_success()
    wrong = cf("flag", client, "clear", "self harm")
    assert wrong.exit_code == 1 and "in force: 'Suicide risk' (" in wrong.stderr and "'Housing loss' (" in wrong.stderr
    cf("flag", client, "clear", "suicide-risk").assert_success()  # as a slug
    record = open_repo(repo, environ=ONLY_BUILTIN_PLUGINS).client_record(client)
    housing = next(f for f in record["risk_flags"] if f["flag"] == "Housing loss")
    cf("flag", client, "clear", str(housing["id"]).upper()).assert_success()  # by its id, in any case
    assert cf("flag", client, "clear", "Housing loss").exit_code == 1  # cleared already: none in force
