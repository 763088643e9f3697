"""The whole due list the index keeps: the same list as made from each client's results, after any
change (mended from the last one where few clients changed), for every worker, horizon and day."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow import open_repo
from caseflow.agency.demo import example_dir
from caseflow.followup import commands as due_commands
from caseflow.followup import due as due_module
from caseflow.followup.due_rules import Due
from caseflow.index import caseload
from caseflow.index import database as index_module
from caseflow.testing import Result, git

Listed = list[tuple[str, str | None, str, bool, str, str, str]]


def listed(root: Path, today: str, worker: str | None = None, within: int = 14) -> Listed:
    repo = open_repo(root, environ={"CASEFLOW_USER": "sam", "CASEFLOW_TODAY": today})
    return [
        (e.client, e.worker, e.risk, e.flagged, e.item.rule, e.item.due, e.item.reason)
        for e in repo.followup.due(worker=worker, within_days=within)
    ]


def made_afresh(root: Path, monkeypatch: pytest.MonkeyPatch, *args: object) -> Listed:
    """The list as made from each client's results (no whole list kept or read)."""
    with monkeypatch.context() as patched:
        patched.setattr(caseload, "BUNDLE_FROM", 10**9)
        return listed(root, *args)  # type: ignore[arg-type]


def clients(root: Path) -> list[Path]:
    return sorted((root / "clients").iterdir())


def discharge(folder: Path) -> None:
    record = folder / "client.yaml"
    record.write_text(re.sub(r"^stage: .*$", "stage: discharged", record.read_text(), count=1, flags=re.M))


def break_record(folder: Path) -> None:
    (folder / "client.yaml").write_text("stage: [unclosed\n")


def add_client(folder: Path) -> None:
    copy = folder.with_name("C-NEW0001")
    shutil.copytree(folder, copy)
    record = copy / "client.yaml"
    record.write_text(record.read_text().replace(folder.name, copy.name))


CHANGES: dict[str, Callable[[Path], object]] = {
    "discharged": lambda root: discharge(clients(root)[0]),
    "record broken": lambda root: break_record(clients(root)[1]),
    "client removed": lambda root: shutil.rmtree(clients(root)[2]),
    "client added": lambda root: add_client(clients(root)[-1]),
    "committed": lambda root: (git(root, "add", "-A"), git(root, "commit", "-q", "-m", "changes")),
}


@pytest.fixture
def agency(case_repo: Callable[..., Path]) -> Path:
    """The demo agency's four clients (and its own form), committed."""
    path = case_repo()
    shutil.copytree(example_dir() / "clients", path / "clients")
    shutil.copytree(example_dir() / "forms", path / "forms")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "clients")
    return path


@pytest.fixture
def whole_lists(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Whole lists from one client (200 in use; the demo has 4); which way each answer came."""
    monkeypatch.setattr(caseload, "BUNDLE_FROM", 1)
    ways: list[str] = []
    real_mended, real_rows_of = due_module._mended, due_module._rows_of

    def mended(*args, **kwargs):  # type: ignore[no-untyped-def]
        found = real_mended(*args, **kwargs)
        ways.append("mended" if found is not None else "made")
        return found

    monkeypatch.setattr(due_module, "_mended", mended)
    monkeypatch.setattr(due_module, "_rows_of", real_rows_of)
    return ways


def test_a_kept_list_is_read_whole_and_mended_after_each_change(
    agency: Path, monkeypatch: pytest.MonkeyPatch, whole_lists: list[str]
) -> None:
    today = "2026-11-20"
    first = listed(agency, today)
    assert whole_lists == ["made"] and first == made_afresh(agency, monkeypatch, today)
    decoded: list[str] = []
    real = index_module.CaseIndex.memos
    monkeypatch.setattr(index_module.CaseIndex, "memos", lambda self, kind: decoded.append(kind) or real(self, kind))
    assert listed(agency, today) == first
    assert whole_lists == ["made"] and decoded == []  # read whole: nothing made, no client's result decoded
    for name, change in CHANGES.items():
        whole_lists.clear()
        change(agency)
        after = listed(agency, today)
        assert whole_lists == ["mended"], name
        assert after == made_afresh(agency, monkeypatch, today), name
    assert listed(agency, today) != first


VARIANTS = [(None, 0, "2026-11-20"), ("robin", 14, "2026-11-20"), (None, 14, "2026-12-20"), (None, 400, "2026-11-20")]


@pytest.mark.parametrize(("worker", "within", "today"), VARIANTS)
def test_each_worker_horizon_and_day_has_its_own_list(
    agency: Path, monkeypatch: pytest.MonkeyPatch, whole_lists: list[str], worker: str | None, within: int, today: str
) -> None:
    listed(agency, "2026-11-20")  # the usual list, kept
    whole_lists.clear()
    assert listed(agency, today, worker, within) == made_afresh(agency, monkeypatch, today, worker, within)
    assert whole_lists == ["made"]  # not mended from another's


def test_many_changed_clients_make_the_list_again(
    agency: Path, monkeypatch: pytest.MonkeyPatch, whole_lists: list[str]
) -> None:
    monkeypatch.setattr(due_module, "_MEND_AT_MOST", 1)
    listed(agency, "2026-11-20")
    discharge(clients(agency)[0])
    break_record(clients(agency)[1])
    whole_lists.clear()
    assert listed(agency, "2026-11-20") == made_afresh(agency, monkeypatch, "2026-11-20")
    assert whole_lists == ["made"]


def test_lists_of_many_days_do_not_pile_up(agency: Path, whole_lists: list[str]) -> None:
    for day in range(1, 29):
        listed(agency, f"2026-11-{day:02}")
    kept = index_module.CaseIndex(agency)._query("SELECT kind FROM bundles WHERE kind LIKE 'due-list/%'")
    assert 0 < len(kept) <= 2 * index_module._BUNDLES_KEPT


def test_the_due_table_is_kept_with_the_list_and_follows_each_change(
    agency: Path, monkeypatch: pytest.MonkeyPatch, whole_lists: list[str], invoke_caseflow: Callable[..., Result]
) -> None:
    tables: list[int] = []
    real_table = due_commands._due_table
    monkeypatch.setattr(
        due_commands, "_due_table", lambda entries, colour: tables.append(len(entries)) or real_table(entries, colour)
    )

    def printed(*args: str) -> str:
        done = invoke_caseflow("--repo", agency, "--as", "sam", "due", "--all", *args, today="2026-11-20")
        done.assert_success()
        return done.stdout

    def printed_afresh() -> str:  # (no list kept: the table made from each client's results)
        with monkeypatch.context() as patched:
            patched.setattr(caseload, "BUNDLE_FROM", 10**9)
            return printed()

    first = printed()
    assert tables == [len(first.splitlines()) - 1] and first == printed_afresh()
    tables.clear()
    assert printed() == first and tables == []  # written out as kept: no entry made
    assert printed("--within", "400") != first and len(tables) == 1  # another list, another table
    for name, change in CHANGES.items():
        tables.clear()
        change(agency)
        after = printed()
        assert len(tables) == 1, name
        assert after == printed_afresh(), name
    assert first != printed()


def test_a_households_items_name_the_kept_list_too(agency: Path, whole_lists: list[str]) -> None:
    repo = open_repo(agency, environ={"CASEFLOW_USER": "sam", "CASEFLOW_TODAY": "2026-11-20"})
    listing = repo.followup.due_listing()
    household = due_module.DueEntry(
        "H-AAAA0001", "sam", "low", False, Due("family-contact", "family contact", "2026-11-19"), repo.today()
    )
    later = household._replace(item=dataclasses.replace(household.item, due="2026-11-25"))
    joined, moved = listing.joined([household]), listing.joined([later])
    assert listing.joined([]) is listing
    assert len({listing.key, joined.key, moved.key}) == 3 and None not in {joined.key, moved.key}
    assert joined.entries == sorted([*listing.entries, household], key=due_module.due_order)
    assert household in joined.entries and later in moved.entries
