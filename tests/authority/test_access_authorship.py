"""Whose reads the access record holds: each person's entries committed by that person, signed
where the repository requires it, checked by ``audit --verify`` and by the shared remote's hook.

Each forgery is made with plain git on a copy of the demo, as a member of staff could."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.core.access_record import ACCESS_LOG, ACCESS_REF, GENESIS, _digest
from caseflow.testing import Result, git
from tests.authority.conftest import ENV
from tests.authority.test_authority import CLIENT, as_person, key_of, needs_ssh_keygen

pytestmark = needs_ssh_keygen


def access_log(repo: Path) -> list[str]:
    """The author email of each commit of the record, oldest first ([] before its first)."""
    out = subprocess.run(
        ["git", "log", "--reverse", "--format=%ae", ACCESS_REF, "--"], cwd=repo, capture_output=True, text=True
    )
    return out.stdout.split()


def signature_verdicts(repo: Path) -> list[str]:
    """git's verdict on each commit's signature, against every key the demo's staff list holds."""
    (allowed,) = (repo / ".caseflow").glob("access_allowed_signers-*")
    settings = ["-c", "gpg.format=ssh", "-c", f"gpg.ssh.allowedSignersFile={allowed}"]
    command = ["git", *settings, "log", "--format=%G?", "--reverse", ACCESS_REF]
    out = subprocess.run(command, cwd=repo, capture_output=True, text=True, check=True).stdout
    return out.split()


def forged_chain(who: str) -> str:
    """A whole new chain file of one correctly hashed entry, saying ``who`` read the client's record."""
    body = {
        "seq": 1,
        "at": "2026-11-20T09:00:00+00:00",
        "who": who,
        "action": "show",
        "what": "client record",
        "clients": [CLIENT],
        "consent": None,
        "prev": GENESIS,
    }
    body["hash"] = _digest(body)
    return json.dumps(body, separators=(",", ":")) + "\n"


def commit_to_record(repo: Path, author: str, chain: str, *, key: Path | None) -> str:
    """A commit on the record adding a chain file, made with plain git as ``author`` (signed with ``key``)."""
    blob = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"], cwd=repo, input=chain, capture_output=True, text=True, check=True
    ).stdout.strip()
    tip = git(repo, "rev-parse", ACCESS_REF).strip()
    listing = git(repo, "ls-tree", tip) + f"100644 blob {blob}\tf00dfeed.log\n"
    tree = subprocess.run(["git", "mktree"], cwd=repo, input=listing, capture_output=True, text=True, check=True)
    signing = ["-c", "gpg.format=ssh", "-c", f"user.signingKey={key}"] if key else []
    sign = ["-S"] if key else []
    made = subprocess.run(
        ["git", *signing, "commit-tree", tree.stdout.strip(), "-p", tip, *sign, "-m", "access record"],
        cwd=repo, env=as_person(author), capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    git(repo, "update-ref", ACCESS_REF, made, tip)
    return made


@pytest.fixture
def shared(cf: Callable[..., Result], repo: Path) -> Path:
    """The demo with a committed record: Sam's and Casey's reads, flushed by Casey's next write."""
    cf("--as", "sam", "show", CLIENT).assert_success()
    cf("--as", "casey", "show", CLIENT).assert_success()
    cf("--as", "casey", "visit", CLIENT, "--type", "phone", "--note", "Seen.").assert_success()
    return repo


def test_each_persons_reads_are_committed_by_that_person_signed(shared: Path, cf: Callable[..., Result]) -> None:
    assert access_log(shared)[-2:] == ["sam@riverbend.example", "casey@riverbend.example"]
    verified = cf("audit", "--verify")
    assert verified.exit_code == 0, verified.stderr
    assert signature_verdicts(shared)[-2:] == ["G", "G"]
    assert (shared / ACCESS_LOG).read_text().count('"who":"sam"') >= 1


def test_a_chain_naming_someone_else_is_found_by_audit_verify(shared: Path, cf: Callable[..., Result]) -> None:
    forged = commit_to_record(shared, "casey", forged_chain("sam"), key=key_of(shared, "casey"))
    refused = cf("audit", "--verify")
    assert refused.exit_code == 1
    assert (
        f"{ACCESS_REF}:f00dfeed.log: entry 1 names sam, but commit {forged[:10]} that added it is casey's"
        in refused.stderr
    )


def test_an_entry_in_someone_elses_name_signed_with_ones_own_key_is_found(
    shared: Path, cf: Callable[..., Result]
) -> None:
    forged = commit_to_record(shared, "sam", forged_chain("sam"), key=key_of(shared, "casey"))
    refused = cf("audit", "--verify")
    assert refused.exit_code == 1
    assert f"commit {forged[:10]} is signed with a key that is not sam's" in refused.stderr


def test_an_unsigned_entry_is_found_where_signing_is_required(shared: Path, cf: Callable[..., Result]) -> None:
    forged = commit_to_record(shared, "sam", forged_chain("sam"), key=None)
    refused = cf("audit", "--verify")
    assert refused.exit_code == 1
    assert f"commit {forged[:10]} is not signed, and this repository requires signing" in refused.stderr


def test_the_remote_refuses_a_forged_chain_and_accepts_a_real_one(
    shared: Path, invoke_caseflow: Callable[..., Result], tmp_path: Path
) -> None:
    bare = tmp_path / "agency.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(shared), str(bare)], check=True)
    git(shared, "push", "-q", str(bare), f"{ACCESS_REF}:{ACCESS_REF}")
    invoke_caseflow("server", "install", str(bare)).assert_success()
    before = git(bare, "rev-parse", ACCESS_REF)
    commit_to_record(shared, "casey", forged_chain("sam"), key=key_of(shared, "casey"))
    pushed = subprocess.run(
        ["git", "push", str(bare), f"{ACCESS_REF}:{ACCESS_REF}"], cwd=shared, capture_output=True, text=True
    )
    assert pushed.returncode != 0
    assert "entry 1 names sam, but commit" in pushed.stderr and "is casey's" in pushed.stderr
    assert git(bare, "rev-parse", ACCESS_REF) == before
    # the real thing goes through: undo the forgery, record a read, let Sam's own write commit it
    git(shared, "update-ref", ACCESS_REF, before.strip())
    invoke_caseflow("--repo", shared, "--as", "sam", "show", CLIENT, env=ENV).assert_success()
    invoke_caseflow(
        "--repo", shared, "--as", "sam", "visit", CLIENT, "--type", "phone", "--note", "Seen.", env=ENV
    ).assert_success()
    both = ["HEAD:main", f"{ACCESS_REF}:{ACCESS_REF}"]
    accepted = subprocess.run(["git", "push", str(bare), *both], cwd=shared, capture_output=True, text=True)
    assert accepted.returncode == 0, accepted.stderr
    assert git(bare, "rev-parse", ACCESS_REF) == git(shared, "rev-parse", ACCESS_REF)


def test_a_join_that_adds_entries_of_its_own_is_found(shared: Path, cf: Callable[..., Result]) -> None:
    tip = git(shared, "rev-parse", ACCESS_REF).strip()
    side = commit_to_record(shared, "sam", forged_chain("sam"), key=key_of(shared, "sam"))  # a real, signed chain
    git(shared, "update-ref", ACCESS_REF, tip)
    # a "join" of both whose tree holds a chain neither side has
    blob = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"], cwd=shared, input=forged_chain("dana"), capture_output=True,
        text=True, check=True,
    ).stdout.strip()  # fmt: skip
    listing = git(shared, "ls-tree", side) + f"100644 blob {blob}\tbadd1e.log\n"
    tree = subprocess.run(["git", "mktree"], cwd=shared, input=listing, capture_output=True, text=True, check=True)
    key = key_of(shared, "dana")
    merge = subprocess.run(
        ["git", "-c", "gpg.format=ssh", "-c", f"user.signingKey={key}", "commit-tree", tree.stdout.strip(), "-p", tip,
         "-p", side, "-S", "-m", "access record: joined"],
        cwd=shared, env=as_person("dana"), capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    git(shared, "update-ref", ACCESS_REF, merge)
    refused = cf("audit", "--verify")
    assert refused.exit_code == 1
    assert f"{ACCESS_REF}:badd1e.log: merge commit {merge[:10]} adds entries of its own" in refused.stderr


def test_a_read_waits_for_its_reader_where_nobody_else_can_sign_for_them(repo: Path, cf: Callable[..., Result]) -> None:
    """Sam's read on a laptop where Sam's key is no longer kept is not committed in Sam's name by
    Casey's write: it waits (in the log, listed by audit) until Sam's own next write here."""
    cf("--as", "sam", "show", CLIENT).assert_success()
    cf("--as", "casey", "show", CLIENT).assert_success()
    sams_key = repo / ".caseflow" / "keys" / "sam"
    kept = sams_key.read_bytes()
    sams_key.unlink()
    before = len(access_log(repo))
    cf("--as", "casey", "visit", CLIENT, "--type", "phone", "--note", "Seen.").assert_success()
    assert len(access_log(repo)) == before  # Sam's read first: nothing after it is committed by Casey
    sams_key.write_bytes(kept)
    sams_key.chmod(0o600)
    cf("--as", "sam", "visit", CLIENT, "--type", "phone", "--note", "Seen.").assert_success()
    assert access_log(repo)[before:] == ["sam@riverbend.example", "casey@riverbend.example"]
    assert cf("audit", "--verify").exit_code == 0
