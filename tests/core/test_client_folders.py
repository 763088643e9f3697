"""The clients' folder as last read is kept by its time of change: whatever changes the entries
(a client added, removed or renamed, a stray file or link) shows at once, and a folder changed
within the clock's granularity is never kept."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.core import casefiles
from caseflow.core.layout import CLIENT_FOLDERS, LOCAL_DIR


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for client in ("C-7K2M9Q", "C-4HX8TB"):
        (tmp_path / "clients" / client).mkdir(parents=True)
    (tmp_path / LOCAL_DIR).mkdir()
    age(tmp_path)
    return tmp_path


def age(root: Path) -> None:
    """As if the folder last changed a minute ago (older than the clock's granularity)."""
    folder = root / "clients"
    stamp = folder.stat().st_mtime_ns - 60_000_000_000
    os.utime(folder, ns=(stamp, stamp))


def read(root: Path) -> tuple[list[str], list[tuple[str, str]]]:
    return casefiles.client_ids(root), casefiles.stray_client_entries(root)


def afresh(root: Path) -> tuple[list[str], list[tuple[str, str]]]:
    ids, stray = casefiles._read_client_folders(root)
    return list(ids), list(stray)


CHANGES: dict[str, Callable[[Path], object]] = {
    "added": lambda clients: (clients / "C-9ZZ9ZZ").mkdir(),
    "removed": lambda clients: shutil.rmtree(clients / "C-4HX8TB"),
    "renamed": lambda clients: (clients / "C-4HX8TB").rename(clients / "C-4HX8TC"),
    "stray file": lambda clients: (clients / "notes.txt").write_text("x"),
    "link": lambda clients: (clients / "C-LINK00").symlink_to(clients / "C-7K2M9Q"),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_change_of_the_entries_shows_at_once(root: Path, change: Callable[[Path], object]) -> None:
    read(root)
    assert (root / CLIENT_FOLDERS).is_file()  # kept
    change(root / "clients")
    assert read(root) == afresh(root)  # as read afresh
    age(root)
    assert read(root) == read(root) == afresh(root)


def test_kept_answers_are_read_without_looking_at_the_entries(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = read(root)
    monkeypatch.setattr(casefiles, "_read_client_folders", lambda root: pytest.fail("the folder read again"))
    assert read(root) == first == (["C-4HX8TB", "C-7K2M9Q"], [])


def test_a_folder_changed_a_moment_ago_is_not_kept(root: Path) -> None:
    (root / "clients" / "C-9ZZ9ZZ").mkdir()  # (its time of change: now)
    read(root)
    assert not (root / CLIENT_FOLDERS).exists()


def test_nothing_is_kept_where_there_is_no_local_folder(root: Path) -> None:
    shutil.rmtree(root / LOCAL_DIR)
    assert read(root)[0] == ["C-4HX8TB", "C-7K2M9Q"]
    assert not (root / LOCAL_DIR).exists()
