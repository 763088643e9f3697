"""``caseflow doctor``: each condition made for real in a real clone (a lock file no process holds,
a half-staged index made with ``git update-index``, temporary files, a write killed with
``CASEFLOW_CRASH_AT``, a merge stopped at a conflict), reported without a change, then put right
with ``--fix``; and what a live process holds (a file it has open, a running git, the writers'
lock) never touched."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from caseflow.core.git.runner import GitFailed
from caseflow.testing import Result, git
from tests.samples import CLIENT, CLIENT_YAML

Run = Callable[..., Result]
NOTE = "Phone check-in; safety plan reviewed."
AS_CASEY = {"CASEFLOW_USER": "casey", "CASEFLOW_TODAY": "2026-11-17"}
PLAN = f"""form: core.plan
client: {CLIENT}
review_date: 2026-03-01
goals:
  - id: g1
    title: Stable housing
    status: active
"""
LONG_AGO = time.time() - 3600


@pytest.fixture
def repo(case_repo: Callable[..., Path]) -> Path:
    return case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML, f"clients/{CLIENT}/plan.yaml": PLAN})


def doctor(invoke: Run, repo: Path, *args: str) -> tuple[Result, list[dict[str, object]]]:
    """The report as text, and as JSON (asked for separately: the same findings)."""
    text = invoke("--repo", repo, "doctor", *args)
    if "--fix" in args:
        return text, []
    shown = invoke("--repo", repo, "doctor", "--json", *args)
    assert shown.exit_code == text.exit_code, shown.stderr
    return text, json.loads(shown.stdout)


def kinds(findings: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(f["kind"], f["path"]) for f in findings]


def snapshot(repo: Path) -> dict[str, bytes]:
    """Every file of the clone, git's folder and .caseflow/ included: what a report must not change
    (but the caches the command line's start-up keeps, whatever the command)."""
    return {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and "index.sqlite" not in p.name and p.name != "config-checked.json"
    }


@contextlib.contextmanager
def child(code: str, cwd: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """A live Python process running ``code``, which prints a line once it holds what it holds."""
    process = subprocess.Popen(
        [sys.executable, "-c", code + "\nprint('ready', flush=True)\nimport time; time.sleep(60)"],
        cwd=cwd,
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == b"ready\n"
        yield process
    finally:
        process.kill()
        process.communicate()


def test_a_healthy_clone_says_so(repo: Path, invoke_caseflow: Run) -> None:
    text, findings = doctor(invoke_caseflow, repo)
    text.assert_success()
    assert findings == [] and text.stdout == "healthy: nothing to put right\n"
    invoke_caseflow("--repo", repo, "doctor", "--fix").assert_success()


def test_stale_git_locks_are_reported_then_removed(repo: Path, invoke_caseflow: Run) -> None:
    locks = [repo / ".git/index.lock", repo / ".git/HEAD.lock", repo / ".git/refs/heads/main.lock"]
    for lock in locks:
        lock.write_bytes(b"")
        os.utime(lock, (LONG_AGO, LONG_AGO))
    before = snapshot(repo)
    text, findings = doctor(invoke_caseflow, repo)
    text.assert_refused(1)
    assert kinds(findings) == [("stale-lock", ".git/HEAD.lock"), ("stale-lock", ".git/index.lock"),
                               ("stale-lock", ".git/refs/heads/main.lock")]  # fmt: skip
    assert all(f["fixed"] is False and f["problem"] is True for f in findings)
    assert "3 problems: `caseflow doctor --fix` puts them right" in text.stdout
    assert snapshot(repo) == before  # a report changes nothing

    fixed = invoke_caseflow("--repo", repo, "doctor", "--fix").assert_success()
    assert fixed.stdout.count("✓ stale-lock") == 3
    assert "removed .git/index.lock: no process had it open and no git command was running here" in fixed.stdout
    assert not any(lock.exists() for lock in locks)
    invoke_caseflow("--repo", repo, "set", CLIENT, "plan.yaml", "review_date=2026-04-01", env=AS_CASEY).assert_success()


def test_a_lock_a_live_process_has_open_is_never_touched(repo: Path, invoke_caseflow: Run) -> None:
    lock = repo / ".git/index.lock"
    holds = f"import fcntl; f = open({str(lock)!r}, 'w'); fcntl.flock(f, fcntl.LOCK_EX)"
    with child(holds) as process:
        os.utime(lock, (LONG_AGO, LONG_AGO))  # old, yet held
        fixed = invoke_caseflow("--repo", repo, "doctor", "--fix", "--json").assert_success()
        (found,) = json.loads(fixed.stdout)
        assert (found["kind"], found["fixed"], found["problem"]) == ("busy-lock", False, False)
        assert f"open in pid {process.pid} (python" in str(found["detail"]) and lock.exists()
    invoke_caseflow("--repo", repo, "doctor", "--fix").assert_success()  # its process is gone: stale now
    assert not lock.exists()


def test_a_git_command_running_here_keeps_every_lock(repo: Path, invoke_caseflow: Run) -> None:
    lock = repo / ".git/HEAD.lock"
    lock.write_bytes(b"")
    running = subprocess.Popen(["git", "cat-file", "--batch"], cwd=repo, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/proc/{running.pid}/comm").read_text().startswith("git") and time.monotonic() < deadline:
            time.sleep(0.01)  # until the child is git itself
        fixed = invoke_caseflow("--repo", repo, "doctor", "--fix").assert_success()
        assert f"a git command is running in this repository (pid {running.pid} (git)); left alone" in fixed.stdout
        assert lock.exists()
    finally:
        running.kill()
        running.communicate()


def test_a_half_staged_index_is_unstaged_and_a_persons_git_add_is_left_alone(
    repo: Path, invoke_caseflow: Run, tmp_path: Path
) -> None:
    plan, client = f"clients/{CLIENT}/plan.yaml", f"clients/{CLIENT}/client.yaml"
    staged_plan = PLAN.replace("2026-03-01", "2026-09-09")
    (tmp_path / "staged").write_text(staged_plan)
    blob = git(repo, "hash-object", "-w", str(tmp_path / "staged")).strip()
    git(repo, "update-index", "--cacheinfo", f"100644,{blob},{plan}")  # what an undone write leaves
    (repo / client).write_text(CLIENT_YAML + "phone: 555-0100\n")
    git(repo, "add", client)  # someone's own staged edit
    before = snapshot(repo)

    text, findings = doctor(invoke_caseflow, repo)
    text.assert_refused(1)
    assert kinds(findings) == [("staged", client), ("half-staged", plan)]
    assert [f["problem"] for f in findings] == [False, True]
    assert "staged by hand" in str(findings[0]["detail"])
    assert snapshot(repo) == before

    fixed = invoke_caseflow("--repo", repo, "doctor", "--fix").assert_success()
    assert f"✓ half-staged  {plan}" in fixed.stdout and f"· staged       {client}" in fixed.stdout
    assert git(repo, "diff", "--cached", "--name-only").split() == [client]  # theirs stays staged
    assert (repo / client).read_text().endswith("phone: 555-0100\n") and (repo / plan).read_text() == PLAN
    (kept,) = (repo / ".caseflow/drafts").rglob("plan.yaml")
    assert kept.read_text() == staged_plan  # nothing thrown away


def test_stray_temporary_files_are_kept_as_drafts_and_a_live_one_is_left(repo: Path, invoke_caseflow: Run) -> None:
    folder = repo / "clients" / CLIENT
    stray = folder / ".plan.yaml.k3j9x_2a.tmp"
    stray.write_text(PLAN + "# half\n")
    empty = folder / ".client.yaml.0a1b2c3d.tmp"
    empty.write_bytes(b"")
    scratch = repo / ".caseflow" / "commit-x1y2z3"
    scratch.mkdir()
    (scratch / "index").write_bytes(b"DIRC")
    for path in (stray, empty, scratch):
        os.utime(path, (LONG_AGO, LONG_AGO))
    fresh = folder / ".plan.yaml.zzzzzzzz.tmp"  # written this very moment
    fresh.write_text("new")
    os.utime(fresh, (time.time() + 60, time.time() + 60))  # (however slow the machine running the test)
    busy = folder / ".plan.yaml.yyyyyyyy.tmp"  # an old one that a live process still writes
    busy.write_text("still writing")
    os.utime(busy, (LONG_AGO, LONG_AGO))

    with child(f"f = open({str(busy)!r}, 'a')"):
        text, findings = doctor(invoke_caseflow, repo)
        text.assert_refused(1)
        assert sorted(kinds(findings)) == [
            ("temp-file", ".caseflow/commit-x1y2z3"),
            ("temp-file", f"clients/{CLIENT}/.client.yaml.0a1b2c3d.tmp"),
            ("temp-file", f"clients/{CLIENT}/.plan.yaml.k3j9x_2a.tmp"),
        ]
        invoke_caseflow("--repo", repo, "doctor", "--fix").assert_success()
    assert not stray.exists() and not empty.exists() and not scratch.exists()
    assert fresh.exists() and busy.exists()
    (kept,) = (repo / ".caseflow/drafts").rglob("plan.yaml.k3j9x_2a.tmp")
    assert kept.read_text() == PLAN + "# half\n"


@pytest.mark.parametrize(
    ("crash_at", "healed"),
    [("staged:index-lock", "undid the interrupted write 'visit C-7K2M9Q'"),
     ("commit:ref-lock", "finished the interrupted write 'visit C-7K2M9Q'")],
)  # fmt: skip
def test_an_interrupted_write_is_reported_then_healed(
    repo: Path, invoke_caseflow: Run, run_caseflow: Run, crash_at: str, healed: str
) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    args = ("visit", CLIENT, "--type", "phone", "--note", NOTE)
    killed = run_caseflow(*args, cwd=repo, env={**AS_CASEY, "CASEFLOW_CRASH_AT": crash_at})
    assert killed.exit_code == -signal.SIGKILL, killed.stderr
    before = snapshot(repo)

    text, findings = doctor(invoke_caseflow, repo)
    text.assert_refused(1)
    found = {str(f["kind"]) for f in findings}
    assert "interrupted-write" in found and "stale-lock" in found
    assert not found & {"half-staged", "staged", "temp-file"}  # the journal's own: not twice
    (write,) = [f for f in findings if f["kind"] == "interrupted-write"]
    assert f"the write 'visit {CLIENT}' was interrupted" in str(write["detail"])
    assert snapshot(repo) == before  # not healed by looking

    fixed = invoke_caseflow("--repo", repo, "doctor", "--fix").assert_success()
    assert f"✓ interrupted-write  .caseflow/journal  {healed}" in fixed.stdout
    assert git(repo, "status", "--porcelain") == ""
    assert not (repo / ".caseflow/journal").exists() and not list((repo / ".git").rglob("*.lock"))
    committed = crash_at.startswith("commit")
    assert (git(repo, "rev-parse", "HEAD^").strip() if committed else git(repo, "rev-parse", "HEAD").strip()) == head
    if not committed:
        assert any(NOTE in d.read_text() for d in (repo / ".caseflow/drafts").rglob("*.md"))
    invoke_caseflow("--repo", repo, "doctor").assert_success()


def test_a_merge_in_progress_is_reported_never_finished(repo: Path, invoke_caseflow: Run) -> None:
    readme = repo / "README.md"
    git(repo, "checkout", "-q", "-b", "other")
    readme.write_text("theirs\n")
    git(repo, "commit", "-qam", "theirs")
    git(repo, "checkout", "-q", "main")
    readme.write_text("ours\n")
    git(repo, "commit", "-qam", "ours")
    with pytest.raises(GitFailed):
        git(repo, "merge", "-q", "other")  # stops at the conflict
    before = snapshot(repo)

    fixed = invoke_caseflow("--repo", repo, "doctor", "--fix", "--json").assert_refused(1)
    (found,) = json.loads(fixed.stdout)
    assert (found["kind"], found["path"], found["fixed"]) == ("merge-in-progress", ".git/MERGE_HEAD", False)
    assert "1 conflicting file: settle each with `caseflow resolve`, then `caseflow sync`" in str(found["detail"])
    assert {k: v for k, v in snapshot(repo).items() if "lock-queue" not in k} == {
        k: v for k, v in before.items() if "lock-queue" not in k
    }


def test_who_holds_the_writers_lock_and_since_when(repo: Path, invoke_caseflow: Run) -> None:
    holds = (
        "from pathlib import Path; from caseflow.core.writelock import write_lock\n"
        f"lock = write_lock(Path({str(repo)!r}), command='caseflow visit'); lock.__enter__()"
    )
    with child(holds) as process:
        text, findings = doctor(invoke_caseflow, repo)
        text.assert_success()  # a live writer is no problem
        (found,) = findings
        assert (found["kind"], found["path"], found["problem"]) == ("write-lock", ".caseflow/lock", False)
        assert str(found["detail"]).startswith(f"held by pid {process.pid} (caseflow visit) since 20")


def test_missing_durable_settings_are_set_and_one_set_on_purpose_is_left(repo: Path, invoke_caseflow: Run) -> None:
    git(repo, "config", "--unset", "core.fsync")
    git(repo, "config", "transfer.fsckObjects", "false")
    text, findings = doctor(invoke_caseflow, repo)
    text.assert_refused(1)
    assert [(f["kind"], f["problem"]) for f in findings] == [("durability", True), ("durability", False)]
    assert "core.fsync is not set" in str(findings[0]["detail"])
    invoke_caseflow("--repo", repo, "doctor", "--fix").assert_success()
    assert git(repo, "config", "core.fsync").strip() == "all"
    assert git(repo, "config", "transfer.fsckObjects").strip() == "false"


def test_outside_a_case_repository_it_says_so_in_one_line(tmp_path: Path, invoke_caseflow: Run) -> None:
    refused = invoke_caseflow("--repo", tmp_path, "doctor").assert_refused(1)
    assert len(refused.stderr.splitlines()) == 1 and "not a case repository" in refused.stderr


@pytest.mark.parametrize("no_color", [False, True])
def test_colour_only_on_a_terminal_and_never_with_no_color(repo: Path, no_color: bool) -> None:
    import pty

    (repo / ".git/index.lock").write_bytes(b"")
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_") and k != "NO_COLOR"}
    if no_color:
        env["NO_COLOR"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "caseflow", "--repo", str(repo), "doctor"], stdout=follower, env=env, timeout=60
    )
    os.close(follower)
    shown = os.read(leader, 65536).decode()
    os.close(leader)
    assert done.returncode == 1 and "stale-lock" in shown
    assert ("\x1b[" in shown) is not no_color
