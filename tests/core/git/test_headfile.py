"""HEAD read from git's own files (caseflow/core/git/headfile.py): the commit git names, or None
where only git can tell, and then :func:`caseflow.core.git.runner.head` asks git."""

from __future__ import annotations

from pathlib import Path

import pytest

from caseflow.core.git import runner
from caseflow.core.git.headfile import head_commit
from caseflow.testing import git


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    git(tmp_path, "init", "-q", "--initial-branch=main", str(root))
    for n in (1, 2):
        (root / "a.txt").write_text(f"{n}\n")
        git(root, "add", "a.txt")
        git(root, "commit", "-q", "-m", f"change {n}")
    return root


def rev_parse(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def test_a_branch_with_a_ref_file_of_its_own_is_read_without_git(repo: Path) -> None:
    assert head_commit(repo) == rev_parse(repo)
    assert runner.head(repo) == rev_parse(repo)


def test_a_detached_head_is_read_without_git(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach", "HEAD~1")
    assert head_commit(repo) == rev_parse(repo) == (repo / ".git" / "HEAD").read_text().strip()


def test_a_packed_ref_is_left_to_git(repo: Path) -> None:
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert head_commit(repo) is None
    assert runner.head(repo) == rev_parse(repo)


def test_a_branch_with_no_commit_yet_has_none(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "--initial-branch=main", "empty")
    assert head_commit(tmp_path / "empty") is None
    assert runner.head(tmp_path / "empty") is None


def test_a_linked_worktree_is_left_to_git(repo: Path, tmp_path: Path) -> None:
    git(repo, "worktree", "add", "-q", "--detach", str(tmp_path / "other"), "HEAD~1")
    assert (tmp_path / "other" / ".git").is_file()
    assert head_commit(tmp_path / "other") is None
    assert runner.head(tmp_path / "other") == git(repo, "rev-parse", "HEAD~1").strip()


def test_git_dir_naming_another_repository_is_left_to_git(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_DIR", str(repo / ".git"))
    assert head_commit(repo) is None
