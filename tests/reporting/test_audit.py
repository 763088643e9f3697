"""``caseflow audit`` and ``caseflow show`` from the command line: reads recorded at once and
committed by the next write, and tampering named one line each with exit 1."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from caseflow.core.access_record import ACCESS_LOG, ACCESS_REF, GENESIS, _digest
from caseflow.testing import Result, git
from tests.samples import CLIENT, CLIENT_YAML

Run = Callable[..., Result]
OTHER = "C-4HX8TB"


@pytest.fixture
def repo(case_repo: Callable[..., Path]) -> Path:
    return case_repo(
        {
            f"clients/{CLIENT}/client.yaml": CLIENT_YAML,
            f"clients/{OTHER}/client.yaml": CLIENT_YAML.replace(CLIENT, OTHER),
        }
    )


def as_casey(run: Run, repo: Path, *args: str) -> Result:
    return run("--repo", repo, "--as", "casey", *args)


def audit(run: Run, repo: Path, *args: str) -> dict[str, Any]:
    return dict(json.loads(run("--repo", repo, "audit", *args, "--json").stdout))


def test_show_is_recorded_at_once_and_stays_a_read(repo: Path, invoke_caseflow: Run) -> None:
    head = git(repo, "rev-parse", "HEAD")
    text = as_casey(invoke_caseflow, repo, "show", CLIENT).assert_success().stdout
    assert CLIENT in text
    entries = audit(invoke_caseflow, repo, CLIENT)["entries"]
    assert [(e["who"], e["action"], e["clients"]) for e in entries] == [("casey", "show", [CLIENT])]
    assert "Ana" not in (repo / ACCESS_LOG).read_text()  # ids, never names
    assert git(repo, "rev-parse", "HEAD") == head and not git(repo, "for-each-ref", ACCESS_REF)  # no commit
    as_casey(invoke_caseflow, repo, "show", CLIENT, "--json").assert_success()  # ids and codes only: no disclosure
    assert len(audit(invoke_caseflow, repo)["entries"]) == 1


def test_show_with_nobody_acting_is_refused_and_shows_nothing(repo: Path, invoke_caseflow: Run) -> None:
    refused = invoke_caseflow("--repo", repo, "show", CLIENT).assert_refused()
    assert "who is acting?" in refused.stderr and refused.stdout == "" and not (repo / ACCESS_LOG).exists()


def test_the_next_write_commits_the_reads_to_the_ref(repo: Path, invoke_caseflow: Run) -> None:
    as_casey(invoke_caseflow, repo, "show", CLIENT).assert_success()
    as_casey(invoke_caseflow, repo, "show", OTHER).assert_success()
    head = git(repo, "rev-parse", "HEAD")
    as_casey(invoke_caseflow, repo, "set", CLIENT, "client.yaml", "language=Spanish").assert_success()
    assert git(repo, "rev-parse", "HEAD^") == head  # the write is one commit on the branch, as ever
    committed = git(repo, "show", f"{ACCESS_REF}:{chain(repo)}").strip()
    assert committed == (repo / ACCESS_LOG).read_text().strip() and len(committed.splitlines()) == 2
    assert git(repo, "log", "--format=%an", ACCESS_REF).strip() == "Casey Rivera"
    assert [e["clients"] for e in audit(invoke_caseflow, repo, OTHER)["entries"]] == [[OTHER]]
    ok = invoke_caseflow("--repo", repo, "audit", "--verify").assert_success()
    assert "intact: 2 entries" in ok.stderr


def test_a_forged_log_is_named_in_one_line_and_exits_1(repo: Path, invoke_caseflow: Run) -> None:
    for client in (CLIENT, OTHER, CLIENT):
        as_casey(invoke_caseflow, repo, "show", client).assert_success()
    as_casey(invoke_caseflow, repo, "set", CLIENT, "client.yaml", "language=Spanish").assert_success()
    lines = (repo / ACCESS_LOG).read_text().splitlines()
    (repo / ACCESS_LOG).write_text("".join(line + "\n" for line in rechained([lines[0], lines[2]])))
    refused = invoke_caseflow("--repo", repo, "audit", "--verify").assert_refused()
    assert refused.stderr.splitlines() == [
        f"tampered: {ACCESS_LOG}: entry 2 differs from {ACCESS_REF}:{chain(repo)} "
        "(changed, removed or forged after it was committed)"
    ]
    # the next write is not undone; the record is left as evidence, and the warning says so
    written = as_casey(invoke_caseflow, repo, "set", CLIENT, "client.yaml", "language=French").assert_success()
    assert "warning: the access record was not committed" in written.stderr
    assert len(git(repo, "show", f"{ACCESS_REF}:{chain(repo)}").splitlines()) == 3


def test_two_clients_named_twice_is_refused(repo: Path, invoke_caseflow: Run) -> None:
    refused = invoke_caseflow("--repo", repo, "audit", CLIENT, "--client", OTHER).assert_refused(2)  # a usage error
    assert "two clients given" in refused.stderr


def chain(repo: Path) -> str:
    return (repo / ".caseflow/access-id").read_text().strip() + ".log"


def rechained(lines: list[str]) -> list[str]:
    out, prev = [], GENESIS
    for seq, line in enumerate(lines, 1):
        body = json.loads(line)
        body.update(seq=seq, prev=prev)
        body["hash"] = _digest(body)
        out.append(json.dumps(body, separators=(",", ":")))
        prev = body["hash"]
    return out
