"""The access record through a shared remote: two laptops' chains joined, never overwritten, never forced."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.core.access_record import ACCESS_LOG, ACCESS_REF
from caseflow.testing import Result, git
from tests.samples import CLIENT, CLIENT_YAML

Run = Callable[..., Result]
TRACKING = "refs/caseflow/remotes/origin/access"


@pytest.fixture
def team(case_repo: Callable[..., Path], invoke_caseflow: Run, tmp_path: Path) -> tuple[Path, Path, Path]:
    origin = case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML})
    hub = tmp_path / "hub.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(origin), str(hub)], check=True)
    git(hub, "config", "receive.denyNonFastForwards", "true")
    for name in ("casey-laptop", "robin-laptop"):
        invoke_caseflow("clone", hub, tmp_path / name).assert_success()
    return hub, tmp_path / "casey-laptop", tmp_path / "robin-laptop"


def as_(run: Run, who: str, repo: Path, *args: str) -> Result:
    return run("--repo", repo, "--as", who, *args)


def chain(repo: Path) -> str:
    return (repo / ".caseflow/access-id").read_text().strip() + ".log"


def test_sync_joins_both_laptops_chains(team: tuple[Path, Path, Path], invoke_caseflow: Run, tmp_path: Path) -> None:
    hub, casey, robin = team
    as_(invoke_caseflow, "casey", casey, "show", CLIENT).assert_success()
    as_(invoke_caseflow, "robin", robin, "show", CLIENT).assert_success()
    as_(invoke_caseflow, "robin", robin, "show", CLIENT).assert_success()
    for who, laptop in (("casey", casey), ("robin", robin), ("casey", casey)):
        out = json.loads(as_(invoke_caseflow, who, laptop, "sync", "--json").assert_success().stdout)
        assert out["access_problems"] == []
    shared = git(hub, "ls-tree", "--name-only", ACCESS_REF).split()
    assert sorted(shared) == sorted([chain(casey), chain(robin)])
    assert git(hub, "rev-parse", ACCESS_REF) == git(casey, "rev-parse", ACCESS_REF)
    assert len(git(hub, "show", f"{ACCESS_REF}:{chain(robin)}").splitlines()) == 2
    seen = json.loads(invoke_caseflow("--repo", casey, "audit", CLIENT, "--json").stdout)["entries"]
    assert sorted(e["who"] for e in seen) == ["casey", "robin", "robin"]
    for laptop in (casey, robin):
        invoke_caseflow("--repo", laptop, "audit", "--verify").assert_success()
    # a new laptop starts from the shared record
    invoke_caseflow("clone", hub, tmp_path / "sam-laptop").assert_success()
    assert git(tmp_path / "sam-laptop", "rev-parse", ACCESS_REF) == git(hub, "rev-parse", ACCESS_REF)
    invoke_caseflow("--repo", tmp_path / "sam-laptop", "audit", "--verify").assert_success()


def test_a_rewritten_ref_is_found_and_never_pushed(team: tuple[Path, Path, Path], invoke_caseflow: Run) -> None:
    hub, casey, _robin = team
    for who in ("casey", "sam", "casey"):  # sam's read is the one that will be made to disappear
        as_(invoke_caseflow, who, casey, "show", CLIENT).assert_success()
    as_(invoke_caseflow, "casey", casey, "sync").assert_success()
    pushed = git(hub, "rev-parse", ACCESS_REF)
    # entry 2 removed from the log and the ref alike, both re-hashed from scratch: the hub's copy still has it
    lines = (casey / ACCESS_LOG).read_text().splitlines()
    forged = _rechained([lines[0], lines[2]])
    (casey / ACCESS_LOG).write_text("".join(line + "\n" for line in forged))
    blob = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"], cwd=casey, input="".join(f"{x}\n" for x in forged),
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    tree = subprocess.run(
        ["git", "mktree"], cwd=casey, input=f"100644 blob {blob}\t{chain(casey)}\n", capture_output=True, text=True,
        check=True,
    ).stdout.strip()  # fmt: skip
    rewritten = git(casey, "commit-tree", tree, "-m", "access record").strip()
    git(casey, "update-ref", ACCESS_REF, rewritten)
    refused = invoke_caseflow("--repo", casey, "audit", "--verify").assert_refused()
    assert f"tampered: {ACCESS_REF} does not descend from {TRACKING}: it was rewritten or cut back" in refused.stderr
    assert f"{ACCESS_REF}:{chain(casey)}: entry 2 differs from {TRACKING}:{chain(casey)}" in refused.stderr
    synced = as_(invoke_caseflow, "casey", casey, "sync").assert_refused()
    assert "access record: " in synced.stderr and "beyond their common beginning" in synced.stderr
    assert git(hub, "rev-parse", ACCESS_REF) == pushed
    # git's own forced push: receive.denyNonFastForwards guards only refs/heads/, caseflow's hook all of refs/caseflow/
    invoke_caseflow("server", "install", hub).assert_success()
    forced = subprocess.run(
        ["git", "push", "--force", str(hub), f"{ACCESS_REF}:{ACCESS_REF}"], cwd=casey, capture_output=True, text=True
    )
    assert forced.returncode != 0 and "rewriting its history is refused" in forced.stderr
    assert git(hub, "rev-parse", ACCESS_REF) == pushed


def _rechained(lines: list[str]) -> list[str]:
    from caseflow.core.access_record import GENESIS, _digest

    out, prev = [], GENESIS
    for seq, line in enumerate(lines, 1):
        body = json.loads(line)
        body.update(seq=seq, prev=prev)
        body["hash"] = _digest(body)
        out.append(json.dumps(body, separators=(",", ":")))
        prev = body["hash"]
    return out
