"""The staged listing kept between commands: a snapshot taken with it is the snapshot taken
without it, whatever changed in the working tree or in git's index since it was kept."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.core.layout import STAGED_LISTING
from caseflow.index import snapshot as snapshot_module
from caseflow.index import staged_listing
from caseflow.index.database import CaseIndex
from caseflow.index.snapshot import Snapshot, take_snapshot
from caseflow.repo import open_repo
from caseflow.testing import git


def taken(root: Path, *, kept: bool) -> Snapshot:
    """A snapshot as a new command takes it, with the kept listing or without it."""
    repo = open_repo(root, environ={})
    if not kept:
        (root / STAGED_LISTING).unlink(missing_ok=True)
    return take_snapshot(repo.store, CaseIndex(root))


def keep_listing(root: Path) -> Snapshot:
    """A whole listing, kept. (Right after a commit, ``git status`` may refresh git's index while
    the listing runs: nothing is kept then, and the next command keeps it.)"""
    for _ in range(3):
        whole = taken(root, kept=False)
        if (root / STAGED_LISTING).is_file():
            return whole
    raise AssertionError("the staged listing was never kept")


def first_client(root: Path) -> Path:
    return sorted((root / "clients").iterdir())[0]


def count_whole_listings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = snapshot_module.Store.worktree_listing

    def counted(self, folder, whole_tree=True):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(self, folder, whole_tree)

    monkeypatch.setattr(snapshot_module.Store, "worktree_listing", counted)
    return calls


def test_the_second_command_lists_only_the_working_tree(agency: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = keep_listing(agency)
    assert (agency / STAGED_LISTING).stat().st_mode & 0o077 == 0  # private, as the index is
    listings = count_whole_listings(monkeypatch)
    again = taken(agency, kept=True)
    assert listings == []
    assert again.entries == whole.entries
    assert [again.digest(c, "x") for c in again.entries] == [whole.digest(c, "x") for c in whole.entries]
    assert again.listing_key() == whole.listing_key()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda c: (c / "client.yaml").write_text((c / "client.yaml").read_text() + "\n"), id="edited"),
        pytest.param(lambda c: (c / "notes-extra.md").write_text("# A new note\n"), id="untracked"),
        pytest.param(lambda c: (c / "client.yaml").unlink(), id="deleted"),
        pytest.param(lambda c: shutil.rmtree(c), id="folder-deleted"),
        pytest.param(lambda c: shutil.copytree(c, c.with_name("C-NEW0001")), id="new-client"),
    ],
)
def test_working_tree_changes_show_as_in_a_whole_listing(agency: Path, change: Callable[[Path], object]) -> None:
    keep_listing(agency)  # of the committed tree
    change(first_client(agency))
    with_kept = taken(agency, kept=True)
    assert with_kept.entries == taken(agency, kept=False).entries
    assert list(with_kept.entries) == sorted(with_kept.entries)  # in git's order


def test_the_same_file_edited_twice_is_hashed_again(agency: Path) -> None:
    record = first_client(agency) / "client.yaml"
    record.write_text(record.read_text() + "\n")
    keep_listing(agency)
    first = taken(agency, kept=True)
    record.write_text(record.read_text() + "# and again\n")  # still " M": its bytes changed
    second = taken(agency, kept=True)
    client = first_client(agency).name
    assert first.entries[client] != second.entries[client]
    assert second.entries == taken(agency, kept=False).entries


def test_staging_or_committing_by_hand_is_answered_from_the_kept_listing_and_what_changed_since(
    agency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep_listing(agency)
    kept_before = (agency / STAGED_LISTING).read_bytes()
    record = first_client(agency) / "client.yaml"
    record.write_text(record.read_text() + "\n")
    git(agency, "add", "-A")  # git's index stages new bytes: its checksum moves
    listings = count_whole_listings(monkeypatch)
    expected = snapshot_of_everything(agency)
    listings.clear()
    assert taken(agency, kept=True).entries == expected
    assert (agency / STAGED_LISTING).read_bytes() == kept_before  # staged, not committed: the old one stays
    git(agency, "commit", "-q", "-m", "by hand")
    expected = snapshot_of_everything(agency)
    listings.clear()
    assert taken(agency, kept=True).entries == expected
    assert listings == []  # only the clients that changed were listed again ...
    kept_after = (agency / STAGED_LISTING).read_bytes()
    assert kept_after != kept_before  # ... and the listing kept again, of the commit


def test_after_a_commit_the_listing_is_kept_again_and_the_next_command_asks_git_for_the_status_alone(
    agency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep_listing(agency)
    record = first_client(agency) / "client.yaml"
    record.write_text(record.read_text() + "\n")
    git(agency, "commit", "-q", "-am", "by hand")
    first = taken(agency, kept=True)  # lists what changed since the kept listing's commit, and keeps it
    asked: list[str] = []
    for name in ("staged_since", "staged_under", "worktree_listing"):
        real = getattr(snapshot_module.Store, name)
        monkeypatch.setattr(
            snapshot_module.Store,
            name,
            lambda self, *a, _n=name, _r=real, **k: (asked.append(_n), _r(self, *a, **k))[1],
        )
    second = taken(agency, kept=True)
    assert asked == []
    assert second.entries == first.entries == snapshot_of_everything(agency)
    assert second.listing_key() == first.listing_key()


def snapshot_of_everything(root: Path) -> dict[str, list[tuple[str, str, str]]]:
    """The entries of a whole listing, without touching the kept one."""
    kept = root / STAGED_LISTING
    saved = kept.read_bytes() if kept.exists() else None
    try:
        return taken(root, kept=False).entries
    finally:
        if saved is not None:
            kept.write_bytes(saved)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda c: (c / "client.yaml").write_text((c / "client.yaml").read_text() + "\n"), id="edited"),
        pytest.param(lambda c: (c / "notes-extra.md").write_text("# A new note\n"), id="added"),
        pytest.param(lambda c: (c / "client.yaml").unlink(), id="deleted"),
        pytest.param(lambda c: shutil.rmtree(c), id="folder-deleted"),
        pytest.param(lambda c: shutil.copytree(c, c.with_name("C-NEW0001")), id="new-client"),
    ],
)
def test_commits_since_the_listing_was_kept_show_as_in_a_whole_listing(
    agency: Path, change: Callable[[Path], object], monkeypatch: pytest.MonkeyPatch
) -> None:
    keep_listing(agency)
    change(first_client(agency))
    git(agency, "add", "-A")
    git(agency, "commit", "-q", "-m", "a change")
    (agency / "unrelated.txt").write_text("a change outside the clients' folders\n")
    expected = snapshot_of_everything(agency)
    listings = count_whole_listings(monkeypatch)
    with_kept = taken(agency, kept=True)
    assert with_kept.entries == expected and listings == []
    assert list(with_kept.entries) == sorted(with_kept.entries)  # in git's order


def test_a_caseflow_write_costs_the_next_read_no_whole_listing(agency: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keep_listing(agency)
    client = first_client(agency).name
    repo = open_repo(agency, environ={})
    repo.records.set_fields(repo.actor("casey"), client, "client.yaml", ["phone=555-0142"])
    expected = snapshot_of_everything(agency)
    listings = count_whole_listings(monkeypatch)
    assert taken(agency, kept=True).entries == expected
    assert listings == []


def test_a_listing_kept_while_something_was_staged_is_not_used_once_the_index_moves(
    agency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = first_client(agency) / "client.yaml"
    record.write_text(record.read_text() + "\n")
    git(agency, "add", "-A")  # staged, not committed: the listing matches no commit
    keep_listing(agency)
    git(agency, "commit", "-q", "-m", "now committed")
    expected = snapshot_of_everything(agency)
    listings = count_whole_listings(monkeypatch)
    assert taken(agency, kept=True).entries == expected
    assert listings == [1]


def test_a_base_commit_git_no_longer_has_means_listing_everything(
    agency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep_listing(agency)
    stamp = open_repo(agency, environ={}).store.index_stamp()
    assert stamp is not None
    kept = staged_listing.load(agency, stamp)
    assert kept is not None and kept.base == git(agency, "rev-parse", "HEAD").strip()
    staged_listing.save(agency, dataclasses.replace(kept, base="0" * 40))
    record = first_client(agency) / "client.yaml"
    record.write_text(record.read_text() + "\n")
    git(agency, "commit", "-q", "-am", "a change")
    expected = snapshot_of_everything(agency)
    listings = count_whole_listings(monkeypatch)
    assert taken(agency, kept=True).entries == expected
    assert listings == [1]


def test_a_damaged_kept_listing_is_listed_again(agency: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = keep_listing(agency)
    (agency / STAGED_LISTING).write_bytes(b"\x00not what was written")
    listings = count_whole_listings(monkeypatch)
    assert taken(agency, kept=True).entries == whole.entries
    assert listings == [1]


def test_no_stamp_no_kept_listing(agency: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_INDEX_FILE", str(agency / ".git" / "index"))  # another index in use: no trust
    taken(agency, kept=False)
    assert not (agency / STAGED_LISTING).exists()


def test_load_refuses_another_stamp_unless_the_listing_matches_a_commit(agency: Path) -> None:
    keep_listing(agency)
    stamp = open_repo(agency, environ={}).store.index_stamp()
    assert stamp is not None
    other = stamp[:-1] + bytes([stamp[-1] ^ 1])
    kept = staged_listing.load(agency, stamp)
    assert kept is not None and kept.base
    assert staged_listing.load(agency, other) == kept  # what changed since is asked of git
    staged_listing.save(agency, dataclasses.replace(kept, base=""))
    assert staged_listing.load(agency, stamp) is not None
    assert staged_listing.load(agency, other) is None


def test_the_read_after_a_write_parses_and_checks_the_written_document(agency: Path) -> None:
    """A write does not touch the index (that cost it more than it saved the next read: issue 22);
    the next read finds the one changed document, parses and checks it, and keeps it."""
    from caseflow.core.case import blob_id
    from caseflow.index.database import check_key, document_key

    repo = open_repo(agency, environ={})
    client = first_client(agency).name
    repo.records.set_fields(repo.actor("casey"), client, "client.yaml", ["phone=555-0143"])
    path = f"clients/{client}/client.yaml"
    blob = blob_id((agency / path).read_bytes())
    assert CaseIndex(agency).stored([document_key(path, blob)]) == {}
    assert open_repo(agency, environ={}).validate().problems == []
    index = CaseIndex(agency)
    stored = index.stored([document_key(path, blob)])
    assert stored[document_key(path, blob)][0]["phone"] == "555-0143"
    assert index.checks([check_key(path, blob)]) == {check_key(path, blob): []}


def test_a_warm_read_of_the_caseload_never_unpacks_the_entries(agency: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """(The clients' digests answer it: at 50,000 clients the entries are 400,000 tuples.)"""
    from caseflow.index import caseload

    monkeypatch.setattr(caseload, "BUNDLE_FROM", 1)  # whole sets from one client (the demo has four)
    environ = {"CASEFLOW_TODAY": "2026-11-20"}
    for _ in range(2):  # (the listing kept, then every whole set)
        repo = open_repo(agency, environ=environ)
        counted = repo.validate().documents, repo.clients(), repo.followup.due()
    made: list[staged_listing.LazyEntries] = []
    real = staged_listing.LazyEntries.__init__

    def recorded(self, load):  # type: ignore[no-untyped-def]
        made.append(self)
        real(self, load)

    monkeypatch.setattr(staged_listing.LazyEntries, "__init__", recorded)
    repo = open_repo(agency, environ=environ)
    assert (repo.validate().documents, repo.clients(), repo.followup.due()) == counted
    assert made and not any(entries.loaded for entries in made)
    assert counted[0] == sum(len(e) for e in taken(agency, kept=False).entries.values())
