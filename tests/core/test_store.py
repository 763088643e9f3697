"""The store: one commit per action by the acting person, or nothing at all."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.core.store import Author, Store, commit_message
from caseflow.errors import LockTimeout, StoreError
from caseflow.testing import git

CASEY = Author("Casey Rivera", "casey@riverbend.example")


def state(path: Path) -> tuple[str, str, str]:
    return git(path, "rev-parse", "HEAD"), git(path, "status", "--porcelain"), git(path, "ls-files", "-s")


def test_a_transaction_is_one_commit_by_the_author_with_trailers(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    with Store(path).transaction(CASEY, action="set", client="C-7K2M9Q") as tx:
        tx.write("clients/C-7K2M9Q/a.yaml", b"form: x\n")
        tx.write("clients/C-7K2M9Q/visits/b.md", b"---\nform: y\n---\n")
    assert tx.commit == git(path, "rev-parse", "HEAD").strip()
    log = git(path, "log", "-1", "--format=%an <%ae>|%cn|%B")
    assert log.startswith("Casey Rivera <casey@riverbend.example>|Casey Rivera|set C-7K2M9Q\n")
    assert "Caseflow-Client: C-7K2M9Q\nCaseflow-Action: set" in log
    assert git(path, "show", "--name-only", "--format=", "HEAD").split() == [
        "clients/C-7K2M9Q/a.yaml",
        "clients/C-7K2M9Q/visits/b.md",
    ]
    assert git(path, "status", "--porcelain") == ""


def test_commit_message_names_no_one() -> None:
    assert (
        commit_message("intake", "C-7K2M9Q")
        == "intake C-7K2M9Q\n\nCaseflow-Client: C-7K2M9Q\nCaseflow-Action: intake\n"
    )


def test_a_refused_commit_leaves_files_index_and_head_as_they_were(case_repo: Callable[..., Path]) -> None:
    path = case_repo({"clients/C-7K2M9Q/a.yaml": "form: old\n"})
    hook = path / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'policy says no' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = state(path)
    with (
        pytest.raises(StoreError, match="git refused the commit"),
        Store(path).transaction(CASEY, action="set", client="C-7K2M9Q") as tx,
    ):
        tx.write("clients/C-7K2M9Q/a.yaml", b"form: new\n")
        tx.write("clients/C-7K2M9Q/new/b.yaml", b"form: b\n")
    assert state(path) == before
    assert (path / "clients/C-7K2M9Q/a.yaml").read_text() == "form: old\n"
    assert not (path / "clients/C-7K2M9Q/new").exists()


def test_an_error_inside_the_block_writes_nothing(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    before = state(path)
    with pytest.raises(RuntimeError), Store(path).transaction(CASEY, action="set", client="C-7K2M9Q") as tx:
        tx.write("clients/C-7K2M9Q/a.yaml", b"form: x\n")
        raise RuntimeError("validation failed")
    assert state(path) == before
    assert not (path / "clients").exists()


def test_other_staged_changes_are_not_swept_into_the_commit(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    (path / "notes.txt").write_text("someone's staged work\n")
    git(path, "add", "notes.txt")
    with Store(path).transaction(CASEY, action="set", client="C-7K2M9Q") as tx:
        tx.write("clients/C-7K2M9Q/a.yaml", b"form: x\n")
    assert git(path, "show", "--name-only", "--format=", "HEAD").split() == ["clients/C-7K2M9Q/a.yaml"]
    assert git(path, "status", "--porcelain") == "A  notes.txt\n"


def test_one_writer_at_a_time(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    store = Store(path)
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with store.lock():
            holding.set()
            release.wait(10)

    worker = threading.Thread(target=hold)
    worker.start()
    try:
        assert holding.wait(10)
        with pytest.raises(LockTimeout, match="another caseflow command is writing"), store.lock(wait=0.2):
            pass
    finally:
        release.set()
        worker.join()
    with store.lock(wait=0.2):
        pass


def test_lock_file_stays_local(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    with Store(path).lock():
        assert (path / ".caseflow" / "lock").exists()
    assert git(path, "status", "--porcelain", "--ignored").strip() == "!! .caseflow/"
    assert os.path.getsize(path / ".caseflow" / "lock") == 0


def test_written_files_keep_their_permissions(case_repo: Callable[..., Path]) -> None:
    path = case_repo({"clients/C-7K2M9Q/a.yaml": "form: old\n"})
    existing = path / "clients/C-7K2M9Q/a.yaml"
    existing.chmod(0o640)
    git(path, "commit", "-qam", "mode", "--allow-empty")
    previous = os.umask(0o022)
    try:
        with Store(path).transaction(CASEY, action="set", client="C-7K2M9Q") as tx:
            tx.write("clients/C-7K2M9Q/a.yaml", b"form: new\n")
            tx.write("clients/C-7K2M9Q/b.yaml", b"form: b\n")
    finally:
        os.umask(previous)
    assert oct(existing.stat().st_mode & 0o777) == "0o640"
    assert oct((path / "clients/C-7K2M9Q/b.yaml").stat().st_mode & 0o777) == "0o644"


def test_never_writes_through_a_symbolic_link(case_repo: Callable[..., Path], tmp_path: Path) -> None:
    path = case_repo()
    outside = tmp_path / "outside"
    outside.mkdir()
    (path / "clients" / "C-7K2M9Q").mkdir(parents=True)
    os.symlink(outside, path / "clients" / "C-7K2M9Q" / "visits")
    before = state(path)
    with (
        pytest.raises(StoreError, match="is a symbolic link"),
        Store(path).transaction(CASEY, action="new", client="C-7K2M9Q") as tx,
    ):
        tx.write("clients/C-7K2M9Q/visits/2026-01-01-home.md", b"---\nform: core.visit\n---\n")
    assert list(outside.iterdir()) == []
    assert state(path) == before


def test_an_index_lock_held_by_a_running_git_is_explained_and_nothing_is_written(
    case_repo: Callable[..., Path],
) -> None:
    path = case_repo()
    (path / ".git" / "index.lock").write_text("")
    before = state(path)
    running = subprocess.Popen(["git", "cat-file", "--batch"], cwd=path, stdin=subprocess.PIPE)  # a live git here
    # Popen returns as soon as exec has begun; the kernel names the process "git" a moment later.
    deadline = time.monotonic() + 10
    while Path(f"/proc/{running.pid}/comm").read_text().strip() != "git" and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        with (
            pytest.raises(StoreError, match=r"git's index is locked \(.git/index.lock\) by a git command running"),
            Store(path).transaction(CASEY, action="set", client="C-7K2M9Q") as tx,
        ):
            tx.write("clients/C-7K2M9Q/a.yaml", b"form: x\n")
    finally:
        running.communicate(b"")
    assert (path / ".git" / "index.lock").exists()  # never taken from a live process
    (path / ".git" / "index.lock").unlink()
    assert state(path) == before
    assert not (path / "clients").exists()


def test_an_index_lock_a_killed_git_left_is_cleared_and_the_write_goes_through(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    (path / ".git" / "index.lock").write_text("")
    with Store(path).transaction(CASEY, action="set", client="C-7K2M9Q") as tx:
        tx.write("clients/C-7K2M9Q/a.yaml", b"form: x\n")
    assert not (path / ".git" / "index.lock").exists()
    assert git(path, "log", "-1", "--format=%H").strip() == tx.commit


def test_a_plain_commit_is_what_git_commit_would_have_made(case_repo: Callable[..., Path]) -> None:
    """Nothing staged, no hooks, no signing: caseflow commits with git's plumbing, to the same effect."""
    path = case_repo()
    branch = git(path, "symbolic-ref", "HEAD").strip()
    parent = git(path, "rev-parse", "HEAD").strip()
    with Store(path).transaction(CASEY, action="set", client="C-7K2M9Q") as tx:
        tx.write("clients/C-7K2M9Q/a.yaml", b"form: x\n")
    assert git(path, "symbolic-ref", "HEAD").strip() == branch  # the branch moved, HEAD is not detached
    assert git(path, "rev-parse", f"{branch}").strip() == tx.commit
    assert git(path, "rev-parse", "HEAD^").strip() == parent
    assert git(path, "reflog", "-1", "--format=%gs").strip() == "commit: set C-7K2M9Q"
    assert git(path, "status", "--porcelain") == ""
    assert git(path, "diff", "--cached", "--stat") == ""
    assert "a.yaml" in git(path, "ls-files", "-s", "clients/C-7K2M9Q")


def test_a_commit_that_must_be_signed_goes_through_git_commit(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    git(path, "config", "commit.gpgsign", "true")
    git(path, "config", "gpg.program", "false")  # a signer that always fails: git commit must have asked it
    before = state(path)
    with (
        pytest.raises(StoreError, match="git refused the commit"),
        Store(path).transaction(CASEY, action="set", client="C-7K2M9Q") as tx,
    ):
        tx.write("clients/C-7K2M9Q/a.yaml", b"form: x\n")
    assert state(path) == before


def _edits() -> dict[str, Callable[[Path], None]]:
    """Ways a person leaves a tracked file (or a path beside it) in the working tree."""
    target = "clients/C-7K2M9Q/a.yaml"

    def modify(path: Path) -> None:
        (path / target).write_text("form: edited\n")

    def stage_then_revert(path: Path) -> None:
        modify(path)
        git(path, "add", target)
        (path / target).write_text("form: old\n")

    def chmod(path: Path) -> None:
        (path / target).chmod(0o755)

    def delete(path: Path) -> None:
        (path / target).unlink()

    def untracked(path: Path) -> None:
        (path / "clients/C-7K2M9Q/new.yaml").write_text("form: new\n")

    def staged_new(path: Path) -> None:
        untracked(path)
        git(path, "add", "clients/C-7K2M9Q/new.yaml")

    def same_bytes_rewritten(path: Path) -> None:  # stat changes, content does not: not a change
        data = (path / target).read_bytes()
        os.utime(path / target, (1, 1))
        (path / target).write_bytes(data)

    def other_file_staged(path: Path) -> None:
        (path / "clients/C-7K2M9Q/b.yaml").write_text("form: b2\n")
        git(path, "add", "clients/C-7K2M9Q/b.yaml")

    def replaced_by_folder(path: Path) -> None:
        delete(path)
        (path / target).mkdir()
        (path / target / "x.yaml").write_text("form: x\n")

    def nothing(path: Path) -> None:
        pass

    return {
        f.__name__: f
        for f in (
            modify,
            stage_then_revert,
            chmod,
            delete,
            untracked,
            staged_new,
            same_bytes_rewritten,
            other_file_staged,
            replaced_by_folder,
            nothing,
        )
    }


@pytest.mark.parametrize("edit", sorted(_edits()))
def test_uncommitted_says_what_git_status_says(case_repo: Callable[..., Path], edit: str) -> None:
    """The store answers most of "uncommitted?" without ``git status`` (hashing the file, HEAD's
    tree, what is staged): its answer must be git status's, whatever a person did to the file."""
    from caseflow.core.git import listing

    path = case_repo({"clients/C-7K2M9Q/a.yaml": "form: old\n", "clients/C-7K2M9Q/b.yaml": "form: b\n"})
    _edits()[edit](path)
    store = Store(path)
    asked = [
        "clients/C-7K2M9Q/a.yaml",
        "clients/C-7K2M9Q/b.yaml",
        "clients/C-7K2M9Q/new.yaml",
        "clients/C-7K2M9Q/never.yaml",
        "clients/C-7K2M9Q",
    ]
    for paths in ([p] for p in asked):
        assert store.uncommitted(paths) == listing.uncommitted(path, paths), (edit, paths)
    assert store.uncommitted(asked) == listing.uncommitted(path, asked)


def test_a_plain_write_asks_git_what_is_staged_once(
    case_repo: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write path runs no ``git status`` and asks what is staged once (its answer is kept
    while git's index file and HEAD stay the same): GIT_TRACE lists the git commands it ran."""
    path = case_repo({"clients/C-7K2M9Q/a.yaml": "form: old\n"})
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    store = Store(path)
    with store.transaction(CASEY, action="set", client="C-7K2M9Q") as tx:
        assert store.uncommitted(["clients/C-7K2M9Q/a.yaml"]) == []
        tx.write("clients/C-7K2M9Q/a.yaml", b"form: new\n")
    monkeypatch.delenv("GIT_TRACE")
    commands = [
        line.split("built-in: git ", 1)[1] for line in trace.read_text().splitlines() if "built-in: git " in line
    ]
    assert not [c for c in commands if c.startswith("status")], commands
    assert len([c for c in commands if c.startswith("diff --cached")]) == 1, commands
    assert [c.split()[0] for c in commands[-4:]] == ["add", "write-tree", "commit-tree", "update-ref"], commands
    assert git(path, "show", "HEAD:clients/C-7K2M9Q/a.yaml") == "form: new\n"
