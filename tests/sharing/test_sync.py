"""Two case managers, two clones, one shared remote: clone, sync, field-by-field merges, conflicts."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.testing import Result, git
from tests.samples import CLIENT, CLIENT_YAML

PLAN = f"""form: core.plan
client: {CLIENT}
review_date: 2026-03-01
goals:
  - id: g1
    title: Stable housing
    status: active
"""
Run = Callable[..., Result]


@pytest.fixture
def team(case_repo: Callable[..., Path], invoke_caseflow: Run, tmp_path: Path) -> tuple[Path, Path, Path]:
    origin = case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML, f"clients/{CLIENT}/plan.yaml": PLAN})
    hub = tmp_path / "hub.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(origin), str(hub)], check=True)
    for name in ("casey-laptop", "robin-laptop"):
        invoke_caseflow("clone", hub, tmp_path / name).assert_success()
    return hub, tmp_path / "casey-laptop", tmp_path / "robin-laptop"


def as_(run: Run, who: str, repo: Path, *args: str) -> Result:
    return run("--repo", repo, "--as", who, *args)


@pytest.mark.parametrize(
    "url",
    [
        "ext::sh -c touch% /tmp/x",
        "--upload-pack=touch /tmp/x",
        "fd::3",
        "http://git.example.org/cases.git",  # unencrypted
        "git://git.example.org/cases.git",
        "https://casey:secret@git.example.org/cases.git",  # a password git would keep in .git/config
    ],
)
def test_unsafe_remotes_are_refused(invoke_caseflow: Run, tmp_path: Path, url: str) -> None:
    refused = invoke_caseflow("clone", "--", url, tmp_path / "x").assert_refused()  # "--": past click, to caseflow
    assert "remote" in refused.stderr and not (tmp_path / "x").exists() and "secret" not in refused.stderr


def test_neighbouring_edits_on_two_laptops_merge_and_keep_their_authors(
    team: tuple[Path, Path, Path], invoke_caseflow: Run
) -> None:
    hub, casey, robin = team
    as_(invoke_caseflow, "casey", casey, "set", CLIENT, "plan.yaml", "review_date=2026-04-01").assert_success()
    as_(
        invoke_caseflow, "robin", robin, "set", CLIENT, "plan.yaml", "goals[g1].title=A home of her own"
    ).assert_success()
    out = json.loads(as_(invoke_caseflow, "casey", casey, "sync", "--json").assert_success().stdout)
    assert (out["went_out_commits"], out["came_in"]) == (1, {})
    merged = as_(invoke_caseflow, "robin", robin, "sync").assert_success().stdout.splitlines()
    # plain words: her commit and the merge went out, Casey's came in
    assert merged[0].startswith("sent 2 commits, received 1 commit (origin/")
    assert merged[1:] == [f"  received for {CLIENT}: changed plan.yaml"]
    back = json.loads(as_(invoke_caseflow, "casey", casey, "sync", "--json").assert_success().stdout)
    assert back["came_in"] == {CLIENT: ["changed plan.yaml"]}
    assert (back["came_in_commits"], back["went_out_commits"]) == (2, 0)
    plan = (casey / f"clients/{CLIENT}/plan.yaml").read_text()
    assert "review_date: 2026-04-01" in plan and "title: A home of her own" in plan
    authors = set(git(hub, "log", "--format=%an").split("\n")) - {""}
    assert {"Casey Rivera", "Robin Okafor"} <= authors


def test_a_true_conflict_stops_the_sync_until_it_is_resolved(
    team: tuple[Path, Path, Path], invoke_caseflow: Run
) -> None:
    hub, casey, robin = team
    as_(invoke_caseflow, "casey", casey, "set", CLIENT, "plan.yaml", "review_date=2026-04-01").assert_success()
    as_(invoke_caseflow, "casey", casey, "sync").assert_success()
    as_(invoke_caseflow, "robin", robin, "set", CLIENT, "plan.yaml", "review_date=2026-05-01").assert_success()
    stopped = as_(invoke_caseflow, "robin", robin, "sync").assert_refused()
    assert f"conflict: clients/{CLIENT}/plan.yaml" in stopped.stderr
    hub_head = git(hub, "rev-parse", "HEAD")
    again = as_(invoke_caseflow, "robin", robin, "sync").assert_refused()
    assert "is not settled yet" in again.stderr and git(hub, "rev-parse", "HEAD") == hub_head
    as_(
        invoke_caseflow, "robin", robin, "resolve", CLIENT, "plan.yaml", "review_date", "--take", "Theirs"
    ).assert_success()
    finished = json.loads(as_(invoke_caseflow, "robin", robin, "sync", "--json").assert_success().stdout)
    assert finished["came_in"] == {CLIENT: ["changed plan.yaml"]}
    assert git(hub, "rev-parse", "HEAD") != hub_head
    assert git(hub, "log", "-p", "--all").count("<<<<<<<") == 0  # no commit ever held a conflict marker
    assert "review_date: 2026-04-01" in git(hub, "show", f"HEAD:clients/{CLIENT}/plan.yaml")


def test_uncommitted_work_and_an_invalid_result_are_never_pushed(
    team: tuple[Path, Path, Path], invoke_caseflow: Run
) -> None:
    hub, casey, robin = team
    (robin / f"clients/{CLIENT}/plan.yaml").write_text(PLAN.replace("2026-03-01", "2026-06-01"))
    dirty = as_(invoke_caseflow, "robin", robin, "sync").assert_refused()
    assert "has changes that are not committed yet" in dirty.stderr
    git(robin, "checkout", "--", ".")
    # someone pushes a broken record with plain git; caseflow merges it but will not push on top
    (casey / f"clients/{CLIENT}/client.yaml").write_text(CLIENT_YAML.replace("dob: 1990-04-02", "dob: someday"))
    git(casey, "commit", "-qam", "hand edit")
    git(casey, "push", "-q", "origin", "HEAD")
    as_(invoke_caseflow, "robin", robin, "set", CLIENT, "plan.yaml", "review_date=2026-04-01").assert_success()
    hub_head = git(hub, "rev-parse", "HEAD")
    invalid = as_(invoke_caseflow, "robin", robin, "sync").assert_refused()
    assert "nothing was pushed" in invalid.stderr and "client.yaml" in invalid.stderr
    assert git(hub, "rev-parse", "HEAD") == hub_head


def test_an_aborted_merge_leaves_nothing_to_resolve(team: tuple[Path, Path, Path], invoke_caseflow: Run) -> None:
    _, casey, robin = team
    as_(invoke_caseflow, "casey", casey, "set", CLIENT, "plan.yaml", "review_date=2026-04-01").assert_success()
    as_(invoke_caseflow, "casey", casey, "sync").assert_success()
    as_(invoke_caseflow, "robin", robin, "set", CLIENT, "plan.yaml", "review_date=2026-05-01").assert_success()
    stopped = as_(invoke_caseflow, "robin", robin, "sync").assert_refused()
    assert "2026-04-01" not in stopped.stderr and "2026-05-01" not in stopped.stderr  # values stay out of logs
    git(robin, "merge", "--abort")
    assert as_(invoke_caseflow, "robin", robin, "resolve").assert_success().stdout.strip() == "(no conflicts)"
    again = as_(invoke_caseflow, "robin", robin, "resolve", CLIENT, "plan.yaml", "review_date", "--take", "theirs")
    assert again.exit_code == 1 and "has no conflict to resolve" in again.stderr
    assert git(robin, "status", "--porcelain") == ""
