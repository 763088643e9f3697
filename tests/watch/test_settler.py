"""The settler: raw file system events of each editor's way of saving in, settled documents out."""

from __future__ import annotations

import errno
import queue
from pathlib import Path

import pytest

from caseflow.watch.settler import Change, Settler, client_of, is_document, is_editor_temp, start_observer

DOC = "clients/C-7K2M9Q/plan.yaml"
FOLDER = "clients/C-7K2M9Q"


def settle_all(settler: Settler, events: list[tuple[float, Change]]) -> list[tuple[float, str]]:
    """Feed timed events, asking what settled every 10 ms (as the watch loop does)."""
    settled = []
    pending = sorted(events, key=lambda e: e[0])
    for tick in range(500):
        now = tick / 100
        while pending and pending[0][0] <= now:
            settler.feed(pending.pop(0)[1], now)
        settled.extend((now, rel) for rel in settler.settled(now + 1e-9))
    return settled


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        (DOC, True),
        ("clients/C-7K2M9Q/visits/2026-01-10-office.md", True),
        ("clients/C-7K2M9Q/consents/CN-1.yml", True),
        ("clients/C-7K2M9Q/4913", False),
        ("clients/C-7K2M9Q/plan.yaml~", False),
        ("clients/C-7K2M9Q/.plan.yaml.swp", False),
        ("clients/C-7K2M9Q/.plan.yaml.swx", False),
        ("clients/C-7K2M9Q/.goutputstream-ABC123", False),
        ("clients/C-7K2M9Q/.#plan.yaml", False),
        ("clients/C-7K2M9Q/#plan.yaml#", False),
        ("clients/C-7K2M9Q/.plan.yaml.x1y2.tmp", False),
        ("clients/C-7K2M9Q/.drafts/plan.yaml", False),
        ("clients/C-7K2M9Q/notes.txt", False),
        ("clients/plan.yaml", False),
        ("clients/.git/plan.yaml", False),
        (".caseflow/plan.yaml", False),
        ("providers/x.yaml", False),
    ],
)
def test_what_counts_as_a_document(rel: str, expected: bool) -> None:
    assert is_document(rel) is expected


def test_client_of() -> None:
    assert client_of(DOC) == "C-7K2M9Q"
    assert client_of("clients/C-7K2M9Q") is None  # the folder itself is not inside a client
    assert client_of("clients/-rf/plan.yaml") is None


def test_a_write_in_place_settles_once_after_the_last_event() -> None:
    settler = Settler(settle=0.15, quiet=2.0)
    events = [(t, Change("modified", DOC)) for t in (0.0, 0.05, 0.1, 0.12)] + [(0.13, Change("closed", DOC))]
    assert settle_all(settler, events) == [(0.28, DOC)]


def test_an_atomic_save_settles_the_document_and_never_the_temp_file() -> None:
    temp = f"{FOLDER}/.plan.yaml.k3j2.tmp"
    events = [
        (0.0, Change("created", temp)),
        (0.01, Change("modified", temp)),
        (0.02, Change("closed", temp)),
        (0.03, Change("moved", temp, DOC)),
    ]
    assert settle_all(Settler(0.15, 2.0), events) == [(0.18, DOC)]


def test_vims_backup_rename_and_write_probe() -> None:
    events = [
        (0.0, Change("created", f"{FOLDER}/4913")),
        (0.001, Change("deleted", f"{FOLDER}/4913")),
        (0.002, Change("moved", DOC, f"{DOC}~")),  # the document is gone for a moment
        (0.01, Change("created", DOC)),
        (0.02, Change("modified", DOC)),
        (0.03, Change("closed", DOC)),
        (0.04, Change("deleted", f"{DOC}~")),
    ]
    assert settle_all(Settler(0.15, 2.0), events) == [(0.18, DOC)]


def test_gedits_output_stream_is_renamed_over_the_document() -> None:
    stream = f"{FOLDER}/.goutputstream-Q1W2E3"
    events = [(0.0, Change("created", stream)), (0.02, Change("moved", stream, DOC))]
    assert settle_all(Settler(0.15, 2.0), events) == [(0.17, DOC)]


def test_reads_and_folder_modifications_are_not_changes() -> None:
    settler = Settler(0.15, 2.0)
    settler.feed(Change("opened", DOC), 0.0)
    settler.feed(Change("closed_no_write", DOC), 0.0)
    settler.feed(Change("modified", FOLDER, directory=True), 0.0)
    assert settler.idle


def test_a_client_is_quiet_only_after_the_quiet_period_since_any_activity_in_its_folder() -> None:
    settler = Settler(0.15, 1.0)
    settler.feed(Change("modified", DOC), 0.0)
    assert settler.settled(0.2) == [DOC]
    settler.feed(Change("modified", f"{FOLDER}/.plan.yaml.swp"), 0.5)  # still editing
    assert settler.quiet_clients(1.2) == []
    assert settler.quiet_clients(1.5) == ["C-7K2M9Q"]
    assert settler.quiet_clients(9.0) == []  # once per quiet period


def test_a_client_with_an_unsettled_document_is_not_quiet() -> None:
    settler = Settler(0.15, 0.3)
    settler.feed(Change("modified", DOC), 0.0)
    settler.touch(DOC, 0.29)  # read while it was being written: it must settle again
    assert settler.quiet_clients(0.35) == []
    assert settler.settled(0.45) == [DOC]
    assert settler.quiet_clients(0.6) == ["C-7K2M9Q"]


def test_folder_events_ask_for_a_rescan() -> None:
    settler = Settler(0.15, 2.0)
    settler.feed(Change("moved", FOLDER, "clients/C-AAAAAA", directory=True), 1.0)
    assert not settler.rescan_due(1.1)
    assert settler.rescan_due(1.2)
    assert not settler.rescan_due(1.3)


def test_next_due_says_how_long_the_loop_may_sleep() -> None:
    settler = Settler(0.15, 2.0)
    assert settler.next_due() is None
    settler.feed(Change("modified", DOC), 10.0)
    assert settler.next_due() == pytest.approx(10.15)
    settler.settled(10.2)
    assert settler.next_due() == pytest.approx(12.0)


def test_a_quiet_period_shorter_than_the_settle_delay_shortens_it() -> None:
    assert Settler(settle=0.15, quiet=0.05).settle == 0.05


class _NoWatchesLeft:
    """An inotify observer on a machine whose watch limit is used up."""

    def schedule(self, *args: object, **kwargs: object) -> None:
        pass

    def start(self) -> None:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    def stop(self) -> None:
        pass


def test_the_inotify_watch_limit_falls_back_to_polling_and_says_what_to_raise(tmp_path: Path) -> None:
    changes: queue.SimpleQueue[Change] = queue.SimpleQueue()
    observing = start_observer(tmp_path, changes.put, make_observer=_NoWatchesLeft)
    try:
        assert observing.polling
        assert observing.fallback is not None
        assert "fs.inotify.max_user_watches" in observing.fallback
        assert "sudo sysctl fs.inotify.max_user_watches=" in observing.fallback
        doc = tmp_path / DOC
        doc.parent.mkdir(parents=True)
        doc.write_text("form: core.plan\n")
        assert _next_change_for(changes, DOC).path == DOC  # polling does see it
    finally:
        observing.stop()


def test_inotify_reports_changes_as_repository_paths(tmp_path: Path) -> None:
    (tmp_path / FOLDER).mkdir(parents=True)
    changes: queue.SimpleQueue[Change] = queue.SimpleQueue()
    observing = start_observer(tmp_path, changes.put)
    try:
        assert not observing.polling
        temp = tmp_path / FOLDER / ".plan.yaml.tmp"
        temp.write_text("form: core.plan\n")
        temp.rename(tmp_path / DOC)
        moved = _next_change_for(changes, DOC)
        assert (moved.kind, moved.path, moved.dest) == ("moved", f"{FOLDER}/.plan.yaml.tmp", DOC)
    finally:
        observing.stop()


def _next_change_for(changes: queue.SimpleQueue[Change], rel: str, timeout: float = 3.0) -> Change:
    while True:
        change = changes.get(timeout=timeout)
        if rel in (change.path, change.dest):
            return change


def test_a_tree_with_more_folders_than_the_watch_limit_is_not_even_tried(tmp_path: Path) -> None:
    from caseflow.watch.settler import _too_many_folders

    for client in ("C-AAAAAA", "C-BBBBBB"):
        (tmp_path / "clients" / client / "visits").mkdir(parents=True)
    limit = tmp_path / "max_user_watches"
    limit.write_text("3\n")
    message = _too_many_folders(tmp_path / "clients", str(limit))
    assert message is not None and "sudo sysctl fs.inotify.max_user_watches=" in message
    limit.write_text("8192\n")
    assert _too_many_folders(tmp_path / "clients", str(limit)) is None


@pytest.mark.parametrize(
    "name",
    ["plan.yaml___jb_tmp___", "plan.yaml___jb_old___", ".plan.yaml.kate-swp", "plan.yaml~", ".#plan.yaml", "4913"],
)
def test_editors_save_files_are_known_as_such(name: str) -> None:
    """A missing document with one of these beside it is being saved, not deleted."""
    assert is_editor_temp(name)
    assert not is_document(f"{FOLDER}/{name}")


def test_a_resident_index_that_cannot_watch_so_many_folders_says_so_and_how_to_raise_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caseflow.resident.server import _why_unwatched
    from caseflow.watch import settler

    for n in range(5):
        (tmp_path / "clients" / f"C-00000{n}" / "visits").mkdir(parents=True)
    limit = tmp_path / "max_user_watches"
    limit.write_text("8\n")
    monkeypatch.setattr(settler, "WATCH_LIMIT_FILE", str(limit))
    assert settler.observe_repository(tmp_path, lambda path: None, whole=True) is None
    why = _why_unwatched(tmp_path)
    assert "more than the 8 inotify watches" in why and "sudo sysctl fs.inotify.max_user_watches=524288" in why
    limit.write_text("100000\n")
    assert "not available" in _why_unwatched(tmp_path)  # (enough watches: something else stopped it)
