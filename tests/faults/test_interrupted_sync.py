"""A sync killed at each of its steps (``CASEFLOW_CRASH_AT``: a real ``kill -9`` of a real process;
at ``sync-merge-driver`` the sync, its ``git merge`` and the merge driver together), and at random
moments in the soak: the next command, whichever it is, puts it right (git's locks and temporary
files gone, a merge half made taken back) and says so in one line; the next sync finishes it; both
laptops end up with every commit either side made, each under its author's name, and every
repository passes ``git fsck --full --strict``."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from caseflow.core.sync_journal import SYNC_STEPS
from caseflow.testing import git
from tests.faults.matrix import steps
from tests.faults.syncteam import (
    CLIENT,
    PLAN_PATH,
    Team,
    acknowledged,
    build,
    copy,
    fsck,
    kill_laptop_side,
    leftovers,
    settled,
)

#: Steps after which the merge commit exists (the next sync only pushes it).
COMMITTED = {"sync-commit", "sync-push"}


@pytest.fixture(scope="session")
def team_template(tmp_path_factory: pytest.TempPathFactory, _template_case_repo: Path) -> Team:
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in [n for n in os.environ if n.startswith("CASEFLOW_")]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
        monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        return build(tmp_path_factory.mktemp("sync-team"), _template_case_repo)


@pytest.fixture
def team(team_template: Team, tmp_path: Path) -> Team:
    return copy(team_template, tmp_path)


def killed(team: Team, crash_at: str, who: str = "casey") -> subprocess.CompletedProcess[str]:
    process = team.caseflow(who, "sync", env={"CASEFLOW_CRASH_AT": crash_at})
    out, err = process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL, err
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def one_warning(stderr: str) -> str:
    """The one line that says what was put right; it never asks anyone to commit anything."""
    warnings = [line for line in stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, stderr
    assert "commit them" not in warnings[0] and "git commit" not in warnings[0]
    return warnings[0]


#: Each step once; three of them also leave what a git killed at that moment leaves.
WITH_LEFTOVERS = {"sync-fetch": ":fetch-leftovers", "sync-merge": ":index-lock", "sync-commit": ":ref-lock"}


@pytest.mark.parametrize(
    "crash_at",
    steps(
        [step + WITH_LEFTOVERS.get(step, "") for step in SYNC_STEPS],
        fast=[
            "sync-fetch:fetch-leftovers",
            "sync-access-join",
            "sync-merge:index-lock",
            "sync-commit:ref-lock",
            "sync-push",
        ],
    ),
)
def test_a_sync_killed_at_any_step_is_put_right_by_the_next_command_and_finished_by_the_next_sync(
    crash_at: str, team: Team
) -> None:
    before = acknowledged(team)
    old_head = git(team.casey, "rev-parse", "HEAD").strip()
    killed(team, crash_at)

    after = team.as_("casey", "clients").assert_success()  # any command: a read here
    assert "a sync was interrupted" in one_warning(after.stderr)
    assert leftovers(team.casey) == []
    assert git(team.casey, "status", "--porcelain") == ""  # every document as HEAD has it: old, or merged
    head = git(team.casey, "rev-parse", "HEAD").strip()
    if crash_at.split(":")[0] in COMMITTED:
        assert git(team.casey, "rev-parse", "HEAD^1").strip() == old_head  # the merge, by Casey
        assert git(team.casey, "log", "-1", "--format=%an").strip() == "Casey Rivera"
    else:
        assert head == old_head  # nothing half made stands
    fsck(team.casey)

    team.as_("casey", "sync").assert_success()
    team.as_("robin", "sync").assert_success()
    settled(team, before)


@pytest.mark.parametrize("crash_at", ["sync-merge-driver", "sync-merge"])
def test_a_sync_killed_while_merging_a_conflict_is_taken_back_and_writes_go_on(crash_at: str, team: Team) -> None:
    team.as_("casey", "set", CLIENT, "plan.yaml", "review_date=2026-05-01").assert_success()  # Robin: 04-01
    killed(team, crash_at)

    # Casey goes on working before she syncs again: the half-made merge is gone, her write is hers alone
    write = team.as_("casey", "set", CLIENT, "plan.yaml", "goals[g1].status=met").assert_success()
    assert "its merge was taken back" in one_warning(write.stderr)
    assert git(team.casey, "show", "--stat", "--format=%an", "HEAD").split("\n")[0] == "Casey Rivera"
    assert list(git(team.casey, "show", "--name-only", "--format=", "HEAD").split()) == [PLAN_PATH]
    before = acknowledged(team)

    stopped = team.as_("casey", "sync").assert_refused()  # the conflict, handed to Casey this time
    assert f"conflict: {PLAN_PATH}" in stopped.stderr
    refused = team.as_("casey", "set", CLIENT, "plan.yaml", "goals[g1].title=Other").assert_refused()
    assert refused.stderr.count("\n") == 1 and "caseflow sync" in refused.stderr  # one line: the merge first
    team.as_("casey", "resolve", CLIENT, "plan.yaml", "review_date", "--take", "theirs").assert_success()
    team.as_("casey", "sync").assert_success()
    team.as_("robin", "sync").assert_success()
    settled(team, before)
    assert "status: met" in git(team.hub, "show", f"HEAD:{PLAN_PATH}")


@pytest.mark.parametrize("crash_at", ["sync-journal", "sync-commit:ref-lock"])
def test_a_sync_killed_while_it_commits_a_settled_merge_commits_it_next_time(crash_at: str, team: Team) -> None:
    """The merge a person settled is theirs: never taken back; the next sync commits it."""
    team.as_("casey", "set", CLIENT, "plan.yaml", "review_date=2026-05-01").assert_success()
    team.as_("casey", "sync").assert_refused()
    team.as_("casey", "resolve", CLIENT, "plan.yaml", "review_date", "--take", "theirs").assert_success()
    before = acknowledged(team)
    killed(team, crash_at)

    after = team.as_("casey", "clients").assert_success()
    one_warning(after.stderr)
    assert leftovers(team.casey) == []
    if crash_at == "sync-journal":  # killed before the commit: the settled merge is still in progress
        assert (team.casey / ".git" / "MERGE_HEAD").exists()
        refused = team.as_("casey", "set", CLIENT, "plan.yaml", "goals[g1].status=met").assert_refused()
        assert refused.stderr.count("\n") == 1 and "caseflow sync" in refused.stderr
    else:
        assert not (team.casey / ".git" / "MERGE_HEAD").exists()
    fsck(team.casey)
    team.as_("casey", "sync").assert_success()
    team.as_("robin", "sync").assert_success()
    settled(team, before)


def test_a_merge_killed_while_git_wrote_the_files_is_taken_back_keeping_what_is_nobodys(team: Team) -> None:
    """git killed while it checked the merge out: the other side's new note written, the plan cut
    short, the index locked, no MERGE_HEAD yet. Nothing of it may be committed as Casey's."""
    before = acknowledged(team)
    killed(team, "sync-merge-start:index-lock")
    theirs = json.loads((team.casey / ".caseflow" / "sync.json").read_text())["theirs"]
    note = team.casey / team.robins_note
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text(git(team.casey, "show", f"{theirs}:{team.robins_note}"))
    merged_plan = git(team.casey, "show", f"{theirs}:{PLAN_PATH}")
    (team.casey / PLAN_PATH).write_text(merged_plan[: len(merged_plan) // 2])
    (team.casey / ".merge_file_Ab12Cd").write_text(merged_plan)  # the merge driver's temporary file

    after = team.as_("casey", "clients").assert_success()
    warning = one_warning(after.stderr)
    assert "its merge was taken back" in warning and "1 file(s) that were neither side's are kept" in warning
    drafts = list((team.casey / ".caseflow" / "drafts").glob(f"recovered-sync-*/{PLAN_PATH}"))
    assert [d.read_text() for d in drafts] == [merged_plan[: len(merged_plan) // 2]]
    assert not note.exists() and git(team.casey, "status", "--porcelain") == ""
    assert leftovers(team.casey) == []
    team.as_("casey", "sync").assert_success()
    team.as_("robin", "sync").assert_success()
    settled(team, before)


def test_a_live_sync_is_never_put_right_from_under_it(team: Team) -> None:
    from caseflow.core import sync_journal
    from caseflow.core.store import Store

    store = Store(team.casey)
    journal = team.casey / ".caseflow" / "sync.json"
    with store.lock():
        journal.write_text('{"pid": 1, "remote": "origin", "branch": "main", "head": null, "merging": true}')
        assert sync_journal.heal(store) is None
        assert journal.exists()
    journal.unlink()


def test_an_unreadable_sync_journal_is_only_cleaned_up_after(team: Team) -> None:
    """Nothing can be taken back on its word; git's leftovers go, and the sync goes on."""
    (team.casey / ".caseflow" / "sync.json").write_text("{not json")
    (team.casey / ".git" / "refs" / "remotes" / "origin" / "main.lock").write_text("")
    after = team.as_("casey", "clients").assert_success()
    assert "a sync was interrupted; cleaned up after it" in one_warning(after.stderr)
    assert leftovers(team.casey) == []
    team.as_("casey", "sync").assert_success()


def test_a_persons_own_edit_is_never_taken_for_the_merge(team: Team) -> None:
    """An edit of a document the other side did not change stays, and the sync says whose it may be."""
    git(team.casey, "fetch", "-q", "origin")
    journal = {"pid": 1, "remote": "origin", "branch": "main", "step": "sync-merge-start", "merging": True}
    journal |= {"head": git(team.casey, "rev-parse", "HEAD").strip()}
    journal |= {"theirs": git(team.casey, "rev-parse", "origin/main").strip()}
    (team.casey / ".caseflow" / "sync.json").write_text(json.dumps(journal))  # killed before git merged
    client = team.casey / f"clients/{CLIENT}/client.yaml"
    client.write_text(client.read_text().replace("dob: 1990-04-02", "dob: 1990-04-03"))
    team.as_("casey", "clients").assert_success()
    assert "1990-04-03" in client.read_text()
    refused = team.as_("casey", "sync").assert_refused()
    assert "if they are your own work" in refused.stderr and refused.stderr.count("\n") == 1


# -- the soak: killed at random moments -----------------------------------------------------------------

SOAK_TRIALS = 208
SOAK_CHUNKS = 8


def full_sync_seconds(team_template: Team, base: Path) -> float:
    """How long a whole sync takes on this machine now, so that kills land anywhere from its first
    git command to its push, whatever the machine's speed."""
    team = copy(team_template, base)
    started = time.monotonic()
    process = team.caseflow("casey", "sync")
    process.communicate(timeout=120)
    assert process.returncode == 0
    shutil.rmtree(base)
    return time.monotonic() - started


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(SOAK_CHUNKS))
def test_soak_sync_killed_at_random_moments(chunk: int, team_template: Team, tmp_path: Path) -> None:
    rng = random.Random(f"sync-soak-{chunk}")
    whole = full_sync_seconds(team_template, tmp_path / "timing")
    started, steps = time.monotonic(), []
    for trial in range(SOAK_TRIALS // SOAK_CHUNKS):
        team = copy(team_template, tmp_path / str(trial))
        conflict = rng.random() < 0.25
        if conflict:
            team.as_("casey", "set", CLIENT, "plan.yaml", "review_date=2026-05-01").assert_success()
        before = acknowledged(team)
        process = team.caseflow("casey", "sync")
        time.sleep(rng.uniform(0.2 * whole, 1.1 * whole))  # its first fifth is Python starting: no git yet
        kill_laptop_side(process, team.hub)
        journal = team.casey / ".caseflow" / "sync.json"
        steps.append(json.loads(journal.read_text())["step"] if journal.exists() else f"exit {process.returncode}")

        team.as_("casey", "clients").assert_success()
        assert leftovers(team.casey) == [], (trial, steps[-1])
        assert git(team.casey, "status", "--porcelain") == "" or (team.casey / ".git" / "MERGE_HEAD").exists()
        fsck(team.casey)
        done = team.as_("casey", "sync")
        if done.exit_code == 1 and ("conflict:" in done.stderr or "not settled yet" in done.stderr):
            team.as_("casey", "resolve", CLIENT, "plan.yaml", "review_date", "--take", "theirs").assert_success()
            done = team.as_("casey", "sync")
        done.assert_success()
        team.as_("robin", "sync").assert_success()
        settled(team, before)
        shutil.rmtree(tmp_path / str(trial))
    tally = {step: steps.count(step) for step in sorted(set(steps))}
    print(f"\nsoak chunk {chunk}: {len(steps)} trials in {time.monotonic() - started:.1f} s (a sync: {whole:.1f} s)")
    print(f"killed after: {tally}")
