"""The access record: appended, chained, and any edit, removal or reordering detected."""

from __future__ import annotations

from pathlib import Path

from caseflow.core.access_record import ACCESS_LOG, entries, record, verify


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
    import pytest

    from caseflow.errors import CaseflowError

    with pytest.raises(CaseflowError, match="damaged at its last line"):
        record(tmp_path, who="casey", action="referral packet", what="R-4", clients=["C-7K2M9Q"])
