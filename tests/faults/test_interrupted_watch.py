"""``caseflow watch --autocommit`` killed at each step of its commit (``CASEFLOW_CRASH_AT``, a real
``kill -9`` of the real process), then the next command: it finishes the commit when its commit
object exists and otherwise clears what the commit left, never touching the files (they hold what
the person saved) nor what the person staged; no lock, journal, scratch index or temporary file is
left, ``git fsck --full --strict`` passes, and watch, started again, commits what was typed."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.core.git.plumbing import InterruptedWrite
from caseflow.core.journal import WATCH_STEPS
from caseflow.core.store import Store
from caseflow.testing import Result, git
from tests.faults.matrix import steps
from tests.samples import CLIENT, CLIENT_YAML
from tests.watch.helpers import CASEY, NOTE, RECORD, Watch, committed, note, record, watcher_for

AS_CASEY = {"CASEFLOW_USER": "casey"}
STAGED = "providers/staged.yaml"
#: The soak's kill -9 trials (``-m slow``).
TRIALS = int(os.environ.get("CASEFLOW_SOAK_TRIALS", "200"))  # kill -9 trials of the slow soak
#: From this step on the commit object exists: the next command finishes the commit.
COMMITTED_FROM = WATCH_STEPS.index("watch-commit")


@pytest.fixture
def repo(case_repo: Callable[..., Path]) -> Path:
    path = case_repo({RECORD: CLIENT_YAML, NOTE: note("# Contact note\n")})
    (path / "providers").mkdir(exist_ok=True)
    (path / STAGED).write_text("id: staged\n")
    git(path, "add", STAGED)  # the person's own staging, which nothing may take or drop
    return path


def leftovers(repo: Path) -> list[str]:
    """Locks, the journal, scratch indexes and temporary files: what a healed repository must not hold."""
    found = [str(p.relative_to(repo)) for p in (repo / ".git").rglob("*.lock")]
    found += [str(p.relative_to(repo)) for p in repo.rglob("*.tmp") if ".git" not in p.parts]
    found += [str(p.relative_to(repo)) for p in (repo / ".caseflow").glob("commit-*")]
    if (repo / ".caseflow" / "journal").exists():
        found.append(".caseflow/journal")
    return found


def staged(repo: Path) -> list[str]:
    return git(repo, "diff", "--cached", "--name-only").split()


def check_healed(
    repo: Path, run_caseflow: Callable[..., Result], head: str, typed: str, keep: Path
) -> tuple[bool, str]:
    """The next command heals: (was the commit finished, what it said). ``keep``: an editor's
    temporary file, which must survive."""
    after = run_caseflow("clients", cwd=repo, env=AS_CASEY)  # any command heals first
    after.assert_success()
    assert "Traceback" not in after.stderr
    assert keep.read_text() == "half of what a person is typing"
    keep.unlink()
    assert leftovers(repo) == []
    git(repo, "fsck", "--full", "--strict", "--no-progress")
    assert (repo / RECORD).read_text() == typed  # what the person saved, untouched
    assert staged(repo) == [STAGED]  # the person's staging kept, nothing half-staged
    new_head = git(repo, "rev-parse", "HEAD").strip()
    if new_head == head:
        assert committed(repo, RECORD) == CLIENT_YAML  # old ...
        assert git(repo, "status", "--porcelain", "--", RECORD) == f" M {RECORD}\n"  # ... and still to commit
        return False, after.stderr
    assert git(repo, "rev-parse", "HEAD^").strip() == head  # one commit, on top of the old HEAD
    assert committed(repo, RECORD) == typed  # ... or new
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == [RECORD]
    assert git(repo, "status", "--porcelain", "--", RECORD) == ""
    return True, after.stderr


@pytest.mark.parametrize(
    "crash_at",
    steps(
        [*WATCH_STEPS, "watch-commit:ref-lock", "watch-ref:index-lock"],
        fast=["watch-blobs", "watch-commit:ref-lock", "watch-ref:index-lock", "watch-index"],
    ),
)
def test_watch_killed_at_any_step_of_its_commit_is_finished_or_cleared_by_the_next_command(
    crash_at: str, repo: Path, run_caseflow: Callable[..., Result]
) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    editors = repo / f"clients/{CLIENT}/.client.yaml.k3j2.tmp"  # the next save, under way in an editor
    watch = Watch(repo, "--autocommit", "--quiet-ms", "100", env={"CASEFLOW_CRASH_AT": crash_at})
    try:
        editors.write_text("half of what a person is typing")
        typed = record("555-0301")
        (repo / RECORD).write_text(typed)
        assert watch.process.wait(timeout=15) == -signal.SIGKILL
    finally:
        watch.close()
    assert (repo / ".caseflow" / "journal").exists()  # killed inside the commit, journal and all

    finished, said = check_healed(repo, run_caseflow, head, typed, keep=editors)
    assert finished == (WATCH_STEPS.index(crash_at.split(":")[0]) >= COMMITTED_FROM)
    assert len(said.strip().splitlines()) == 1  # one line says what was done
    if finished:
        assert "interrupted write 'edit C-7K2M9Q'" in said
        return
    assert "interrupted commit 'edit C-7K2M9Q' was not made" in said
    again = Watch(repo, "--autocommit", "--quiet-ms", "100")  # what was typed is committed next time
    try:
        again.wait_for(lambda e: committed(repo, RECORD) == typed, timeout=10)
        assert again.stop() == 0
    finally:
        again.close()
    assert git(repo, "rev-parse", "HEAD^").strip() == head
    assert leftovers(repo) == [] and staged(repo) == [STAGED]


def test_watch_itself_heals_a_commit_of_its_own_that_was_killed(repo: Path) -> None:
    """The next command may be watch: it finishes the commit first, and makes no second one."""
    head = git(repo, "rev-parse", "HEAD").strip()
    watch = Watch(repo, "--autocommit", "--quiet-ms", "100", env={"CASEFLOW_CRASH_AT": "watch-commit"})
    try:
        typed = record("555-0302")
        (repo / RECORD).write_text(typed)
        assert watch.process.wait(timeout=15) == -signal.SIGKILL
    finally:
        watch.close()
    again = Watch(repo, "--autocommit", "--quiet-ms", "100")
    try:
        again.collect(0.5)
        assert again.stop() == 0
        stderr = again.stderr
    finally:
        again.close()
    assert "finished the interrupted write 'edit C-7K2M9Q'" in stderr
    assert git(repo, "rev-parse", "HEAD^").strip() == head and committed(repo, RECORD) == typed
    assert leftovers(repo) == [] and staged(repo) == [STAGED]
    git(repo, "fsck", "--full", "--strict", "--no-progress")


def test_a_write_killed_while_watch_runs_is_healed_before_watchs_next_commit(
    repo: Path, run_caseflow: Callable[..., Result]
) -> None:
    """Another command killed halfway while watch runs: watch finishes that write before it commits
    anything (its own journal must never replace the other's), and says so in one line."""
    git(repo, "reset", "-q", "--", STAGED)  # nothing staged: the write commits step by step
    head = git(repo, "rev-parse", "HEAD").strip()
    watch = Watch(repo, "--autocommit", "--quiet-ms", "100")
    try:
        killed = run_caseflow(
            "visit",
            CLIENT,
            "--type",
            "phone",
            "--note",
            "Phone check-in.",
            cwd=repo,
            env={**AS_CASEY, "CASEFLOW_CRASH_AT": "commit"},
        )
        assert killed.exit_code == -signal.SIGKILL, killed.stderr
        typed = note("# Contact note\n\nA second save.\n")
        (repo / NOTE).write_text(typed)
        watch.wait_for(lambda e: committed(repo, NOTE) == typed, timeout=10)
        assert watch.stop() == 0
        stderr = watch.stderr
    finally:
        watch.close()
    assert "finished the interrupted write 'visit C-7K2M9Q'" in stderr
    made = git(repo, "log", "--format=%s", f"{head}..HEAD").splitlines()
    assert made == [f"edit {CLIENT}", f"visit {CLIENT}"]  # the visit, finished, then watch's own
    assert leftovers(repo) == []
    git(repo, "fsck", "--full", "--strict", "--no-progress")


def test_watchs_commit_never_replaces_the_journal_of_a_write_killed_meanwhile(
    repo: Path, run_caseflow: Callable[..., Result], capsys: pytest.CaptureFixture[str]
) -> None:
    """A write killed after watch last healed (while watch waited for the lock, say): watch's commit
    never begins over that write's journal; once it holds the lock it heals it first, saying so."""
    git(repo, "reset", "-q", "--", STAGED)
    watcher, _, notices = watcher_for(repo)  # opened (and healed) before the write is killed
    head = git(repo, "rev-parse", "HEAD").strip()
    killed = run_caseflow(
        "visit",
        CLIENT,
        "--type",
        "phone",
        "--note",
        "Phone check-in.",
        cwd=repo,
        env={**AS_CASEY, "CASEFLOW_CRASH_AT": "commit"},
    )
    assert killed.exit_code == -signal.SIGKILL, killed.stderr
    assert (repo / ".caseflow/journal/intent.json").exists()
    typed = record("555-0304")
    (repo / RECORD).write_text(typed)
    watcher.judge(RECORD)
    watcher.commit(CLIENT)
    said = " ".join(notices) + capsys.readouterr().err
    assert "finished the interrupted write 'visit C-7K2M9Q'" in said
    assert git(repo, "log", "--format=%s", f"{head}..HEAD").splitlines() == [f"edit {CLIENT}", f"visit {CLIENT}"]
    assert committed(repo, RECORD) == typed
    assert leftovers(repo) == []


def test_a_journal_of_this_process_is_never_healed_from_under_it(repo: Path) -> None:
    """The guard below the lock: a journal whose writer is alive and is this very process (a lock
    taken again inside its own write) is left alone, and watch's commit refuses to begin over it."""
    folder = repo / ".caseflow" / "journal"
    folder.mkdir(parents=True)
    (folder / "intent.json").write_text(
        json.dumps({"pid": os.getpid(), "action": "visit", "client": CLIENT, "head": None, "message": "m", "paths": []})
    )
    typed = record("555-0305")
    (repo / RECORD).write_text(typed)
    with pytest.raises(InterruptedWrite):
        Store(repo).commit_files(CASEY, {RECORD: typed.encode()}, action="edit", client=CLIENT)
    assert (folder / "intent.json").exists()
    shutil.rmtree(folder)


def test_a_commit_killed_while_recording_its_intent_leaves_nothing_behind(repo: Path) -> None:
    """Killed inside the journal's own atomic write (found by the soak below): the intent's
    temporary file and the folder are all there is, and they go."""
    folder = repo / ".caseflow" / "journal"
    (folder / "old").mkdir(parents=True)
    (folder / ".intent.json.fm3f9ryo.tmp").write_text('{"pid": 4')
    head = git(repo, "rev-parse", "HEAD").strip()
    assert Store(repo).heal() is None  # nothing was done: nothing to say
    assert leftovers(repo) == [] and git(repo, "rev-parse", "HEAD").strip() == head
    assert staged(repo) == [STAGED]


@pytest.mark.slow
def test_soak_watch_killed_at_random_moments_of_a_burst_of_saves(
    repo: Path, run_caseflow: Callable[..., Result]
) -> None:
    """kill -9 at random moments while a person saves again and again: after each, the next
    command leaves a sound repository, files as saved, and every commit one the person saved."""
    rng = random.Random(1616)
    saved: list[str] = [CLIENT_YAML]
    mid_commit = 0  # trials killed inside a commit
    for trial in range(TRIALS):
        head = git(repo, "rev-parse", "HEAD").strip()
        watch = Watch(repo, "--autocommit", "--quiet-ms", "50")
        try:
            deadline = time.monotonic() + rng.uniform(0.05, 0.6)
            n = 0
            while time.monotonic() < deadline:
                saved.append(record(f"555-{trial:02d}{n:02d}"))
                (repo / RECORD).write_text(saved[-1])
                n += 1
                time.sleep(rng.uniform(0.0, 0.08))
            watch.process.send_signal(signal.SIGKILL)
            watch.process.wait(timeout=10)
        finally:
            watch.close()
        mid_commit += (repo / ".caseflow" / "journal").exists()
        after = run_caseflow("clients", cwd=repo, env=AS_CASEY)
        after.assert_success()
        assert "Traceback" not in after.stderr
        assert leftovers(repo) == [], trial
        git(repo, "fsck", "--full", "--strict", "--no-progress")
        assert (repo / RECORD).read_text() == saved[-1]
        assert staged(repo) == [STAGED], trial
        for commit in git(repo, "log", "--format=%H", f"{head}..HEAD").split():
            assert committed(repo, RECORD, commit) in saved  # nothing but what was saved, whole
    print(f"{mid_commit} of {TRIALS} trials killed inside a commit")
    assert mid_commit >= TRIALS // 10  # the soak reaches the commit's steps, not only the waits
    final = Watch(repo, "--autocommit", "--quiet-ms", "50")
    try:
        final.wait_for(lambda e: committed(repo, RECORD) == saved[-1], timeout=10)
    finally:
        final.close()
