"""A write killed at each of its steps (``CASEFLOW_CRASH_AT``, a real ``kill -9`` of a real process),
then the next command: it finishes the write when its commit object exists and undoes it otherwise,
leaves no lock, journal or temporary file, keeps what was being written as a draft, and the history
passes ``git fsck --full --strict``. Also writes refused by a full disk or a file-size limit."""

from __future__ import annotations

import shutil
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.core.journal import STEPS
from caseflow.testing import Result, git
from tests.faults.matrix import steps

CLIENT = "C-7K2M9Q"
NOTE = "Phone check-in; safety plan reviewed."
AS_CASEY = {"CASEFLOW_USER": "casey", "CASEFLOW_TODAY": "2026-11-17"}

#: Where the write's own commit exists once the process is killed (rolled forward by the next command).
COMMITTED_FROM = STEPS.index("commit")


def leftovers(repo: Path) -> list[str]:
    """Locks, the journal and temporary files: what a healed repository must not hold."""
    found = [str(p.relative_to(repo)) for p in (repo / ".git").rglob("*.lock")]
    found += [str(p.relative_to(repo)) for p in repo.rglob(".*.tmp") if ".git" not in p.parts]
    if (repo / ".caseflow" / "journal").exists():
        found.append(".caseflow/journal")
    return found


def fsck(repo: Path) -> None:
    git(repo, "fsck", "--full", "--strict", "--no-progress")


def visit(run_caseflow: Callable[..., Result], repo: Path, **env: str) -> Result:
    return run_caseflow("visit", CLIENT, "--type", "phone", "--note", NOTE, cwd=repo, env={**AS_CASEY, **env})


@pytest.mark.parametrize(
    "crash_at",
    steps(
        [*STEPS, "files:index-lock", "staged:index-lock", "commit:ref-lock", "tree:ref-lock"],
        fast=["journal", "files-1", "staged:index-lock", "commit:ref-lock", "ref", "done"],
    ),
)
def test_a_write_killed_at_any_step_is_finished_or_undone_by_the_next_command(
    crash_at: str, demo_repo: Callable[..., Path], run_caseflow: Callable[..., Result]
) -> None:
    repo = demo_repo()
    head = git(repo, "rev-parse", "HEAD").strip()
    killed = visit(run_caseflow, repo, CASEFLOW_CRASH_AT=crash_at)
    assert killed.exit_code == -signal.SIGKILL, killed.stderr

    after = run_caseflow("clients", cwd=repo, env=AS_CASEY)  # any command heals first
    after.assert_success()
    assert leftovers(repo) == []
    fsck(repo)
    assert git(repo, "status", "--porcelain") == ""  # files and index as HEAD has them
    new_head = git(repo, "rev-parse", "HEAD").strip()
    committed = STEPS.index(crash_at.split(":")[0]) >= COMMITTED_FROM
    if committed:
        assert git(repo, "rev-parse", "HEAD^").strip() == head
        assert NOTE in git(repo, "show", "HEAD", "--format=")
        assert (
            "-----BEGIN SSH SIGNATURE-----" in git(repo, "cat-file", "commit", "HEAD")
            or not (repo / ".caseflow" / "keys").is_dir()
        )  # finished exactly as the person made it: signed
    else:
        assert new_head == head
        drafts = list((repo / ".caseflow" / "drafts").rglob("*.md")) if crash_at != "journal" else []
        if crash_at not in ("journal",):
            assert any(NOTE in d.read_text() for d in drafts), "what was being written is kept"
        if STEPS.index(crash_at.split(":")[0]) > 0:
            assert "undid the interrupted write 'visit C-7K2M9Q'" in after.stderr
    # and the same write, again, goes through
    visit(run_caseflow, repo).assert_success()
    assert leftovers(repo) == []


def test_a_live_writer_is_never_healed_from_under_it(
    demo_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    """The journal of a write in progress (its process holds the writers' lock) is left alone."""
    from caseflow.core.store import Store

    repo = demo_repo()
    store = Store(repo)
    with store.lock():
        (repo / ".caseflow" / "journal").mkdir()
        (repo / ".caseflow" / "journal" / "intent.json").write_text('{"pid": 1}')
        assert store.heal() is None
        assert (repo / ".caseflow" / "journal" / "intent.json").exists()
    shutil.rmtree(repo / ".caseflow" / "journal")


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs util-linux's prlimit")
@pytest.mark.parametrize("limit", ["600", "4000"])
def test_a_file_size_limit_refuses_the_write_in_one_line_and_leaves_everything_as_it_was(
    limit: str, demo_repo: Callable[..., Path], tmp_path: Path
) -> None:
    """600 bytes: the note itself cannot be written; 4000: the note can, git's index cannot."""
    import os
    import subprocess
    import sys

    repo = demo_repo()
    head, status = git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain")
    note = NOTE * 20
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")} | AS_CASEY
    done = subprocess.run(
        [
            "prlimit",
            f"--fsize={limit}",
            sys.executable,
            "-m",
            "caseflow",
            "visit",
            CLIENT,
            "--type",
            "phone",
            "--note",
            note,
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "nothing was changed" in errors[0], done.stderr
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == status
    assert leftovers(repo) == []
    fsck(repo)


def test_a_writer_that_waited_for_the_lock_puts_right_a_write_killed_meanwhile(
    demo_repo: Callable[..., Path], run_caseflow: Callable[..., Result]
) -> None:
    """The journal of a write killed while another waited for the lock is healed by the one that
    waited, once it holds the lock, before it writes: never thrown away by its own journal."""
    import os
    import subprocess
    import sys
    import time

    from caseflow.core.writelock import queue, write_lock

    repo = demo_repo()
    head = git(repo, "rev-parse", "HEAD").strip()
    assert visit(run_caseflow, repo, CASEFLOW_CRASH_AT="files").exit_code == -signal.SIGKILL
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")} | AS_CASEY
    with write_lock(repo, command="test"):  # the killed write's journal stays: nobody can heal it yet
        waiting = subprocess.Popen(
            [sys.executable, "-m", "caseflow", "visit", CLIENT, "--type", "phone", "--note", "Second call."],
            cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while len(queue(repo)) < 2 and time.monotonic() < deadline:  # it is in the queue behind us
            time.sleep(0.05)
        assert (repo / ".caseflow" / "journal").exists()
    _out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert "undid the interrupted write 'visit C-7K2M9Q'" in err
    assert git(repo, "rev-parse", "HEAD^").strip() == head
    shown = git(repo, "show", "HEAD", "--format=")
    assert "Second call." in shown and NOTE not in shown
    assert leftovers(repo) == []
    assert git(repo, "status", "--porcelain") == ""


def test_a_write_killed_between_its_temporary_file_and_the_rename_keeps_those_bytes_as_a_draft(
    demo_repo: Callable[..., Path], run_caseflow: Callable[..., Result]
) -> None:
    """The temporary file is then the only copy of what was being written: kept, not deleted."""
    repo = demo_repo()
    head = git(repo, "rev-parse", "HEAD").strip()
    assert visit(run_caseflow, repo, CASEFLOW_CRASH_AT="files").exit_code == -signal.SIGKILL
    written = [p for p in (repo / "clients" / CLIENT / "visits").glob("*.md") if NOTE in p.read_text()]
    assert len(written) == 1
    note = written[0]
    note.rename(note.with_name(f".{note.name}.k3x9q2ab.tmp"))  # as if killed just before the rename
    healed = run_caseflow("clients", cwd=repo, env=AS_CASEY)
    healed.assert_success()
    assert git(repo, "rev-parse", "HEAD").strip() == head
    assert leftovers(repo) == []
    drafts = list((repo / ".caseflow" / "drafts").rglob(note.name))
    assert len(drafts) == 1 and NOTE in drafts[0].read_text()
