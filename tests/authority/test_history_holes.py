"""Ways around the rules a review found, each tried with plain git on a copy of the demo, as a case
manager could: hand-written advance trailers, an unrelated history merged in, a merge that edits a
stage, a deactivated supervisor, decisions removed from approvals.yaml, odd messages and settings."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from caseflow.testing import Result, git
from tests.authority.test_authority import CLIENT, as_person, commit_as, forge_approval, key_of


def signed_git(repo: Path, who: str, *args: str) -> None:
    key = key_of(repo, who)
    signing = ["-c", "gpg.format=ssh", "-c", f"user.signingKey={key}", "-c", "commit.gpgSign=true"] if key else []
    subprocess.run(["git", *signing, *args], cwd=repo, env=as_person(who), check=True, capture_output=True)


def move_to_active_by_hand(repo: Path) -> None:
    record = repo / f"clients/{CLIENT}/client.yaml"
    record.write_text(
        record.read_text()
        .replace("stage: planning", "stage: active")
        .replace("risk_flags:", "  - from: planning\n    to: active\n    on: 2026-11-19\n    by: robin\nrisk_flags:")
    )


def test_hand_written_advance_trailers_do_not_move_a_client_past_an_unapproved_plan(
    repo: Path, cf: Callable[..., Result]
) -> None:
    move_to_active_by_hand(repo)
    message = (
        f"advance {CLIENT}\n\nCaseflow-Client: {CLIENT}\nCaseflow-Action: advance\nCaseflow-Stage: planning -> active\n"
    )
    forged = commit_as(repo, "robin", message)
    verified = cf("verify")
    assert verified.exit_code == 1
    assert f"commit {forged[:12]}" in verified.stdout
    assert "while plan.yaml is not approved as committed" in verified.stdout
    assert "does not count" in cf("validate").stdout


def test_an_unrelated_history_merged_in_makes_nobody_an_admin(repo: Path, cf: Callable[..., Result]) -> None:
    signed_git(repo, "casey", "checkout", "-q", "--orphan", "evil")
    config = repo / "caseflow.yaml"
    text = config.read_text()
    at = text.index("id: casey")
    config.write_text(text[:at] + text[at:].replace("role: case_manager", "role: director", 1))
    signed_git(repo, "casey", "commit", "-q", "-am", "settings")
    signed_git(repo, "casey", "checkout", "-q", "main")
    signed_git(repo, "casey", "merge", "-q", "--allow-unrelated-histories", "-s", "ours", "--no-commit", "evil")
    signed_git(repo, "casey", "checkout", "evil", "--", "caseflow.yaml")
    signed_git(repo, "casey", "commit", "-q", "-m", "merge")
    verified = cf("verify")
    assert verified.exit_code == 1
    assert "it starts a second, unrelated history" in verified.stdout
    cf("--as", "casey", "approve", CLIENT, "plan.yaml")  # her working copy says she may
    assert cf("--as", "casey", "advance", CLIENT).exit_code == 1


def test_a_merge_that_edits_a_stage_itself_does_not_count(repo: Path, cf: Callable[..., Result]) -> None:
    signed_git(repo, "robin", "checkout", "-q", "-b", "side")
    (repo / f"clients/{CLIENT}/notes.md").write_text("a side note\n")
    signed_git(repo, "robin", "add", "-A")
    signed_git(repo, "robin", "commit", "-q", "-m", "note")
    signed_git(repo, "robin", "checkout", "-q", "main")
    (repo / "README.md").write_text((repo / "README.md").read_text() + "\n")
    signed_git(repo, "robin", "commit", "-q", "-am", "readme")
    signed_git(repo, "robin", "merge", "-q", "--no-ff", "--no-commit", "side")
    move_to_active_by_hand(repo)
    signed_git(repo, "robin", "commit", "-q", "-am", "merge side")
    verified = cf("verify")
    assert verified.exit_code == 1
    assert "the merge itself changes the stage planning -> active" in verified.stdout


def test_a_supervisor_no_longer_active_approves_nothing(repo: Path, cf: Callable[..., Result]) -> None:
    config = repo / "caseflow.yaml"
    text = config.read_text()
    at = text.index("id: sam")
    config.write_text(text[:at] + text[at:].replace("role: supervisor", "role: supervisor\n    active: false", 1))
    commit_as(repo, "dana", "sam left")
    forge_approval(repo, by="sam")
    approved = commit_as(repo, "sam", "approvals")
    verified = cf("verify")
    assert f"commit {approved[:12]}" in verified.stdout and "no longer active" in verified.stdout
    assert cf("--as", "casey", "advance", CLIENT).exit_code == 1


def test_removing_an_earlier_decision_from_approvals_yaml_makes_none_count(
    repo: Path, cf: Callable[..., Result]
) -> None:
    sam = {"CASEFLOW_SIGNING_KEY": str(key_of(repo, "sam"))} if key_of(repo, "sam") else {}
    cf("--as", "sam", "approve", CLIENT, "plan.yaml", env=sam).assert_success()
    cf("--as", "sam", "reject", CLIENT, "plan.yaml", "--comment", "Goal 2 needs a date.", env=sam).assert_success()
    approvals = repo / f"clients/{CLIENT}/approvals.yaml"
    text = approvals.read_text()
    approvals.write_text(text[: text.rindex("  - document:")])  # the rejection, gone
    edited = commit_as(repo, "casey", "tidy")
    assert cf("--as", "casey", "advance", CLIENT).exit_code == 1
    checked = cf("validate")
    assert f"commit {edited[:12]} edited or removed decisions made before" in checked.stdout
    assert f"commit {edited[:12]}" in cf("verify").stdout
    approvals.write_text(text)  # put back: the decisions count again (the last one sends the plan back)
    commit_as(repo, "casey", "put back")
    assert "edited or removed" not in cf("validate").stdout


def test_odd_characters_in_a_message_and_odd_settings_in_history_are_judged_not_crashed_on(
    repo: Path, cf: Callable[..., Result]
) -> None:
    (repo / f"clients/{CLIENT}/notes.md").write_text("x\n")
    commit_as(repo, "robin", "note \x1e with \x1f separators")
    config = repo / "caseflow.yaml"
    good = config.read_text()
    config.write_text(good + "admin: [director]\n")  # the wrong shape: a list, not a mapping
    odd = commit_as(repo, "dana", "settings")
    config.write_text(good)
    commit_as(repo, "dana", "settings back")
    verified = cf("verify", "--json")
    assert "Traceback" not in verified.stderr
    breaches = json.loads(verified.stdout)["breaches"]
    assert [b["commit"] for b in breaches] == [odd]
    assert "unreadable" in breaches[0]["problems"][0]


def test_a_tag_brings_its_commits_under_the_same_rules_at_the_remote(
    repo: Path, invoke_caseflow: Callable[..., Result], tmp_path: Path
) -> None:
    bare = tmp_path / "agency.git"
    subprocess.run(["git", "clone", "-q", "--bare", "--single-branch", str(repo), str(bare)], check=True)
    invoke_caseflow("server", "install", str(bare)).assert_success()
    git(repo, "switch", "-q", "forged-approval")  # not on the server yet
    pushed = subprocess.run(["git", "push", str(bare), "HEAD:refs/tags/t1"], cwd=repo, capture_output=True, text=True)
    assert pushed.returncode != 0
    assert "it names sam but the commit is by" in pushed.stderr


def test_moves_are_judged_by_the_workflow_in_force_not_one_named_in_an_unauthorised_edit(
    repo: Path, cf: Callable[..., Result]
) -> None:
    """A workflow nobody provides judges nothing; naming one in a commit without the admin right
    must not turn off the checks of every stage change after it."""
    config = repo / "caseflow.yaml"
    text = config.read_text()
    config.write_text(text.replace("workflow: ", "workflow: none.such  # was: ", 1))
    commit_as(repo, "casey", "settings")
    move_to_active_by_hand(repo)
    message = (
        f"advance {CLIENT}\n\nCaseflow-Client: {CLIENT}\nCaseflow-Action: advance\nCaseflow-Stage: planning -> active\n"
    )
    forged = commit_as(repo, "casey", message)
    verified = cf("verify")
    assert verified.exit_code == 1
    assert f"commit {forged[:12]}" in verified.stdout
    assert "while plan.yaml is not approved as committed" in verified.stdout


def test_a_decision_waits_while_the_settings_have_uncommitted_changes(repo: Path, cf: Callable[..., Result]) -> None:
    config = repo / "caseflow.yaml"
    config.write_text(config.read_text() + "# an edit in progress\n")
    head = git(repo, "rev-parse", "HEAD")
    for args in (("--as", "sam", "approve", CLIENT, "plan.yaml"), ("--as", "casey", "advance", CLIENT)):
        refused = cf(*args)
        assert refused.exit_code == 1
        assert "caseflow.yaml has changes that are not committed yet" in refused.stderr
        assert "decisions are judged by the settings in force" in refused.stderr
    assert git(repo, "rev-parse", "HEAD") == head


ACTIVE = "C-7K2M9Q"  # active in the demo (fictional)


def discharge_by_hand(repo: Path, cf: Callable[..., Result], reason: str) -> str:
    """The discharge summary written properly, then the stage moved with plain git and forged trailers."""
    worker = "casey"  # her client
    cf(
        "--as", worker, "new", ACTIVE, "core.discharge", "--field", f"reason={reason}",
        "--field", "outcome=Moved out of the county; records sent on request.",
    ).assert_success()  # fmt: skip
    record = repo / f"clients/{ACTIVE}/client.yaml"
    lines = record.read_text().replace("stage: active", "stage: discharged").splitlines(keepends=True)
    start = lines.index("stage_history:\n") + 1
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("  "))  # the list's last line, +1
    entry = f"  - from: active\n    to: discharged\n    on: 2026-11-20\n    by: {worker}\n"
    record.write_text("".join(lines[:end]) + entry + "".join(lines[end:]))
    message = (
        f"advance {ACTIVE}\n\nCaseflow-Client: {ACTIVE}\nCaseflow-Action: advance\n"
        "Caseflow-Stage: active -> discharged\n"
    )
    return commit_as(repo, worker, message)


def test_a_completed_discharge_committed_by_hand_needs_its_approval_in_the_history(
    repo: Path, cf: Callable[..., Result]
) -> None:
    forged = discharge_by_hand(repo, cf, "completed")
    verified = cf("verify")
    assert verified.exit_code == 1 and f"commit {forged[:12]}" in verified.stdout
    assert "while discharge.yaml is not approved as committed" in verified.stdout


def test_a_discharge_whose_reason_needs_no_approval_is_not_held_to_one(repo: Path, cf: Callable[..., Result]) -> None:
    discharge_by_hand(repo, cf, "moved")
    assert "discharge.yaml is not approved" not in cf("verify").stdout
