"""Authority from history: forged and uncommitted approvals, hand-edited stages, role changes by
the wrong person, signed commits with real ssh-keygen keys, and a shared remote that refuses a
push breaking a rule. Real git repositories (the demo's), real keys, the CLI in process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.authority import server
from caseflow.core import ledger_state
from caseflow.core.git.runner import git as run_git
from caseflow.testing import Result, git
from tests.authority.conftest import ENV

CLIENT = "C-4HX8TB"  # in planning, with a plan waiting for a supervisor's approval
needs_ssh_keygen = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs OpenSSH's ssh-keygen")


def forge_approval(repo: Path, by: str = "sam") -> None:
    """What Casey did: an approvals.yaml written by hand, naming a supervisor, for the plan as it is."""
    plan_blob = git(repo, "hash-object", f"clients/{CLIENT}/plan.yaml").strip()
    (repo / f"clients/{CLIENT}/approvals.yaml").write_text(
        "form: core.approvals\n"
        f"client: {CLIENT}\n"
        "approvals:\n"
        "  - document: plan.yaml\n"
        f"    blob: {plan_blob}\n"
        "    decision: approved\n"
        f"    by: {by}\n"
        "    at: '2026-11-19T10:00:00-06:00'\n"
    )


def as_person(who: str) -> dict[str, str]:
    email = f"{who}@riverbend.example"
    person = {
        "GIT_AUTHOR_NAME": who,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": who,
        "GIT_COMMITTER_EMAIL": email,
    }
    return {**os.environ, **person}


def key_of(demo: Path, who: str) -> Path | None:
    """``who``'s private key, as the demo made it (None where ssh-keygen was missing: no signing)."""
    key = demo / ".caseflow" / "keys" / who
    return key if key.is_file() else None


def commit_as(repo: Path, who: str, message: str = "update", *extra: str, key: Path | None = None) -> str:
    """A commit made with plain git by ``who`` (what a person can always do), signed with their own
    key as their git would sign it (``key``, else theirs in the demo's keyring, if any)."""
    key = key or key_of(repo, who)
    signed = ["-c", "gpg.format=ssh", "-c", f"user.signingKey={key}", "-c", "commit.gpgSign=true"] if key else []
    git(repo, "add", "-A")
    subprocess.run(["git", *signed, *extra, "commit", "-q", "-m", message], cwd=repo, env=as_person(who), check=True)
    return git(repo, "rev-parse", "HEAD").strip()


def test_an_uncommitted_forged_approval_does_not_let_the_client_advance(repo: Path, cf: Callable[..., Result]) -> None:
    forge_approval(repo)
    head = git(repo, "rev-parse", "HEAD")
    refused = cf("--as", "casey", "advance", CLIENT)
    assert refused.exit_code == 1
    assert (
        "plan.yaml is not approved: the approval in approvals.yaml naming sam was not committed by sam"
        in refused.stderr
    )
    assert git(repo, "rev-parse", "HEAD") == head
    checked = cf("validate")
    assert checked.exit_code == 1
    assert f"clients/{CLIENT}/approvals.yaml:7:9: decision by 'sam' that no commit by sam made" in checked.stdout


def test_a_session_kept_across_commands_sees_a_commit_made_meanwhile(repo: Path) -> None:
    """As ``caseflow watch`` keeps one: the history is replayed again once HEAD has moved."""
    from caseflow import open_repo

    kept = open_repo(repo, environ=ENV)
    forge_approval(repo)
    assert "that no commit by sam made" in "\n".join(map(str, kept.validate().problems))
    commit_as(repo, "casey", "approvals")
    assert "it names sam but the commit is by casey@" in "\n".join(map(str, kept.validate().problems))


def test_a_committed_forged_approval_is_refused_by_advance_validate_and_verify(
    repo: Path, cf: Callable[..., Result]
) -> None:
    forge_approval(repo)
    forged = commit_as(repo, "casey", "approvals")
    assert cf("--as", "casey", "advance", CLIENT).exit_code == 1
    assert "decision by 'sam' that does not count: it names sam but the commit is by casey@" in cf("validate").stdout
    verified = cf("verify")
    assert verified.exit_code == 1
    assert f"commit {forged[:12]}" in verified.stdout
    assert "it names sam but the commit is by casey@riverbend.example" in verified.stdout
    as_json = cf("verify", "--json")
    assert [b["commit"] for b in json.loads(as_json.stdout)["breaches"]] == [forged]


def test_an_approval_of_ones_own_change_committed_by_hand_does_not_count(repo: Path, cf: Callable[..., Result]) -> None:
    plan = repo / f"clients/{CLIENT}/plan.yaml"
    plan.write_text(plan.read_text() + "# tightened the wording\n")
    commit_as(repo, "sam", "plan")  # the supervisor changes the plan himself...
    forge_approval(repo, by="sam")
    approved = commit_as(repo, "sam", "approvals")  # ...and approves it in his own commit
    assert cf("--as", "casey", "advance", CLIENT).exit_code == 1
    assert "decision by 'sam' that does not count: sam made the last change to plan.yaml" in cf("validate").stdout
    verified = cf("verify")
    assert f"commit {approved[:12]}" in verified.stdout
    assert "sam made the last change to plan.yaml; another approver decides on it" in verified.stdout


def test_a_real_approval_counts_and_verify_passes(repo: Path, cf: Callable[..., Result]) -> None:
    cf("--as", "sam", "approve", CLIENT, "plan.yaml").assert_success()
    cf("--as", "casey", "advance", CLIENT).assert_success()
    verified = cf("verify")
    assert verified.exit_code == 0
    if key_of(repo, "sam"):  # the demo turned signing on
        assert "is signed by its author's key" in verified.stderr
    else:
        assert "authors are checked as git recorded them" in verified.stderr


def test_an_approval_by_a_case_manager_who_made_herself_a_supervisor_does_not_count(
    repo: Path, cf: Callable[..., Result]
) -> None:
    config = repo / "caseflow.yaml"
    text = config.read_text()
    casey_at = text.index("id: casey")
    config.write_text(text[:casey_at] + text[casey_at:].replace("role: case_manager", "role: supervisor", 1))
    promoted = commit_as(repo, "casey", "staff")
    cf("--as", "casey", "approve", CLIENT, "plan.yaml")  # her own caseflow.yaml lets her try
    assert cf("--as", "casey", "advance", CLIENT).exit_code == 1
    verified = cf("verify")
    assert verified.exit_code == 1
    assert f"commit {promoted[:12]}" in verified.stdout
    assert "without the admin right (admins: dana)" in verified.stdout


def test_a_hand_edited_stage_is_reported_and_undoing_it_puts_it_right(repo: Path, cf: Callable[..., Result]) -> None:
    record = repo / f"clients/{CLIENT}/client.yaml"
    original = record.read_text()
    record.write_text(original.replace("stage: planning", "stage: active"))
    edited = commit_as(repo, "casey", "stage")
    assert "stage 'active' was set by commit" in cf("validate").stdout
    assert f"commit {edited[:12]}" in cf("verify").stdout
    record.write_text(original)
    commit_as(repo, "casey", "undo")
    assert "stage" not in cf("validate").stdout
    assert cf("verify", "--since", edited).exit_code == 0  # only the commits after the edit


def test_a_stage_history_edited_by_hand_is_reported_where_it_is_and_undoing_it_puts_it_right(
    repo: Path, cf: Callable[..., Result]
) -> None:
    record = repo / f"clients/{CLIENT}/client.yaml"
    original = record.read_text()
    # stage and history changed together, as carefully as a person could: the entry is still not advance's
    moved = original.replace("stage: planning", "stage: active").replace(
        "risk_flags:", "  - from: planning\n    to: active\n    on: 2026-11-19\n    by: casey\nrisk_flags:"
    )
    record.write_text(moved)
    edited = commit_as(repo, "casey", "stage")
    line = original.splitlines().index("stage_history:") + 1
    checked = cf("validate")
    assert checked.exit_code == 1
    assert f"clients/{CLIENT}/client.yaml:{line}:" in checked.stdout
    assert f"the stage history was changed by commit {edited[:12]}, not by `caseflow advance`" in checked.stdout
    verified = cf("verify")
    assert f"commit {edited[:12]}" in verified.stdout and "without `caseflow advance`" in verified.stdout
    record.write_text(original)
    commit_as(repo, "casey", "undo")
    assert "stage history" not in cf("validate").stdout
    # an earlier date rewritten, not committed yet: reported too, and verify (history only) passes
    record.write_text(original.replace("on: 2026-10-15", "on: 2026-10-14"))
    assert "the stage history was changed by hand" in cf("validate").stdout
    assert cf("verify", "--since", edited).exit_code == 0
    (repo / f"clients/{CLIENT}/client.yaml").write_text(original.replace("on: 2026-10-15", "on: 2026-10-14"))
    rewritten = commit_as(repo, "casey", "dates")
    assert "it rewrites the stage history" in cf("verify", "--since", rewritten + "~1").stdout


def test_a_second_verify_answers_from_the_kept_verdicts(repo: Path, cf: Callable[..., Result]) -> None:
    first = json.loads(cf("verify", "--json").stdout)
    again = json.loads(cf("verify", "--json").stdout)
    assert first["commits"] == again["commits"] > 50
    assert again["replayed"] == 0


def test_refusals_name_who_may_act_and_never_suggest_pretending(repo: Path, cf: Callable[..., Result]) -> None:
    refused = cf("--as", "casey", "approve", CLIENT, "plan.yaml")
    assert refused.exit_code == 1
    assert "--as" not in refused.stderr


# -- signing ------------------------------------------------------------------------------------------


def make_key(folder: Path, who: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{who}_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(path)], check=True)
    return path


@pytest.fixture
def signed_repo(repo: Path) -> dict[str, Path]:
    """The demo as ``caseflow demo`` leaves it where ssh-keygen exists: everyone's key registered by
    the director (Dana, the admin), signing required, the private keys in ``.caseflow/keys/``."""
    assert "required: true" in (repo / "caseflow.yaml").read_text()
    keys = {who: key_of(repo, who) for who in ("dana", "sam", "casey")}
    return {who: key for who, key in keys.items() if key is not None}


@needs_ssh_keygen
def test_the_demo_turns_signing_on_with_a_key_for_everyone(
    repo: Path, cf: Callable[..., Result], signed_repo: dict[str, Path]
) -> None:
    assert set(signed_repo) == {"dana", "sam", "casey"}
    assert ".caseflow/" in (repo / ".gitignore").read_text()  # the private keys are never committed
    assert git(repo, "ls-files", ".caseflow") == ""
    assert "signing-require" in git(repo, "log", "-1", "--format=%s", "main~0")
    verified = cf("verify")
    assert verified.exit_code == 0, verified.stdout
    assert "is signed by its author's key" in verified.stderr


def test_the_demo_keeps_a_forged_approval_on_a_branch_that_advance_and_verify_refuse(
    repo: Path, cf: Callable[..., Result]
) -> None:
    git(repo, "switch", "-q", "forged-approval")
    refused = cf("--as", "casey", "advance", CLIENT)
    assert refused.exit_code == 1
    assert "was not committed by sam, so it does not count" in refused.stderr
    verified = cf("verify")
    assert verified.exit_code == 1
    forged = git(repo, "rev-parse", "HEAD").strip()
    assert f"commit {forged[:12]}" in verified.stdout and "it names sam but the commit is by" in verified.stdout
    git(repo, "switch", "-q", "main")
    assert cf("verify").exit_code == 0


@needs_ssh_keygen
def test_a_signed_approval_works_end_to_end(
    repo: Path, cf: Callable[..., Result], signed_repo: dict[str, Path]
) -> None:
    cf("approve", CLIENT, "plan.yaml", env={"CASEFLOW_SIGNING_KEY": str(signed_repo["sam"])}).assert_success()
    cf("advance", CLIENT, env={"CASEFLOW_SIGNING_KEY": str(signed_repo["casey"])}).assert_success()
    assert git(repo, "log", "-2", "--format=%ae %G?", "--", f"clients/{CLIENT}").split("\n")[:2] != []
    signature = run_git(repo, "cat-file", "commit", "HEAD")
    assert "-----BEGIN SSH SIGNATURE-----" in signature
    verified = cf("verify")
    assert verified.exit_code == 0, verified.stdout
    assert "proves nothing" not in verified.stderr


@needs_ssh_keygen
def test_acting_as_someone_else_with_ones_own_key_is_refused(
    repo: Path, cf: Callable[..., Result], signed_repo: dict[str, Path]
) -> None:
    head = git(repo, "rev-parse", "HEAD")
    refused = cf("--as", "sam", "approve", CLIENT, "plan.yaml", env={"CASEFLOW_SIGNING_KEY": str(signed_repo["casey"])})
    assert refused.exit_code == 1
    assert "it is casey's, so caseflow cannot act as sam" in refused.stderr
    assert git(repo, "rev-parse", "HEAD") == head


@needs_ssh_keygen
def test_unsigned_and_wrongly_signed_commits_are_named_by_verify(
    repo: Path, cf: Callable[..., Result], signed_repo: dict[str, Path], tmp_path: Path
) -> None:
    (repo / f"clients/{CLIENT}/notes.md").write_text("typed by hand\n")
    unsigned = commit_as(repo, "casey", "note", "-c", "commit.gpgSign=false")
    stranger = make_key(tmp_path, "stranger")
    (repo / f"clients/{CLIENT}/notes.md").write_text("typed by hand, again\n")
    wrong = commit_as(repo, "casey", "note", key=stranger)
    verified = cf("verify")
    assert verified.exit_code == 1
    assert f"commit {unsigned[:12]}" in verified.stdout and "it is not signed" in verified.stdout
    assert f"commit {wrong[:12]}" in verified.stdout and "a key not registered to its author" in verified.stdout


@needs_ssh_keygen
def test_a_revoked_key_signs_nothing_afterwards(
    repo: Path, cf: Callable[..., Result], signed_repo: dict[str, Path]
) -> None:
    dana = {"CASEFLOW_SIGNING_KEY": str(signed_repo["dana"])}
    cf("staff", "key", "revoke", "casey", env=dana).assert_success()
    refused = cf(
        "visit", CLIENT, "--type", "phone", "--note", "Seen.", env={"CASEFLOW_SIGNING_KEY": str(signed_repo["casey"])}
    )
    assert refused.exit_code == 1
    assert cf("verify").exit_code == 0


# -- the shared remote ---------------------------------------------------------------------------------


def test_the_remote_refuses_a_forged_approval_and_accepts_a_real_one(
    repo: Path, cf: Callable[..., Result], invoke_caseflow: Callable[..., Result], tmp_path: Path
) -> None:
    bare = tmp_path / "agency.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(bare)], check=True)
    invoke_caseflow("server", "install", str(bare)).assert_success()
    assert (bare / "hooks" / "pre-receive").is_file()
    casey = tmp_path / "casey"
    subprocess.run(["git", "clone", "-q", str(bare), str(casey)], check=True)
    forge_approval(casey)
    commit_as(casey, "casey", "approvals", key=key_of(repo, "casey"))  # her laptop has her own key
    pushed = subprocess.run(["git", "push", "-q", "origin", "HEAD:main"], cwd=casey, capture_output=True, text=True)
    assert pushed.returncode != 0
    assert "it names sam but the commit is by casey@riverbend.example" in pushed.stderr
    assert "push refused" in pushed.stderr
    # a real approval, made with caseflow in a good clone, is accepted
    sam = tmp_path / "sam"
    subprocess.run(["git", "clone", "-q", str(bare), str(sam)], check=True)
    own_key = {"CASEFLOW_SIGNING_KEY": str(key_of(repo, "sam"))} if key_of(repo, "sam") else {}
    invoke_caseflow(
        "--repo", str(sam), "--as", "sam", "approve", CLIENT, "plan.yaml", env={**ENV, **own_key}
    ).assert_success()
    accepted = subprocess.run(["git", "push", "-q", "origin", "HEAD:main"], cwd=sam, capture_output=True, text=True)
    assert accepted.returncode == 0, accepted.stderr
    # the server keeps its verdicts at the pushed commit: the next push is checked from there
    assert ledger_state.head_of(server.state_of(bare, "refs/heads/main")) == git(sam, "rev-parse", "HEAD").strip()
    # rewriting or deleting the shared history is refused
    git(sam, "reset", "-q", "--hard", "HEAD~1")
    forced = subprocess.run(["git", "push", "-q", "-f", "origin", "HEAD:main"], cwd=sam, capture_output=True, text=True)
    assert forced.returncode != 0
    deleted = subprocess.run(["git", "push", "-q", "origin", ":main"], cwd=sam, capture_output=True, text=True)
    assert deleted.returncode != 0


def test_the_remote_keeps_each_branchs_state_and_judges_a_new_branch_from_where_it_leaves_main(
    repo: Path, invoke_caseflow: Callable[..., Result], tmp_path: Path
) -> None:
    bare = tmp_path / "agency.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(bare)], check=True)
    invoke_caseflow("server", "install", str(bare)).assert_success()
    sam = tmp_path / "sam"
    subprocess.run(["git", "clone", "-q", str(bare), str(sam)], check=True)
    git(sam, "checkout", "-q", "--detach")
    (sam / f"clients/{CLIENT}/notes.md").write_text("a note typed on a branch\n")
    branch_tip = commit_as(sam, "sam", "note on a branch", key=key_of(repo, "sam"))
    main_tip = git(sam, "rev-parse", "main").strip()
    assert server._known_base(sam, branch_tip) == main_tip  # one rev-list: where it leaves the branches
    assert server._known_base(sam, main_tip) == main_tip
    pushed = subprocess.run(["git", "push", "-q", "origin", "HEAD:refs/heads/notes"], cwd=sam, capture_output=True)
    assert pushed.returncode == 0, pushed.stderr
    kept = {ref: ledger_state.head_of(server.state_of(bare, ref)) for ref in ("refs/heads/notes", "refs/heads/main")}
    assert kept["refs/heads/notes"] == branch_tip
    assert kept.get("refs/heads/main") in (None, main_tip)  # a push of a branch never moves main's state
    # main's own push is checked from main's state, not from the branch's
    pushed = subprocess.run(["git", "push", "-q", "origin", "HEAD:main"], cwd=sam, capture_output=True)
    assert pushed.returncode == 0, pushed.stderr
    assert ledger_state.head_of(server.state_of(bare, "refs/heads/main")) == branch_tip


@needs_ssh_keygen
def test_without_ssh_keygen_a_signed_repository_refuses_writes_and_says_what_to_install(
    repo: Path, cf: Callable[..., Result], signed_repo: dict[str, Path], tmp_path: Path
) -> None:
    only_git = tmp_path / "bin"
    only_git.mkdir()
    (only_git / "git").symlink_to(shutil.which("git") or "git")
    head, files = git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain", "--ignored=no")
    refused = cf("--as", "casey", "visit", CLIENT, "--type", "phone", "--note", "Called.", env={"PATH": str(only_git)})
    assert refused.exit_code == 1
    assert "ssh-keygen was not found" in refused.stderr and "apt install openssh-client" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain", "--ignored=no") == files


@needs_ssh_keygen
def test_signature_verdicts_are_kept_by_commit_so_another_branch_does_not_check_them_again(
    repo: Path, cf: Callable[..., Result], signed_repo: dict[str, Path], tmp_path: Path
) -> None:
    cf("--as", "sam", "approve", CLIENT, "plan.yaml").assert_success()  # a signed commit after the baseline
    assert cf("verify").exit_code == 0
    kept = json.loads((repo / ".caseflow" / "signatures.json").read_text())
    assert kept["verdicts"][git(repo, "rev-parse", "HEAD").strip()][0] in ("G", "U")
    git(repo, "switch", "-q", "forged-approval")
    cf("verify")  # the other branch: replayed from its start
    git(repo, "switch", "-q", "main")
    for state in (ledger_state.LATEST, ledger_state.BASE):  # (the history replayed whole again)
        (repo / ".caseflow" / state).unlink(missing_ok=True)
    only_git = tmp_path / "bin"
    only_git.mkdir()
    (only_git / "git").symlink_to(shutil.which("git") or "git")
    replayed = cf("verify", "--json", env={"PATH": str(only_git)})  # main, from scratch: no ssh-keygen needed
    assert replayed.exit_code == 0, replayed.stderr
    assert json.loads(replayed.stdout)["replayed"] > 50


@needs_ssh_keygen
def test_a_signing_key_given_by_a_relative_path_signs(
    repo: Path, invoke_caseflow: Callable[..., Result], signed_repo: dict[str, Path]
) -> None:
    relative = {**ENV, "CASEFLOW_SIGNING_KEY": str(signed_repo["sam"].relative_to(repo))}
    invoke_caseflow("approve", CLIENT, "plan.yaml", cwd=repo, env=relative).assert_success()
    assert "-----BEGIN SSH SIGNATURE-----" in run_git(repo, "cat-file", "commit", "HEAD")
