"""A whole-caseload read right after caseflow's own write, made while git's status still lists the
working tree (caseflow/index/snapshot.py, ``_ahead_of_status``; :meth:`caseflow.session.Session.settled`).

The ``caseflow`` command starts the status as it begins (caseflow/core/git/early.py); these tests
start it the same way, then run the read in this process. Where the status agrees with the working
tree as the write left it, the answer made ahead is the answer; where it does not (an edit by hand,
a file added), the read is made again from that very status, with no second status, and answers as
a read that waited for git."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from caseflow.core.git import early, listing
from caseflow.index import caseload
from caseflow.testing import Result
from tests.samples import CLIENT, CLIENT_YAML

OTHER = "C-3H8W2P"
PLAN = f"clients/{OTHER}/plan.yaml"
READS = (["validate", "--json"], ["clients", "--json"], ["review", "--json"], ["due", "--all", "--json"])


@pytest.fixture
def written(case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]) -> Path:
    """A case repository read once (its listing of git's index kept), then written by caseflow."""
    repo = case_repo(
        {
            f"clients/{CLIENT}/client.yaml": CLIENT_YAML,
            f"clients/{OTHER}/client.yaml": CLIENT_YAML.replace(CLIENT, OTHER),
        }
    )
    assert invoke_caseflow("--repo", repo, "validate").exit_code == 0
    done = invoke_caseflow(
        "--repo", repo, "set", CLIENT, "client.yaml", "phone=555-0100", env={"CASEFLOW_USER": "casey"}
    )
    assert done.exit_code == 0, done.stderr
    return repo


@pytest.fixture(autouse=True)
def _nothing_left_started() -> Iterator[None]:
    yield
    early.give_up_all()


class Seen:
    """What the reads did: each snapshot taken (ahead of the status or not), each status run by the
    listing itself (not the one started early)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.snapshots: list[bool] = []
        self.statuses: list[list[str]] = []
        take, run = caseload.take_snapshot, listing.run_concurrently

        def taking(*args: Any, **kwargs: Any) -> Any:
            snapshot = take(*args, **kwargs)
            self.snapshots.append(snapshot.unconfirmed is not None)
            return snapshot

        def running(root: Path, *commands: list[str], **kwargs: Any) -> Any:
            self.statuses.extend(c for c in commands if "status" in c)
            return run(root, *commands, **kwargs)

        monkeypatch.setattr(caseload, "take_snapshot", taking)
        monkeypatch.setattr(listing, "run_concurrently", running)


def read_as_the_command_would(repo: Path, words: list[str], invoke: Callable[..., Result]) -> Result:
    assert early.start_status(repo) and early.after_a_write(repo)
    return invoke("--repo", repo, *words)


@pytest.mark.parametrize("words", READS, ids=[w[0] for w in READS])
def test_a_read_right_after_a_write_is_made_ahead_of_the_status_which_agrees(
    written: Path, words: list[str], invoke_caseflow: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = Seen(monkeypatch)
    ahead = read_as_the_command_would(written, words, invoke_caseflow)
    assert seen.snapshots == [True]  # made once, ahead of git's answer
    assert seen.statuses == []  # the status started early was the only one
    assert early._started == {} and early._left == {}  # taken, and nothing left behind
    waited = invoke_caseflow("--repo", written, *words)  # (no status started: the listing runs its own)
    assert seen.snapshots == [True, False] and len(seen.statuses) == 1
    assert (ahead.exit_code, ahead.stdout) == (waited.exit_code, waited.stdout)
    if words[0] == "clients":
        assert [row["id"] for row in json.loads(ahead.stdout)] == sorted([CLIENT, OTHER])


EDITS = {
    "another client's document made invalid": (PLAN, "form: core.plan\ngoals: [unclosed\n"),
    "the written client's record edited": (
        f"clients/{CLIENT}/client.yaml",
        CLIENT_YAML.replace("intake\n", "nowhere\n"),
    ),
    "a new client's folder": ("clients/C-9M4T6R/client.yaml", CLIENT_YAML.replace(CLIENT, "C-9M4T6R")),
}


@pytest.mark.parametrize("words", READS, ids=[w[0] for w in READS])
@pytest.mark.parametrize("edit", list(EDITS.values()), ids=list(EDITS))
def test_where_the_status_says_otherwise_the_read_is_made_again_from_it(
    written: Path,
    words: list[str],
    edit: tuple[str, str],
    invoke_caseflow: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, text = edit
    (written / path).parent.mkdir(exist_ok=True)
    (written / path).write_text(text)  # (by hand, after the write: not committed)
    seen = Seen(monkeypatch)
    again = read_as_the_command_would(written, words, invoke_caseflow)
    assert seen.snapshots == [True, False]  # ahead, then again from the status
    assert seen.statuses == []  # (from the status started early: git listed the working tree once)
    assert early._started == {} and early._left == {}
    waited = invoke_caseflow("--repo", written, *words)
    assert (again.exit_code, again.stdout) == (waited.exit_code, waited.stdout)
    if words[0] == "validate":
        problems = {p["path"] for p in json.loads(again.stdout)["problems"]}
        assert (path in problems) == (path != EDITS["a new client's folder"][0])
    if words[0] == "clients":
        assert len(json.loads(again.stdout)) == 2 + (path == EDITS["a new client's folder"][0])


def test_a_read_that_is_not_of_the_whole_caseload_waits_for_git(
    written: Path, invoke_caseflow: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = Seen(monkeypatch)
    assert early.start_status(written)
    done = invoke_caseflow("--repo", written, "find", "Ana", env={"CASEFLOW_USER": "sam"})  # (not settled)
    assert done.exit_code == 0, done.stderr
    assert seen.snapshots and not any(seen.snapshots)


def test_while_the_working_tree_has_changes_of_its_own_reads_after_writes_wait_for_git(
    written: Path, invoke_caseflow: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Made ahead, a read that the status then contradicts is made twice: once one was, the reads
    after writes wait for git, until one finds the working tree as committed again."""
    seen = Seen(monkeypatch)
    edited = written / PLAN
    edited.write_text("form: core.plan\ngoals: [unclosed\n")

    def write_then_read(phone: str) -> list[bool]:
        done = invoke_caseflow(
            "--repo", written, "set", CLIENT, "client.yaml", f"phone={phone}", env={"CASEFLOW_USER": "casey"}
        )
        assert done.exit_code == 0, done.stderr
        seen.snapshots.clear()
        read_as_the_command_would(written, ["validate", "--json"], invoke_caseflow)
        assert seen.statuses == []
        return list(seen.snapshots)

    assert write_then_read("555-0101") == [True, False]  # made again
    assert write_then_read("555-0102") == [False]  # the edit is still there: waits for git
    edited.unlink()
    assert write_then_read("555-0103") == [False]  # ... and finds the working tree as committed
    assert write_then_read("555-0104") == [True]  # ahead again
