"""Writes refused by the disk: a full disk (ENOSPC), a file-size limit (EFBIG), a failing drive (EIO)
and a read-only file system (EROFS), at every step of a write. Each: one line saying why, exit 1,
no traceback, files, git's index and HEAD as they were, no lock or temporary file left, and the same
write going through once the disk is fine again.

Three ways in: errors injected at each step (``CASEFLOW_FAIL_AT``, in process); git itself failing
as it does on a full disk (a ``git`` in front of the real one on PATH); and a real, small, full
``tmpfs`` where the test may mount one (as root)."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from caseflow.core.journal import FAIL_ENV, STEPS
from caseflow.testing import Result, git
from tests.faults.test_interrupted_writes import AS_CASEY, CLIENT, NOTE, fsck, leftovers

ERRORS = ("ENOSPC", "EFBIG", "EIO", "EROFS")
#: Every step of a write at which the disk can fail it (``done`` is after the write is complete).
FAILING_STEPS = [step for step in STEPS if step != "done"]


def state(repo: Path) -> tuple[str, str]:
    return git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain")


def one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    return errors[0]


def matrix() -> list[object]:
    """Every step with a full disk, and each other error at one step, in the fast suite; the rest
    of the step-by-error matrix in the slow one."""
    cases: list[object] = []
    for number, step in enumerate(FAILING_STEPS):
        for error in ERRORS:
            fast = error == "ENOSPC" or ERRORS.index(error) == number % len(ERRORS)
            cases.append(pytest.param(step, error, marks=() if fast else pytest.mark.slow, id=f"{step}-{error}"))
    return cases


@pytest.mark.parametrize(("step", "error"), matrix())
def test_a_disk_error_at_any_step_refuses_the_write_and_changes_nothing(
    step: str, error: str, demo_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    repo = demo_repo()
    before = state(repo)
    refused = invoke_caseflow(
        "visit", CLIENT, "--type", "phone", "--note", NOTE, cwd=repo, env={**AS_CASEY, FAIL_ENV: f"{step}:{error}"}
    )
    assert refused.exit_code == 1
    line = one_error_line(refused.stderr)
    assert os.strerror(getattr(errno, error)) in line and "nothing was changed" in line
    assert state(repo) == before
    assert leftovers(repo) == []
    invoke_caseflow("visit", CLIENT, "--type", "phone", "--note", NOTE, cwd=repo, env=AS_CASEY).assert_success()
    assert NOTE in git(repo, "show", "HEAD", "--format=")


@pytest.mark.parametrize("step", ["files", "staged", "commit", "ref"])
def test_when_undoing_fails_too_the_next_command_puts_everything_back(
    step: str, demo_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    repo = demo_repo()
    before = state(repo)
    refused = invoke_caseflow(
        "visit", CLIENT, "--type", "phone", "--note", NOTE, cwd=repo,
        env={**AS_CASEY, FAIL_ENV: f"{step}:ENOSPC,undo:ENOSPC"},
    )  # fmt: skip
    assert refused.exit_code == 1
    line = one_error_line(refused.stderr)
    assert "undoing the written files failed too" in line and "the next caseflow command puts them back" in line
    healed = invoke_caseflow("clients", cwd=repo, env=AS_CASEY)
    healed.assert_success()
    assert "undid the write 'visit C-7K2M9Q' that failed: nothing of it was committed" in healed.stderr
    assert state(repo) == before
    assert leftovers(repo) == []
    drafts = list((repo / ".caseflow" / "drafts").rglob("*.md"))
    assert any(NOTE in draft.read_text() for draft in drafts)  # what was typed is kept


# -- git itself failing --------------------------------------------------------------------------------

#: A ``git`` in front of the real one that fails one subcommand as git does on a full disk.
FAILING_GIT = """#!/bin/sh
for word in "$@"; do
  case "$word" in
    {subcommand}) echo "fatal: unable to write new object: No space left on device" >&2; exit 128;;
    -*|*=*) ;;
    *) break;;
  esac
done
exec {git} "$@"
"""


@pytest.mark.parametrize("subcommand", ["add", "write-tree", "commit-tree", "update-ref"])
def test_git_failing_on_a_full_disk_refuses_the_write_in_one_line(
    subcommand: str, demo_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = demo_repo()
    before = state(repo)
    wrapper = tmp_path / "bin" / "git"
    wrapper.parent.mkdir()
    wrapper.write_text(FAILING_GIT.format(subcommand=subcommand, git=shutil.which("git")))
    wrapper.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")} | AS_CASEY
    env["PATH"] = f"{wrapper.parent}{os.pathsep}{env['PATH']}"
    command = [sys.executable, "-m", "caseflow", "visit", CLIENT, "--type", "phone", "--note", NOTE]
    done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    line = one_error_line(done.stderr)
    assert "No space left on device" in line and "nothing was changed" in line
    assert state(repo) == before
    assert leftovers(repo) == []
    fsck(repo)


# -- a real full disk ----------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 24 MB tmpfs (skipped where the test may not mount one)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """Fill ``disk`` up, leaving about ``leave`` bytes free."""
    filler = disk / "filler"
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with filler.open("wb") as handle:
        handle.truncate(0)
        handle.write(b"\0" * max(free - leave, 0))
    return filler


@pytest.mark.parametrize(
    "leave", [0, pytest.param(4096, marks=pytest.mark.slow), 16384, pytest.param(65536, marks=pytest.mark.slow)]
)
def test_a_real_full_disk_refuses_the_write_and_the_next_one_succeeds_once_there_is_room(
    leave: int, small_disk: Path, demo_repo: Callable[..., Path]
) -> None:
    repo = small_disk / "repo"
    shutil.copytree(demo_repo(), repo, symlinks=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")} | AS_CASEY
    command = [sys.executable, "-m", "caseflow", "visit", CLIENT, "--type", "phone", "--note", NOTE * 40]
    subprocess.run([sys.executable, "-m", "caseflow", "clients"], cwd=repo, env=env, capture_output=True, check=True)
    before = state(repo)
    filler = fill(small_disk, leave)
    done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode == 0:  # there was room after all: then it is a whole, good commit
        assert NOTE in git(repo, "show", "HEAD", "--format=")
    else:
        assert done.returncode == 1, done.stderr
        one_error_line(done.stderr)
        filler.unlink()
        after = subprocess.run([sys.executable, "-m", "caseflow", "clients"], cwd=repo, env=env, capture_output=True)
        assert after.returncode == 0, after.stderr
        assert state(repo) == before
    filler.unlink(missing_ok=True)
    assert leftovers(repo) == []
    fsck(repo)
    again = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
