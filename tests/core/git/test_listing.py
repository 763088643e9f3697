"""Listing one client's folder (what a long-running process does after a change) reads git's index
once, and says exactly what the whole tree's listing says of that folder, whatever its state."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.core.git import listing
from caseflow.testing import commit_files, git

FOLDER = "clients/C-7K2M9Q"
OTHER = "clients/C-3H8P2W"


@pytest.fixture
def folder_repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    commit_files(
        tmp_path,
        {
            f"{FOLDER}/client.yaml": "name: Test Client\n",
            f"{FOLDER}/plan.yaml": "goals: []\n",
            f"{FOLDER}/visits/2026-11-02.md": "# Visit\n",
            f"{FOLDER}/notes.md": "# Notes\n",
            f"{OTHER}/client.yaml": "name: Other Client\n",
        },
    )
    return tmp_path


def _write(root: Path, path: str, text: str) -> None:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(text)


def _conflict(root: Path) -> None:
    """``plan.yaml`` changed on two branches and merged: unmerged in git's index."""
    git(root, "checkout", "-q", "-b", "theirs")
    commit_files(root, {f"{FOLDER}/plan.yaml": "goals: [theirs]\n"})
    git(root, "checkout", "-q", "main")
    commit_files(root, {f"{FOLDER}/plan.yaml": "goals: [ours]\n"})
    with pytest.raises(Exception):  # noqa: B017 - git's exit 1: the conflict this wants
        git(root, "merge", "-q", "theirs")


STATES: dict[str, Callable[[Path], None]] = {
    "clean": lambda root: None,
    "edited": lambda root: _write(root, f"{FOLDER}/client.yaml", "name: Changed\n"),
    "staged": lambda root: (
        _write(root, f"{FOLDER}/client.yaml", "name: Staged\n"),
        git(root, "add", f"{FOLDER}/client.yaml"),
    ),
    "staged-then-edited": lambda root: (
        _write(root, f"{FOLDER}/client.yaml", "name: Staged\n"),
        git(root, "add", f"{FOLDER}/client.yaml"),
        _write(root, f"{FOLDER}/client.yaml", "name: Edited after\n"),
    ),
    "added": lambda root: (
        _write(root, f"{FOLDER}/referrals/r1.yaml", "to: housing\n"),
        git(root, "add", f"{FOLDER}/referrals/r1.yaml"),
    ),
    "added-then-edited": lambda root: (
        _write(root, f"{FOLDER}/referrals/r1.yaml", "to: housing\n"),
        git(root, "add", f"{FOLDER}/referrals/r1.yaml"),
        _write(root, f"{FOLDER}/referrals/r1.yaml", "to: education\n"),
    ),
    "deleted": lambda root: (root / FOLDER / "plan.yaml").unlink(),
    "removed-from-index": lambda root: git(root, "rm", "-q", "--cached", f"{FOLDER}/plan.yaml"),
    "removed": lambda root: git(root, "rm", "-q", f"{FOLDER}/plan.yaml"),
    "untracked": lambda root: _write(root, f"{FOLDER}/extra.md", "# Extra\n"),
    "untracked-folder": lambda root: _write(root, f"{FOLDER}/new/deeper/x.md", "# New\n"),
    "ignored": lambda root: (
        _write(root, f"{FOLDER}/.gitignore", "*.md\n"),
        git(root, "add", f"{FOLDER}/.gitignore"),
        _write(root, f"{FOLDER}/visits/ignored.md", "# Hidden\n"),
    ),
    "link": lambda root: os.symlink("client.yaml", root / FOLDER / "linked.yaml"),
    "merge-conflict": _conflict,
    "folder-made-a-link": lambda root: (
        (root / FOLDER).rename(root / "elsewhere"),
        _write(root, "elsewhere/extra.md", "# Through the link\n"),
        os.symlink(root / "elsewhere", root / FOLDER),
    ),
    "other-folder-changed": lambda root: _write(root, f"{OTHER}/client.yaml", "name: Elsewhere\n"),
}


@pytest.mark.parametrize("state", list(STATES))
def test_one_folder_is_listed_as_the_whole_tree_lists_it(folder_repo: Path, state: str) -> None:
    STATES[state](folder_repo)
    staged, changed = listing.listing(folder_repo, "clients", optional_locks=False)
    whole = (
        {p: v for p, v in staged.items() if p.startswith(f"{FOLDER}/")},
        {p: v for p, v in changed.items() if p.startswith(f"{FOLDER}/")},
    )
    assert listing.listing(folder_repo, FOLDER, optional_locks=False, whole_tree=False) == whole
    if state != "clean":
        assert whole != listing.listing(folder_repo, OTHER, optional_locks=False, whole_tree=False)


def test_a_folder_before_the_first_commit_is_listed_from_the_index(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    _write(tmp_path, f"{FOLDER}/client.yaml", "name: Test Client\n")
    git(tmp_path, "add", FOLDER)
    _write(tmp_path, f"{FOLDER}/plan.yaml", "goals: []\n")
    staged, changed = listing.listing(tmp_path, FOLDER, optional_locks=False, whole_tree=False)
    assert list(staged) == [f"{FOLDER}/client.yaml"]
    assert changed == {f"{FOLDER}/client.yaml": "A ", f"{FOLDER}/plan.yaml": "??"}
