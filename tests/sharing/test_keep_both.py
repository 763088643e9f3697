"""Two different documents made under one name on two laptops: resolve keeps both, never one."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.testing import Result, git
from tests.samples import CLIENT, CLIENT_YAML

Run = Callable[..., Result]
TODAY = {"CASEFLOW_TODAY": "2026-11-17"}
FIRST = f"""---
form: core.visit
client: {CLIENT}
date: 2026-11-17
type: phone
author: casey
---
A first call, made before the laptops parted.
"""
SECOND = "visits/2026-11-17-phone-2.md"


@pytest.fixture
def team(case_repo: Callable[..., Path], invoke_caseflow: Run, tmp_path: Path) -> tuple[Path, Path, Path]:
    origin = case_repo(
        {f"clients/{CLIENT}/client.yaml": CLIENT_YAML, f"clients/{CLIENT}/visits/2026-11-17-phone.md": FIRST}
    )
    hub = tmp_path / "hub.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(origin), str(hub)], check=True)
    for name in ("casey-laptop", "robin-laptop"):
        invoke_caseflow("clone", hub, tmp_path / name).assert_success()
    return hub, tmp_path / "casey-laptop", tmp_path / "robin-laptop"


def as_(run: Run, who: str, repo: Path, *args: str) -> Result:
    return run("--repo", repo, "--as", who, *args, env=TODAY)


def note(author: str, text: str) -> str:
    return FIRST.replace("author: casey", f"author: {author}").replace(FIRST.split("---\n")[-1], f"{text}\n")


def commit_as(repo: Path, who: str, name: str, files: dict[str, str]) -> None:
    """A commit by a person, made with plain git (as an older caseflow, or another tool, named notes)."""
    from caseflow.core.git.runner import git as run_git

    for rel, text in files.items():
        (repo / rel).write_text(text)
    email = f"{who}@riverbend.example"
    env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
    run_git(repo, "add", "--", *files)
    run_git(repo, "commit", "-q", "-m", f"visit {CLIENT}", env=env)


def two_calls_under_one_name(team: tuple[Path, Path, Path], run: Run) -> None:
    """Casey and Robin each record a second phone call of the day offline, both named ``-2`` (as
    caseflow named them before names carried a short id)."""
    _, casey, robin = team
    commit_as(casey, "casey", "Casey Rivera", {f"clients/{CLIENT}/{SECOND}": note("casey", "Casey's call.")})
    commit_as(robin, "robin", "Robin Okafor", {f"clients/{CLIENT}/{SECOND}": note("robin", "Robin's call.")})
    as_(run, "casey", casey, "sync").assert_success()
    stopped = as_(run, "robin", robin, "sync").assert_refused()
    assert f"conflict: clients/{CLIENT}/{SECOND}" in stopped.stderr


@pytest.mark.parametrize("take", ["mine", "theirs"])
def test_two_notes_under_one_name_are_both_kept_whichever_side_is_taken(
    take: str, team: tuple[Path, Path, Path], invoke_caseflow: Run
) -> None:
    hub, casey, robin = team
    two_calls_under_one_name(team, invoke_caseflow)
    listed = as_(invoke_caseflow, "robin", robin, "resolve").assert_success().stdout
    assert SECOND in listed and "(the whole document)" in listed and "(its own document) (casey)" in listed

    settled = as_(invoke_caseflow, "robin", robin, "resolve", CLIENT, SECOND, "--take", take).assert_success()
    told = [line for line in settled.stderr.splitlines() if not line.startswith("warning: CASEFLOW_TODAY")]
    assert len(told) == 1, settled.stderr
    line = told[0]
    assert "two documents, both kept" in line
    assert ("yours under this name, casey's as" if take == "mine" else "casey's under this name, yours as") in line
    beside = line.split(" as ")[-1].split(";")[0]  # the other's new name, in the client folder
    assert beside.startswith("visits/2026-11-17-phone-") and beside != SECOND
    as_(invoke_caseflow, "robin", robin, "sync").assert_success()
    as_(invoke_caseflow, "casey", casey, "sync").assert_success()

    mine, other = ("Robin's call.", "Casey's call.") if take == "mine" else ("Casey's call.", "Robin's call.")
    for laptop in (hub, casey, robin):
        assert mine in git(laptop, "show", f"HEAD:clients/{CLIENT}/{SECOND}")
        assert other in git(laptop, "show", f"HEAD:clients/{CLIENT}/{beside}")
        assert len(git(laptop, "ls-tree", "--name-only", f"HEAD:clients/{CLIENT}/visits").split()) == 3
    for laptop in (casey, robin):
        as_(invoke_caseflow, "casey", laptop, "validate").assert_success()  # the new name is one its form takes
        assert git(laptop, "status", "--porcelain") == ""
    assert git(hub, "log", "-1", "--format=%an").strip() == "Robin Okafor"  # the merge, by who settled it


def test_a_whole_document_conflict_names_no_value_and_refuses_a_typed_one(
    team: tuple[Path, Path, Path], invoke_caseflow: Run
) -> None:
    _, _, robin = team
    two_calls_under_one_name(team, invoke_caseflow)
    head = git(robin, "rev-parse", "HEAD")
    refused = as_(invoke_caseflow, "robin", robin, "resolve", CLIENT, SECOND, "--take", "Robin's call.")
    assert refused.exit_code == 2 and "--take mine or --take theirs" in refused.stderr
    assert git(robin, "rev-parse", "HEAD") == head
    assert "Robin's call." in (robin / f"clients/{CLIENT}/{SECOND}").read_text()
    assert sorted(p.name for p in (robin / f"clients/{CLIENT}/visits").iterdir()) == [
        "2026-11-17-phone-2.md",
        "2026-11-17-phone.md",
    ]


def test_the_other_sides_copy_gets_the_same_name_again_after_an_interrupted_resolve(
    team: tuple[Path, Path, Path], invoke_caseflow: Run
) -> None:
    """A resolve killed after it wrote the second name: the next one finds it there, not a third."""
    from caseflow.repo import open_repo
    from caseflow.sharing.keepboth import form_of, sibling_name

    _, _, robin = team
    two_calls_under_one_name(team, invoke_caseflow)
    repo = open_repo(robin, environ={})
    path = f"clients/{CLIENT}/{SECOND}"
    theirs = git(robin, "show", f":3:{path}").encode()
    form = form_of(repo, SECOND, [theirs])
    assert form is not None and form.id == "core.visit"
    first = sibling_name(repo, path, theirs, form)
    (robin / first).write_bytes(theirs)
    assert sibling_name(repo, path, theirs, form) == first
    assert sibling_name(repo, path, theirs + b"\nmore\n", form) != first
