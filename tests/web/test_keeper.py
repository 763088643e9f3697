"""The server's kept snapshot: whatever changes the files (a hand edit, plain git, a page's own
write) shows on the next page, and an unchanged tree is not read again."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.repo import CaseRepo
from caseflow.resident.keeper import SnapshotKeeper
from caseflow.watch.settler import observe_repository
from caseflow.web.startup import warm_up
from tests.web.conftest import Browser

CLIENT = "C-4HX8TB"


@pytest.fixture
def kept(web) -> tuple[Browser, SnapshotKeeper]:  # type: ignore[no-untyped-def]
    browser: Browser = web("sam")
    keeper = SnapshotKeeper()
    observing = observe_repository(browser.root, keeper.changed)
    if observing is None:
        pytest.skip("inotify is not available here: the server reads afresh per request")
    browser.client.app.state.web.keeper = keeper
    yield browser, keeper
    observing.stop()


def eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_an_unchanged_tree_is_not_read_again(kept) -> None:  # type: ignore[no-untyped-def]
    browser, keeper = kept
    browser.get("/caseload")
    taken = (keeper.full_refreshes, keeper.partial_refreshes, keeper.generation)
    for _ in range(3):
        assert browser.get("/caseload").status_code == 200
        assert browser.get("/").status_code == 200
    assert (keeper.full_refreshes, keeper.partial_refreshes, keeper.generation) == taken


def test_a_hand_edit_in_a_client_folder_shows_on_the_next_page(kept) -> None:  # type: ignore[no-untyped-def]
    browser, keeper = kept
    assert "risk" in browser.get("/caseload?stage=planning").text
    record = browser.root / "clients" / CLIENT / "client.yaml"
    record.write_text(record.read_text().replace("stage: planning", "stage: intake"))

    def moved() -> bool:
        page = browser.get("/caseload?stage=intake").text
        return CLIENT in page

    assert eventually(moved)
    assert keeper.partial_refreshes >= 1


def test_a_commit_by_plain_git_shows_on_the_next_page(kept) -> None:  # type: ignore[no-untyped-def]
    browser, keeper = kept
    browser.get("/caseload")
    full = keeper.full_refreshes
    other = browser.root / "clients" / CLIENT / "client.yaml"
    # Change the file and commit it in one go, as a pull would: the refs move, the client is taken again.
    other.write_text(other.read_text().replace("stage: planning", "stage: intake"))
    git(browser.root, "-c", "user.name=Test", "-c", "user.email=t@example.org", "commit", "-qam", "by hand")
    assert eventually(lambda: CLIENT in browser.get("/caseload?stage=intake").text)
    assert keeper.full_refreshes == full  # only that client's folder was taken again


def test_the_settings_changing_takes_everything_again(kept) -> None:  # type: ignore[no-untyped-def]
    browser, keeper = kept
    browser.get("/caseload")
    full = keeper.full_refreshes
    settings = browser.root / "caseflow.yaml"
    settings.write_bytes(settings.read_bytes() + b"\n")
    assert eventually(lambda: browser.get("/caseload").status_code == 200 and keeper.full_refreshes > full)


def test_a_pages_own_write_shows_at_once(kept) -> None:  # type: ignore[no-untyped-def]
    browser, _keeper = kept
    before = browser.get("/caseload?stage=intake").text.count("/clients/C-")
    browser.get("/intake")
    made = browser.post("/intake", {"name": "Wren Example", "dob": "1992-03-04", "worker": "casey"})
    assert made.status_code == 303
    # No waiting for the watcher: the very next page counts the new client.
    assert browser.get("/caseload?stage=intake").text.count("/clients/C-") == before + 1


def settle(keeper: SnapshotKeeper, state) -> bool:  # type: ignore[no-untyped-def]
    """What the server does once its watcher runs: take the tree whole again, keep what is kept."""
    with state.repo() as repo:
        return keeper.confirm(repo, lambda: CaseRepo.snapshot(repo))


def test_the_first_page_is_computed_before_it_is_asked_for(web) -> None:  # type: ignore[no-untyped-def]
    browser: Browser = web("sam")
    state = browser.client.app.state.web
    keeper = state.keeper = SnapshotKeeper()
    warm_up(state)
    taken = (keeper.full_refreshes, keeper.generation)
    assert taken == (1, 1)
    assert browser.get("/").status_code == 200
    assert (keeper.full_refreshes, keeper.generation) == taken  # the page used what was computed
    assert settle(keeper, state) is True  # nothing changed meanwhile: kept, results and all
    assert keeper.generation == taken[1]


def test_a_change_before_the_watcher_runs_shows_once_it_does(web) -> None:  # type: ignore[no-untyped-def]
    browser: Browser = web("sam")
    state = browser.client.app.state.web
    keeper = state.keeper = SnapshotKeeper()
    warm_up(state)
    assert CLIENT not in browser.get("/caseload?stage=intake").text
    record = browser.root / "clients" / CLIENT / "client.yaml"
    record.write_text(record.read_text().replace("stage: planning", "stage: intake"))  # nobody watches yet
    assert settle(keeper, state) is False
    assert CLIENT in browser.get("/caseload?stage=intake").text


def test_the_settings_changing_before_the_watcher_runs_shows_once_it_does(web) -> None:  # type: ignore[no-untyped-def]
    browser: Browser = web("sam")
    state = browser.client.app.state.web
    keeper = state.keeper = SnapshotKeeper()
    warm_up(state)
    generation = keeper.generation
    settings = browser.root / "caseflow.yaml"
    settings.write_bytes(settings.read_bytes() + b"\n# changed by hand\n")
    assert settle(keeper, state) is False
    assert keeper.generation == generation + 1


def test_after_caseflow_own_write_the_clients_it_touched_are_known_without_asking_git(
    kept, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """(Its write notes say which clients a commit of its own touched: no tree diff; and the
    answers are of the commit the keeper saw.)"""
    from caseflow.repo import open_repo
    from caseflow.resident import keeper as keeper_module

    browser, keeper = kept
    assert "risk" in browser.get("/caseload?stage=planning").text
    diffed: list[tuple[str, str]] = []
    monkeypatch.setattr(keeper_module, "_clients_between", lambda repo, old, new: diffed.append((old, new)) or set())
    taken = (keeper.generation, keeper.full_refreshes)
    cases = open_repo(browser.root, environ={})
    cases.records.set_fields(cases.actor("casey"), CLIENT, "client.yaml", ["phone=555-0142"])
    assert eventually(lambda: browser.get("/caseload").status_code == 200 and keeper.generation > taken[0])
    assert keeper.full_refreshes == taken[1] and diffed == []  # (that client's folder taken again, no git diff)
    head = subprocess.run(["git", "-C", str(browser.root), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert keeper.head == head.stdout.strip()
