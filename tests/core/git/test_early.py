"""The working tree's status started as a whole-caseload read begins (caseflow/core/git/early.py):
taken by the listing as the very status it would have run, under the writers' lock, and started
only where the read will ask for it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from caseflow import command
from caseflow.core import layout, write_notes
from caseflow.core.git import early, listing
from caseflow.core.git.indexfile import index_stamp
from caseflow.core.store import Store
from caseflow.errors import StoreError
from caseflow.testing import Result, git
from tests.samples import CLIENT, CLIENT_YAML

NOTE = f"clients/{CLIENT}/visits/2026-01-10-office.md"
NEW_NOTE = f"clients/{CLIENT}/visits/2026-01-12-office.md"


def visit(body: str, day: str = "2026-01-10") -> str:
    return f"---\nform: core.visit\nclient: {CLIENT}\ndate: {day}\ntype: office\nauthor: casey\n---\n{body}"


@pytest.fixture
def warm_repo(case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]) -> Path:
    """A case repository read once (its listing of git's index kept), then edited by hand."""
    repo = case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML, NOTE: visit("# Visit\n")})
    assert invoke_caseflow("--repo", repo, "validate").exit_code == 0
    assert (repo / layout.STAGED_LISTING).stat().st_mtime_ns >= (repo / ".git" / "index").stat().st_mtime_ns
    (repo / NOTE).write_text(visit("# Visit\n\nCalled back on Tuesday.\n"))
    (repo / NEW_NOTE).write_text(visit("# Visit\n", day="2026-01-12"))
    return repo


@pytest.fixture(autouse=True)
def _nothing_left_started() -> Iterator[None]:
    yield
    early.give_up_all()


def lock_is_free(repo: Path) -> bool:
    with Store(repo).try_lock() as mine:
        return mine


def test_a_status_started_early_is_taken_by_the_listing_under_the_writers_lock(warm_repo: Path) -> None:
    assert early.start_status(warm_repo)
    assert not lock_is_free(warm_repo)  # held for the status, as the listing holds it for its own
    changed = Store(warm_repo).status_under("clients", inner_rules=False)
    assert changed == listing.status_under(warm_repo, "clients", False, inner_rules=False)
    assert changed == {NOTE: " M", NEW_NOTE: "??"}
    assert lock_is_free(warm_repo)
    # Taken once: the next listing runs its own status.
    assert listing.started_status_under(warm_repo, "clients", inner_rules=False) is None


def test_it_is_started_only_where_the_read_will_ask_for_that_status(warm_repo: Path, tmp_path: Path) -> None:
    assert not early.start_status(tmp_path)  # no repository
    git_index = warm_repo / ".git" / "index"
    listed = (warm_repo / layout.STAGED_LISTING).stat().st_mtime_ns
    os.utime(git_index, ns=(listed + 10**9, listed + 10**9))  # git's index moved on since (a commit)
    assert not early.start_status(warm_repo)
    os.utime(git_index, ns=(listed - 10**9, listed - 10**9))
    (warm_repo / layout.JOURNAL).write_text("{}")  # a write to put right first, under the lock
    assert not early.start_status(warm_repo)
    (warm_repo / layout.JOURNAL).unlink()
    assert early.start_status(warm_repo)
    assert not early.start_status(warm_repo)  # (one at a time)


def test_while_a_write_holds_the_lock_git_is_told_not_to_refresh_its_index(warm_repo: Path) -> None:
    with Store(warm_repo).try_lock() as mine:
        assert mine
        assert early.start_status(warm_repo)
        [started] = early._started.values()
        assert "--no-optional-locks" in started.process.args
    assert Store(warm_repo).status_under("clients", inner_rules=False)[NOTE] == " M"


def test_an_early_status_nobody_takes_is_stopped_and_lets_go_of_the_lock(warm_repo: Path) -> None:
    assert early.start_status(warm_repo)
    [started] = early._started.values()
    early.give_up_all()
    assert started.process.poll() is not None
    assert lock_is_free(warm_repo)
    assert early._started == {}


def test_a_failed_early_status_is_not_taken_and_the_listing_says_why_itself(warm_repo: Path) -> None:
    git_index = warm_repo / ".git" / "index"
    stamp = git_index.stat()
    git_index.write_bytes(b"not git's index")
    os.utime(git_index, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # (older than the listing still)
    assert early.start_status(warm_repo)
    assert listing.started_status_under(warm_repo, "clients", inner_rules=False) is None
    assert early._started == {} and lock_is_free(warm_repo)
    with pytest.raises(StoreError, match="git could not list the case files"):
        Store(warm_repo).status_under("clients", inner_rules=False)


def test_an_early_status_of_another_command_line_is_not_taken(warm_repo: Path) -> None:
    assert early.start_status(warm_repo)
    assert early.take_status(warm_repo, ["status", "--porcelain"]) is None
    assert early._started == {} and lock_is_free(warm_repo)


def test_after_caseflows_own_write_the_status_with_head_is_started_and_taken(
    warm_repo: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    invoke_caseflow("--repo", warm_repo, "set", CLIENT, "client.yaml", "phone=555-0100", env={"CASEFLOW_USER": "casey"})
    last = write_notes.last(warm_repo)
    assert last is not None and last.commit == git(warm_repo, "rev-parse", "HEAD").strip()
    assert early.start_status(warm_repo)
    assert early.after_a_write(warm_repo)
    [started] = early._started.values()
    assert "--no-optional-locks" in started.process.args  # (the write left git's index fresh: no lock)
    assert lock_is_free(warm_repo)
    folders = [f"clients/{CLIENT}"]
    status, staged = Store(warm_repo).status_and_files_at("clients", False, last.commit, folders, refresh=False)
    assert not early.after_a_write(warm_repo) and early._started == {}
    assert (status, staged) == listing.status_and_files_at(warm_repo, "clients", False, last.commit, folders, False)
    assert status.head == last.commit and status.changed == {NOTE: " M", NEW_NOTE: "??"}


def test_after_a_write_and_a_git_status_that_refreshed_git_index_it_is_started_under_the_lock(
    warm_repo: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    invoke_caseflow("--repo", warm_repo, "set", CLIENT, "client.yaml", "phone=555-0100", env={"CASEFLOW_USER": "casey"})
    last = write_notes.last(warm_repo)
    assert last is not None
    record = warm_repo / f"clients/{CLIENT}/client.yaml"
    os.utime(record, ns=(record.stat().st_atime_ns, record.stat().st_mtime_ns + 10**9))  # (same bytes)
    git(warm_repo, "status", "--porcelain")  # (an editor's, say: git refreshes its index for the new stamp)
    assert index_stamp(warm_repo) != last.stamp
    assert early.start_status(warm_repo) and early.after_a_write(warm_repo)
    assert not lock_is_free(warm_repo)  # (git may refresh its index again: under the writers' lock)
    folders = [f"clients/{CLIENT}"]
    taken = Store(warm_repo).status_and_files_at("clients", False, last.commit, folders, refresh=True)
    assert lock_is_free(warm_repo) and early._started == {}
    assert taken == listing.status_and_files_at(warm_repo, "clients", False, last.commit, folders, False)


def test_after_a_commit_made_with_git_itself_nothing_is_started(warm_repo: Path) -> None:
    git(warm_repo, "add", NOTE)
    git(warm_repo, "commit", "-q", "-m", "A visit note")
    assert not early.start_status(warm_repo)  # (git's index is not the one a noted write left)


def test_the_command_starts_it_for_whole_caseload_reads_only(
    warm_repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(warm_repo)
    command.start_early(["set", CLIENT, "client.yaml", "phone=555-0100"])
    command.start_early(["validate", "--help"])
    assert early._started == {}
    monkeypatch.chdir(tmp_path)
    command.start_early(["validate"])  # (no repository here)
    assert early._started == {}
    command.start_early(["--repo", str(warm_repo), "review", "--json"])
    assert list(early._started) == [os.path.realpath(warm_repo)]


def test_a_read_run_as_the_caseflow_command_answers_as_the_same_read_in_process(
    warm_repo: Path, run_caseflow: Callable[..., Result], invoke_caseflow: Callable[..., Result]
) -> None:
    (warm_repo / f"clients/{CLIENT}/plan.yaml").write_text("form: core.plan\ngoals: [unclosed\n")
    reads = (["validate", "--json"], ["clients", "--json"], ["review", "--json"], ["due", "--all", "--json"])
    for write in (None, ["set", CLIENT, "client.yaml", "phone=555-0100"]):
        for words in reads:
            if write is not None:  # (each read right after a write of caseflow's, as in a day's work)
                done = invoke_caseflow("--repo", warm_repo, *write, env={"CASEFLOW_USER": "casey"})
                assert done.exit_code == 0, done.stderr
                write[-1] = write[-1][:-1] + str(int(write[-1][-1]) + 1)
                if words[0] in ("clients", "due"):  # (and a git status between, which may refresh git's index)
                    git(warm_repo, "status", "--porcelain")
            assert early.start_status(warm_repo)  # (the command will start its status early too)
            assert early.after_a_write(warm_repo) == (write is not None)
            early.give_up_all()
            as_a_command = run_caseflow("--repo", warm_repo, *words)
            here = invoke_caseflow("--repo", warm_repo, *words)
            assert (as_a_command.exit_code, as_a_command.stdout) == (here.exit_code, here.stdout), words
            assert here.exit_code == 1 or words[0] != "validate"
