"""The runner: timeouts, git's reason in one line, literal pathspecs, and the store's errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.core.git import history, listing
from caseflow.core.git.runner import GitFailed, git, query, reason_of, require_repository, run, succeeds
from caseflow.core.store import Author, Store
from caseflow.errors import StoreError
from caseflow.testing import commit_files
from caseflow.testing import git as plain_git

CASEY = Author("Casey Rivera", "casey@riverbend.example")
GLOB_NAMED = "clients/C-ABC123/*.yaml"
NEIGHBOUR = "clients/C-ABC123/plan.yaml"


def test_reason_is_gits_first_fatal_or_error_line_else_its_last() -> None:
    assert reason_of("hint: a\nfatal: not a git repository\nhint: b\n") == "fatal: not a git repository"
    assert reason_of("warning: x\nerror: pathspec 'y' did not match\n") == "error: pathspec 'y' did not match"
    assert reason_of("something\n  last words  \n\n") == "last words"
    assert reason_of("") == ""


def test_a_failure_carries_one_line_reason(tmp_path: Path) -> None:
    with pytest.raises(GitFailed) as failed:
        git(tmp_path, "rev-parse", "--verify", "no-such-ref^{commit}")
    assert "\n" not in failed.value.reason
    assert failed.value.reason.startswith("fatal:")
    assert failed.value.code != 0


def test_a_command_without_words_on_stderr_still_says_which_failed(tmp_path: Path) -> None:
    with pytest.raises(GitFailed, match="git config exited 1"):
        git(tmp_path, "config", "--file", str(tmp_path / "empty"), "--get", "no.such")


def test_a_command_that_takes_too_long_is_stopped_and_says_so(tmp_path: Path) -> None:
    # A stuck git (a credential helper waiting, a hung file system), played by an alias that sleeps.
    env = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "alias.nap", "GIT_CONFIG_VALUE_0": "!sleep 5"}
    done = run(tmp_path, "nap", env=env, timeout=0.3)
    assert done.code == 124
    assert done.reason == "fatal: git nap took longer than 0.3 s"
    with pytest.raises(GitFailed, match="took longer"):
        git(tmp_path, "nap", env=env, timeout=0.3)


def test_stdin_text_and_bytes_are_both_fed_to_git(tmp_path: Path) -> None:
    blob = "ce013625030ba8dba906f756967f9e9ca394464a"  # git's id of "hello\n"
    assert git(tmp_path, "hash-object", "--stdin", stdin="hello\n").strip() == blob
    assert git(tmp_path, "hash-object", "--stdin", stdin=b"hello\n").strip() == blob


def test_literal_pathspecs_take_a_glob_named_file_as_that_file(case_repo: Callable[..., Path]) -> None:
    path = case_repo({GLOB_NAMED: "form: x\n", NEIGHBOUR: "form: plan\n"})
    # As a pathspec the name is a glob matching both files; literally it is one of them.
    assert sorted(git(path, "ls-files", "--", GLOB_NAMED).split()) == sorted([GLOB_NAMED, NEIGHBOUR])
    assert git(path, "ls-files", "--", GLOB_NAMED, literal=True).split() == [GLOB_NAMED]
    assert listing.files_at(path, "HEAD", GLOB_NAMED) == [GLOB_NAMED]
    assert set(history.last_changes(path, GLOB_NAMED)) == {GLOB_NAMED}


def test_a_store_write_to_a_glob_named_file_commits_only_that_file(case_repo: Callable[..., Path]) -> None:
    path = case_repo({GLOB_NAMED: "form: x\n", NEIGHBOUR: "form: plan\n"})
    (path / NEIGHBOUR).write_text("form: a person's edit, not to be committed\n")
    with Store(path).transaction(CASEY, action="set", client="C-ABC123") as tx:
        tx.write(GLOB_NAMED, b"form: y\n")
    assert plain_git(path, "show", "--name-only", "--format=", "HEAD").split() == [GLOB_NAMED]
    assert listing.uncommitted(path, [NEIGHBOUR]) == [NEIGHBOUR]
    assert listing.uncommitted(path, [GLOB_NAMED]) == []


def test_the_test_helper_commits_a_glob_named_file_alone(case_repo: Callable[..., Path]) -> None:
    path = case_repo({NEIGHBOUR: "form: plan\n"})
    (path / NEIGHBOUR).write_text("form: changed but not asked for\n")
    commit_files(path, {GLOB_NAMED: "form: x\n"})
    assert plain_git(path, "show", "--name-only", "--format=", "HEAD").split() == [GLOB_NAMED]


def test_query_names_a_folder_that_is_no_repository_in_caseflows_words(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is not a git repository; case repositories are made with"):
        query(tmp_path, "log")
    with pytest.raises(StoreError, match="is not a git repository"):
        require_repository(tmp_path)


def test_query_turns_a_failure_into_a_store_error_with_gits_reason(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    with pytest.raises(StoreError, match=r"^git log failed \(fatal: .*no-such-rev"):
        query(path, "log", "no-such-rev")
    assert succeeds(path, "rev-parse", "HEAD")
    assert not succeeds(path, "rev-parse", "--verify", "-q", "no-such-rev")
