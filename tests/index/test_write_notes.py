"""The read after caseflow's own writes: what the writes noted tells which clients changed and
that git's index stages the last write's commit, so the read asks git for the working tree's
status alone, never reads git's index, never rewrites it, and answers as a whole listing does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from caseflow.core import write_notes
from caseflow.core.case import blob_id
from caseflow.core.git.indexfile import index_stamp
from caseflow.core.layout import STAGED_LISTING, WRITE_NOTES
from caseflow.index import snapshot as snapshot_module
from caseflow.index import staged_listing
from caseflow.index.database import CaseIndex, document_key
from caseflow.repo import open_repo
from caseflow.testing import git
from tests.index.test_staged_listing import keep_listing, snapshot_of_everything, taken


def clients(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "clients").iterdir())


def write(root: Path, client: str, phone: str) -> None:
    repo = open_repo(root, environ={})
    repo.records.set_fields(repo.actor("casey"), client, "client.yaml", [f"phone={phone}"])


def asked_of_git_index(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls that read git's index (or list the whole tree), as they are made."""
    asked: list[str] = []
    for name in ("staged_since", "staged_under", "worktree_listing", "head_if_staged_as_committed"):
        real = getattr(snapshot_module.Store, name)
        monkeypatch.setattr(
            snapshot_module.Store,
            name,
            lambda self, *a, _n=name, _r=real, **k: (asked.append(_n), _r(self, *a, **k))[1],
        )
    return asked


def test_after_writes_the_read_neither_reads_nor_rewrites_git_index(
    agency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep_listing(agency)
    first, second, third, fourth = clients(agency)
    write(agency, first, "555-0101")
    write(agency, second, "555-0102")
    write(agency, first, "555-0103")
    edited = agency / "clients" / fourth / "client.yaml"  # a hand edit, not staged: from the status
    edited.write_text(edited.read_text() + "\n")
    (agency / "clients" / third / "notes-new.md").write_text("# Untracked\n")
    stamp = index_stamp(agency)
    asked = asked_of_git_index(monkeypatch)
    after = taken(agency, kept=True)
    assert asked == []
    assert index_stamp(agency) == stamp  # git was not let refresh (rewrite) its index
    monkeypatch.undo()
    expected = snapshot_of_everything(agency)
    assert dict(after.entries) == expected
    assert list(after.entries) == sorted(expected)
    assert after.listing_key() == taken(agency, kept=False).listing_key()
    assert after.changed_since is not None and set(after.changed_since[1]) == {first, second, third, fourth}


def test_git_refreshing_its_index_after_a_write_costs_the_read_no_read_of_it(
    agency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(``git status`` rewrites git's index after a commit: the staged files are the same.)"""
    keep_listing(agency)
    first = clients(agency)[0]
    write(agency, first, "555-0107")
    stamp = index_stamp(agency)
    record = agency / "clients" / first / "client.yaml"
    later = record.stat().st_mtime + 2  # (so that git has stat data to refresh, in another second)
    os.utime(record, (later, later))
    git(agency, "status", "--porcelain")
    assert index_stamp(agency) != stamp
    asked = asked_of_git_index(monkeypatch)
    after = taken(agency, kept=True)
    assert asked == []
    monkeypatch.undo()
    assert dict(after.entries) == snapshot_of_everything(agency)


def test_a_soft_reset_back_along_the_writes_is_listed_at_the_commit_head_names(
    agency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep_listing(agency)
    first, second, *_ = clients(agency)
    write(agency, first, "555-0108")
    write(agency, second, "555-0109")
    git(agency, "reset", "-q", "--soft", "HEAD~1")  # git's index still stages the second write
    after = taken(agency, kept=True)
    assert dict(after.entries) == snapshot_of_everything(agency)
    git(agency, "reset", "-q", "--mixed", "HEAD")  # now it stages HEAD: the first write's commit
    asked = asked_of_git_index(monkeypatch)
    after = taken(agency, kept=True)
    assert asked == []
    monkeypatch.undo()
    assert dict(after.entries) == snapshot_of_everything(agency)


def test_a_client_folder_a_write_makes_is_listed_in_its_place(agency: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keep_listing(agency)
    repo = open_repo(agency, environ={})
    made = repo.records.intake(repo.actor("casey"), name="Testa Example", dob="1990-02-03")
    asked = asked_of_git_index(monkeypatch)
    after = taken(agency, kept=True)
    assert asked == []
    monkeypatch.undo()
    assert dict(after.entries) == snapshot_of_everything(agency)
    assert made in after.entries and list(after.entries) == sorted(after.entries)


def test_a_commit_by_hand_between_writes_means_asking_git(agency: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keep_listing(agency)
    first, second, *_ = clients(agency)
    write(agency, first, "555-0104")
    record = agency / "clients" / second / "client.yaml"
    record.write_text(record.read_text() + "\n")
    git(agency, "commit", "-q", "-am", "by hand")
    write(agency, first, "555-0105")
    asked = asked_of_git_index(monkeypatch)
    after = taken(agency, kept=True)
    assert asked  # the notes do not lead from the kept listing's commit: git says what changed
    monkeypatch.undo()
    assert dict(after.entries) == snapshot_of_everything(agency)


def test_git_index_changed_after_a_write_means_asking_git(agency: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keep_listing(agency)
    first, second, *_ = clients(agency)
    write(agency, first, "555-0106")
    record = agency / "clients" / second / "client.yaml"
    record.write_text(record.read_text() + "\n")
    git(agency, "add", "-A")  # staged by hand: git's index is not the one the write left
    asked = asked_of_git_index(monkeypatch)
    after = taken(agency, kept=True)
    assert "staged_since" in asked
    monkeypatch.undo()
    assert dict(after.entries) == snapshot_of_everything(agency)


def test_the_listing_is_kept_again_after_a_few_writes(agency: Path) -> None:
    keep_listing(agency)
    client = clients(agency)[0]
    kept = (agency / STAGED_LISTING).read_bytes()
    for number in range(snapshot_module._NOTES_KEPT_AGAIN_FROM - 1):
        write(agency, client, f"555-01{number:02}")
        taken(agency, kept=True)
        assert (agency / STAGED_LISTING).read_bytes() == kept  # (each read takes the written clients again)
    write(agency, client, "555-0199")
    after = taken(agency, kept=True)
    assert (agency / STAGED_LISTING).read_bytes() != kept
    stamp = index_stamp(agency)
    assert stamp is not None
    again = staged_listing.load(agency, stamp)
    assert again is not None and again.stamp == stamp and again.base == git(agency, "rev-parse", "HEAD").strip()
    assert dict(again.entries) == dict(after.entries) == snapshot_of_everything(agency)


def test_a_read_after_writes_parses_only_the_written_documents(agency: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the kept listing's documents were all parsed, reads after writes look up the written
    clients' documents alone, not every document's key (a caseload's: hundreds of thousands)."""
    from caseflow.index import caseload

    monkeypatch.setattr(caseload, "BUNDLE_FROM", 1)
    keep_listing(agency)
    open_repo(agency, environ={}).validate()
    client = clients(agency)[0]
    for number in range(3):
        write(agency, client, f"555-02{number:02}")
        with monkeypatch.context() as patched:
            patched.setattr(snapshot_module.Snapshot, "keys", lambda self: pytest.fail("every key was listed"))
            report = open_repo(agency, environ={}).validate()
        assert report.problems == []
        path = f"clients/{client}/client.yaml"
        key = document_key(path, blob_id((agency / path).read_bytes()))
        assert CaseIndex(agency).stored([key])[key][0]["phone"] == f"555-02{number:02}"  # parsed by that read


def test_notes_lead_from_a_commit_through_the_writes_made_one_after_another(tmp_path: Path) -> None:
    note = write_notes.WriteNote
    write_notes.record(tmp_path, note("a", "b", b"1", ("clients/C-1/x.yaml",)))
    write_notes.record(tmp_path, note("x", "y", b"9", ("clients/C-9/x.yaml",)))  # another line of history
    write_notes.record(tmp_path, note("b", "c", b"2", ("clients/C-2/x.yaml", "clients/C-3/x.yaml")))
    assert write_notes.since(tmp_path, "a", b"2") == [
        note("a", "b", b"1", ("clients/C-1/x.yaml",)),
        note("b", "c", b"2", ("clients/C-2/x.yaml", "clients/C-3/x.yaml")),
    ]
    assert [n.commit for n in write_notes.since(tmp_path, "b", b"2") or []] == ["c"]
    assert write_notes.since(tmp_path, "a", b"1") == [note("a", "b", b"1", ("clients/C-1/x.yaml",))]
    assert [n.commit for n in write_notes.since(tmp_path, "x", b"2") or []] == ["y"]  # (another line)
    # git's index as no write left it (refreshed by git, or changed by hand: git status tells which)
    assert [n.commit for n in write_notes.since(tmp_path, "a", b"7") or []] == ["b", "c"]
    assert write_notes.since(tmp_path, "z", b"2") is None  # not where a noted write went on from
    assert write_notes.since(tmp_path, "", b"2") is None
    assert write_notes.paths_between(tmp_path, "a", "c") == {
        "clients/C-1/x.yaml",
        "clients/C-2/x.yaml",
        "clients/C-3/x.yaml",
    }
    assert write_notes.paths_between(tmp_path, "c", "c") == set()
    assert write_notes.paths_between(tmp_path, "x", "c") is None
    (tmp_path / WRITE_NOTES).write_bytes(b"\x00damaged")
    assert write_notes.since(tmp_path, "a", b"2") is None


def test_only_the_last_notes_are_kept(tmp_path: Path) -> None:
    for number in range(write_notes.KEPT + 5):
        write_notes.record(tmp_path, write_notes.WriteNote(str(number), str(number + 1), b"%d" % number, ()))
    last = write_notes.KEPT + 4
    assert write_notes.since(tmp_path, "5", b"%d" % last) is not None
    assert write_notes.since(tmp_path, "4", b"%d" % last) is None


def _made_executable(folder: Path) -> None:
    (folder / "client.yaml").chmod(0o755)


FOLDER_STATES = {
    "as-written": (lambda folder: None, False),
    "edited": (lambda folder: (folder / "client.yaml").write_text("form: core.client\nname: Changed\n"), False),
    "deleted": (lambda folder: (folder / "client.yaml").unlink(), False),
    "untracked": (lambda folder: (folder / "extra.md").write_text("# Extra\n"), False),
    "untracked-folder": (
        lambda folder: ((folder / "new").mkdir(), (folder / "new" / "x.md").write_text("# X\n")),
        False,
    ),
    "made-executable": (_made_executable, False),
    "a-link": (lambda folder: (folder / "linked.yaml").symlink_to("client.yaml"), True),
    "an-attributes-file": (
        lambda folder: (folder.parent.parent / ".gitattributes").write_text("*.md text eol=crlf\n"),
        True,
    ),
    "an-ignore-rule": (lambda folder: (folder.parent.parent / ".gitignore").write_text(".caseflow/\n*.tmp\n"), True),
}


@pytest.mark.parametrize("state", list(FOLDER_STATES))
def test_a_folder_after_a_write_is_listed_without_git_index_as_git_lists_it(
    agency: Path, monkeypatch: pytest.MonkeyPatch, state: str
) -> None:
    """(What a long-running process does after a write: one folder taken again.)"""
    from caseflow.index.database import CaseIndex

    client = clients(agency)[0]
    write(agency, client, "555-0110")
    change, asks_git = FOLDER_STATES[state]
    change(agency / "clients" / client)
    listed: list[str] = []
    real = snapshot_module.Store.worktree_listing
    monkeypatch.setattr(
        snapshot_module.Store,
        "worktree_listing",
        lambda self, folder, whole_tree=True: (listed.append(folder), real(self, folder, whole_tree))[1],
    )
    repo = open_repo(agency, environ={})
    alone = snapshot_module.take_snapshot(repo.store, CaseIndex(agency), client_ids_only=[client])
    assert listed == ([f"clients/{client}"] if asks_git else [])
    monkeypatch.undo()
    assert alone.entries == {client: snapshot_of_everything(agency)[client]}


def test_git_refreshes_its_index_for_a_read_only_once_the_refresh_lasts(agency: Path) -> None:
    """An index less than a second old leaves files changed in that second racily clean: a
    refresh then would be written again by each read's git status (10 MB at 10,000 clients)."""
    store = open_repo(agency, environ={}).store
    record = agency / "clients" / clients(agency)[0] / "client.yaml"
    record.write_text(record.read_text() + "\n")
    git(agency, "add", "-A")
    index = agency / ".git" / "index"
    before = index.read_bytes()
    staged = {record.relative_to(agency).as_posix(): "M "}
    assert store.status_under("clients", inner_rules=False) == staged
    assert index.read_bytes() == before  # (just written: git was not let rewrite it)
    a_while_ago = index.stat().st_mtime - 5
    os.utime(index, (a_while_ago, a_while_ago))
    os.utime(record, (a_while_ago + 2, a_while_ago + 2))  # (newer than the index: git must look again)
    assert store.status_under("clients", inner_rules=False) == staged
    assert index.read_bytes() != before  # refreshed, once
