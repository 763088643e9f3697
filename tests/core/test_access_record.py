"""The access record: appended, chained, and any edit, removal or reordering detected."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from caseflow.core import layout
from caseflow.core.access_record import (
    ACCESS_LOG,
    ACCESS_REF,
    GENESIS,
    _digest,
    chain_problems,
    entries,
    fetch_refspec,
    flush,
    flush_after_write,
    join,
    record,
    shared_entries,
    tracking_ref,
)
from caseflow.core.access_verify import verify
from caseflow.core.git.commit import Author
from caseflow.errors import CaseflowError

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Setup",
    "GIT_AUTHOR_EMAIL": "setup@caseflow.invalid",
    "GIT_COMMITTER_NAME": "Test Setup",
    "GIT_COMMITTER_EMAIL": "setup@caseflow.invalid",
}


def three(root: Path) -> list[str]:
    for n, client in enumerate(("C-7K2M9Q", "C-4HX8TB", "C-9PZQ2F"), 1):
        record(root, who="casey", action="referral packet", what=f"R-{n}", clients=[client], consent=f"CN-{n}")
    return (root / ACCESS_LOG).read_text().splitlines()


def test_entries_are_chained_and_private(tmp_path: Path) -> None:
    lines = three(tmp_path)
    found = entries(tmp_path)
    assert [e.seq for e in found] == [1, 2, 3] and found[1].prev == found[0].hash and found[2].prev == found[1].hash
    assert verify(tmp_path) == [] and len(lines) == 3
    assert (tmp_path / ACCESS_LOG).stat().st_mode & 0o777 == 0o600


def test_an_edited_entry_is_found(tmp_path: Path) -> None:
    lines = three(tmp_path)
    lines[1] = lines[1].replace("CN-2", "CN-9")
    (tmp_path / ACCESS_LOG).write_text("\n".join(lines) + "\n")
    assert verify(tmp_path) == [f"{ACCESS_LOG}:2: entry 2 was changed after it was written"]


def test_a_removed_entry_is_found(tmp_path: Path) -> None:
    lines = three(tmp_path)
    (tmp_path / ACCESS_LOG).write_text("\n".join([lines[0], lines[2]]) + "\n")
    assert verify(tmp_path) == [
        f"{ACCESS_LOG}:2: entry 3 does not follow entry 1 (one was removed or the order changed)"
    ]


def test_reordered_entries_are_found(tmp_path: Path) -> None:
    lines = three(tmp_path)
    (tmp_path / ACCESS_LOG).write_text("\n".join([lines[1], lines[0], lines[2]]) + "\n")
    problems = verify(tmp_path)
    assert problems and all("does not follow" in p for p in problems)


def test_a_damaged_record_is_named_and_stops_further_disclosures(tmp_path: Path) -> None:
    three(tmp_path)
    with (tmp_path / ACCESS_LOG).open("a") as log:
        log.write('{"seq": "x"}\n')
    assert verify(tmp_path)[-1] == f"{ACCESS_LOG}:4: not a log entry"
    assert len(entries(tmp_path)) == 3
    with pytest.raises(CaseflowError, match="damaged at its last line"):
        record(tmp_path, who="casey", action="referral packet", what="R-4", clients=["C-7K2M9Q"])


# -- committed to refs/caseflow/access, and checked against it ---------------------------------------

CASEY = Author("Casey Rivera", "casey@caseflow.invalid")


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A git repository with one commit: the access record needs no more."""
    root = tmp_path / "clone"
    root.mkdir()
    git_init(root)
    return root


def git_init(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    git(root, "commit", "-q", "--allow-empty", "-m", "start")


def chain_file(root: Path) -> str:
    return (root / layout.ACCESS_ID).read_text().strip() + ".log"


def committed(root: Path, rev: str = ACCESS_REF) -> str:
    return git(root, "cat-file", "blob", f"{rev}:{chain_file(root)}")


def rechained(lines: list[str]) -> list[str]:
    """The entries with seq, prev and hash made consistent again: a forger's work."""
    out, prev = [], GENESIS
    for seq, line in enumerate(lines, 1):
        body = json.loads(line)
        body.update(seq=seq, prev=prev)
        body["hash"] = _digest(body)
        out.append(json.dumps(body, separators=(",", ":")))
        prev = body["hash"]
    return out


def write_log(root: Path, lines: list[str]) -> None:
    (root / ACCESS_LOG).write_text("".join(line + "\n" for line in lines))


def test_a_flush_commits_the_log_to_its_own_ref_and_nothing_else(clone: Path) -> None:
    head, lines = git(clone, "rev-parse", "HEAD"), three(clone)
    first = flush(clone, CASEY)
    assert first and git(clone, "rev-parse", ACCESS_REF) == first
    assert committed(clone) == "\n".join(lines)
    assert git(clone, "log", "-1", "--format=%an <%ae> %P", ACCESS_REF) == "Casey Rivera <casey@caseflow.invalid>"
    assert git(clone, "rev-parse", "HEAD") == head and git(clone, "status", "--porcelain", "--untracked-files=no") == ""
    assert flush(clone, CASEY) is None  # nothing new: no commit
    record(clone, who="casey", action="show", what="client record", clients=["C-7K2M9Q"])
    second = flush(clone, CASEY)
    assert second and git(clone, "rev-parse", f"{second}^") == first and len(committed(clone).splitlines()) == 4
    assert verify(clone) == []


def test_a_forged_entry_is_found_against_the_committed_copy(clone: Path) -> None:
    lines = three(clone)
    flush(clone, CASEY)
    write_log(clone, rechained([lines[0], lines[2]]))  # entry 2 removed, the chain re-hashed
    assert chain_problems(ACCESS_LOG, (clone / ACCESS_LOG).read_text().splitlines()) == []  # the chain alone passes
    assert verify(clone) == [
        f"{ACCESS_LOG}: entry 2 differs from {ACCESS_REF}:{chain_file(clone)} "
        "(changed, removed or forged after it was committed)"
    ]
    with pytest.raises(CaseflowError, match="no longer begins with the entries committed"):
        flush(clone, CASEY)


@pytest.mark.parametrize("how", ["emptied", "deleted"])
def test_an_emptied_or_deleted_log_is_found(clone: Path, how: str) -> None:
    three(clone)
    flush(clone, CASEY)
    if how == "deleted":
        (clone / ACCESS_LOG).unlink()
    else:
        (clone / ACCESS_LOG).write_text("")
    assert verify(clone) == [f"{ACCESS_LOG}: empty or deleted, but {ACCESS_REF}:{chain_file(clone)} holds entries 1..3"]


def test_entries_cut_off_the_end_are_found(clone: Path) -> None:
    lines = three(clone)
    flush(clone, CASEY)
    write_log(clone, lines[:2])
    assert verify(clone) == [
        f"{ACCESS_LOG}: ends at entry 2, but {ACCESS_REF}:{chain_file(clone)} holds entries 3..3 (cut off)"
    ]


def test_a_rewritten_commit_on_the_ref_is_found(clone: Path) -> None:
    """Log and ref forged together: the ref's history still holds the true version."""
    lines = three(clone)
    flush(clone, CASEY)
    forged = rechained([lines[0], lines[2]])
    write_log(clone, forged)
    tree = git(clone, "mktree", input=f"100644 blob {blob_of(clone, forged)}\t{chain_file(clone)}\n").strip()
    on_top = git(clone, "commit-tree", tree, "-p", ACCESS_REF, "-m", "forged").strip()
    git(clone, "update-ref", ACCESS_REF, on_top)
    problems = verify(clone)
    assert any(
        f"{chain_file(clone)}: entry 2 as committed in" in p and "changed or removed later" in p for p in problems
    )
    assert any("cut entries off the end" in p for p in problems)


def test_a_deleted_ref_and_a_ref_behind_its_remote_copy_are_found(clone: Path) -> None:
    lines = three(clone)
    first = flush(clone, CASEY)
    record(clone, who="casey", action="show", what="client record", clients=["C-7K2M9Q"])
    second = flush(clone, CASEY)
    tracking = "refs/caseflow/remotes/origin/access"
    git(clone, "update-ref", tracking, second or "")
    assert verify(clone) == []
    git(clone, "update-ref", ACCESS_REF, first or "")  # cut back to before the last commit, log too
    write_log(clone, lines)
    assert verify(clone) == [
        f"{ACCESS_REF} does not descend from {tracking}: it was rewritten or cut back",
        f"{ACCESS_REF}:{chain_file(clone)}: ends at entry 3, but {tracking}:{chain_file(clone)} holds entries 4..4 "
        "(cut off)",
    ]
    git(clone, "update-ref", "-d", ACCESS_REF)
    assert verify(clone) == [f"{ACCESS_REF} is missing, but {tracking} holds the record (deleted?)"]
    git(clone, "update-ref", "-d", tracking)
    assert verify(clone) == [f"{ACCESS_REF} is missing, but this clone committed its entries to it (deleted?)"]


def test_a_failed_flush_after_a_write_is_a_warning(clone: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = three(clone)
    flush(clone, CASEY)
    write_log(clone, rechained(lines[1:]))
    flush_after_write(clone, CASEY)
    err = capsys.readouterr().err
    assert err.startswith(f"warning: the access record was not committed to {ACCESS_REF}: ") and err.count("\n") == 1


def test_two_chains_join_and_a_forked_chain_is_refused(clone: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(clone), str(other)], check=True)
    three(clone)
    flush(clone, CASEY)
    record(other, who="robin", action="show", what="client record", clients=["C-4HX8TB"])
    flush(other, CASEY)
    git(other, "fetch", "-q", str(clone), fetch_refspec("origin"))
    assert join(other, "origin", CASEY)
    tip = git(other, "rev-parse", ACCESS_REF).strip()
    assert len(git(other, "log", "-1", "--format=%P", tip).split()) == 2
    assert sorted(git(other, "ls-tree", "--name-only", tip).split()) == sorted([chain_file(clone), chain_file(other)])
    assert sorted(e.who for e in shared_entries(other)) == ["casey"] * 3 + ["robin"]
    assert verify(other) == []
    assert not join(other, "origin", CASEY)  # already joined
    # the other side's copy of this chain, rewritten: never joined, and said so
    forged = rechained((other / ACCESS_LOG).read_text().splitlines() * 2)[1:]
    tree = git(other, "mktree", input=f"100644 blob {blob_of(other, forged)}\t{chain_file(other)}\n").strip()
    git(clone, "fetch", "-q", str(other), ACCESS_REF)
    git(other, "update-ref", tracking_ref("origin"), git(other, "commit-tree", tree, "-m", "forged").strip())
    with pytest.raises(CaseflowError, match="differs here and on the remote beyond their common beginning"):
        join(other, "origin", CASEY)
    assert git(other, "rev-parse", ACCESS_REF).strip() == tip


def blob_of(root: Path, lines: list[str]) -> str:
    return git(root, "hash-object", "-w", "--stdin", input="".join(line + "\n" for line in lines)).strip()


def git(root: Path, *args: str, input: str | None = None) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(["git", *args], cwd=root, input=input, capture_output=True, text=True, env=env, check=True)
    return done.stdout.strip()
