"""The index forgets what no document holds any more, and a warm read parses nothing."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from caseflow import open_repo
from caseflow.index import caseload
from caseflow.index import database as index_module
from caseflow.index.database import INDEX_FILE
from caseflow.repo import CaseRepo, open_parts
from caseflow.testing import git


def count(path: Path, table: str) -> int:
    with sqlite3.connect(path / INDEX_FILE) as db:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_deleted_documents_are_pruned_with_their_problems_and_results(agency: Path) -> None:
    repo = open_repo(agency, environ={"CASEFLOW_USER": "casey"})
    repo.validate()
    repo.clients()
    documents = count(agency, "docs")
    assert documents == len(repo.snapshot().files) and count(agency, "checks") == documents
    keep = sorted((agency / "clients").iterdir())[0]
    for folder in (agency / "clients").iterdir():
        if folder != keep:
            shutil.rmtree(folder)
    git(agency, "add", "-A")
    git(agency, "commit", "-q", "-m", "three clients leave")
    repo = open_repo(agency, environ={"CASEFLOW_USER": "casey"})
    assert [row["id"] for row in repo.clients()] == [keep.name]
    remaining = len(repo.snapshot().files)
    assert remaining < documents
    assert count(agency, "docs") == remaining
    assert count(agency, "checks") <= remaining
    with sqlite3.connect(agency / INDEX_FILE) as db:
        assert {c for (c,) in db.execute("SELECT DISTINCT client FROM memos")} == {keep.name}


def test_a_warm_read_parses_nothing_and_an_edit_parses_one_document(
    agency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_repo(agency, environ={}).validate()
    parsed: list[str] = []
    for module in (caseload, index_module):  # the bulk pass, and single documents
        real = module.load_plain
        monkeypatch.setattr(module, "load_plain", lambda path, raw, real=real: parsed.append(path) or real(path, raw))
    repo = open_repo(agency, environ={})
    assert repo.validate().ok and repo.clients()
    assert parsed == []
    plan = sorted((agency / "clients").glob("*/plan.yaml"))[0]
    plan.write_text(plan.read_text() + "# reviewed\n")
    repo = open_repo(agency, environ={})
    assert repo.validate().ok and repo.clients()
    assert parsed == [str(plan.relative_to(agency))]


def test_a_whole_caseloads_results_kept_as_one_answer_as_per_client_results_do(
    agency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caseload, "BUNDLE_FROM", 1)  # (from 200 clients in use; the demo has 4)
    decoded: list[str] = []
    real = index_module.CaseIndex.memos
    monkeypatch.setattr(index_module.CaseIndex, "memos", lambda self, kind: decoded.append(kind) or real(self, kind))

    def rows() -> list[dict[str, object]]:
        return open_repo(agency, environ={"CASEFLOW_USER": "sam"}).clients()

    first = rows()
    assert decoded == ["row"]
    assert rows() == first and decoded == ["row"]  # the whole set, in one piece: no client's decoded
    record = sorted((agency / "clients").glob("*/client.yaml"))[0]
    record.write_text(re.sub(r"^stage: .*$", "stage: discharged", record.read_text(), count=1, flags=re.M))
    after = rows()
    assert decoded == ["row"]  # after a change: the last whole set for the others, this one computed
    assert after != first and [r["stage"] for r in after if r["id"] == record.parent.name] == ["discharged"]
    monkeypatch.setattr(caseload, "BUNDLE_FROM", 10**9)
    assert rows() == after  # the same as per-client results say


def test_after_a_commit_only_the_changed_clients_documents_are_looked_up(
    agency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_repo(agency, environ={}).validate()
    open_repo(agency, environ={}).validate()  # (the staged listing kept, the parsed listing noted)
    asked: list[str] = []
    real_known, real_known_of = index_module.CaseIndex.known, index_module.CaseIndex.known_of
    monkeypatch.setattr(index_module.CaseIndex, "known", lambda self: asked.append("all") or real_known(self))
    monkeypatch.setattr(
        index_module.CaseIndex, "known_of", lambda self, keys: asked.append("some") or real_known_of(self, keys)
    )
    plan = sorted((agency / "clients").glob("*/plan.yaml"))[0]
    plan.write_text(plan.read_text() + "# reviewed\n")
    git(agency, "commit", "-q", "-am", "plan reviewed")
    repo = open_repo(agency, environ={})
    assert repo.validate().ok
    assert asked == ["some"]
    assert any(f.path == str(plan.relative_to(agency)) for f in repo.snapshot().files)


def test_a_long_running_process_carries_every_clients_result_when_it_computes_a_few(agency: Path) -> None:
    """(As ``caseflow daemon`` does: a due list mended for one client, then the whole caseload's.)"""
    carried: dict[str, object] = {}

    class Carrying(CaseRepo):
        carries = True

        def carried(self, key: str) -> object:
            return carried.get(key)

        def carry(self, key: str, value: object) -> None:
            carried[key] = value

    repo = Carrying(*open_parts(agency, {}, (), None), {})
    snapshot = repo.snapshot()
    ids = repo.client_ids()
    computed: list[str] = []

    def compute(chunk: list[str]) -> list[tuple[str, object]]:
        computed.extend(chunk)
        return [(c, {"n": len(c)}) for c in chunk]

    assert caseload.memoized(repo, "test", snapshot, ids, compute) == {c: {"n": len(c)} for c in ids}
    assert computed == ids
    computed.clear()
    assert caseload.memoized(repo, "test", snapshot, ids[:1], compute) == {ids[0]: {"n": len(ids[0])}}
    assert caseload.memoized(repo, "test", snapshot, ids, compute) == {c: {"n": len(c)} for c in ids}
    assert computed == []  # a few asked for, then all: every one still carried


def test_after_a_change_a_whole_set_is_mended_only_from_one_made_for_the_same_extra(
    agency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(A due list of another day: its clients' documents are the same, their results are not.)"""
    monkeypatch.setattr(caseload, "BUNDLE_FROM", 1)
    computed: list[str] = []

    def compute_for(day: str):  # type: ignore[no-untyped-def]
        def compute(chunk: list[str]) -> list[tuple[str, object]]:
            computed.extend(chunk)
            return [(c, f"{c} on {day}") for c in chunk]

        return compute

    def answer(day: str) -> dict[str, object]:
        repo = open_repo(agency, environ={})
        return caseload.memoized(repo, "test", repo.snapshot(), repo.client_ids(), compute_for(day), extra=[day])

    ids = open_repo(agency, environ={}).client_ids()
    assert answer("monday") == {c: f"{c} on monday" for c in ids}
    record = agency / "clients" / ids[0] / "client.yaml"
    record.write_text(record.read_text() + "\n")  # a change: the whole set is mended, not found
    computed.clear()
    assert answer("monday") == {c: f"{c} on monday" for c in ids}
    assert computed == ids[:1]  # mended from the set made for the same day
    record.write_text(record.read_text() + "\n")
    computed.clear()
    assert answer("tuesday") == {c: f"{c} on tuesday" for c in ids}
    assert sorted(computed) == ids


def test_a_whole_set_mended_for_a_few_clients_is_kept_when_asked_again_not_at_once(
    agency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(The read after a write does not write every client's results: at 10,000 clients, a fifth
    of what it costs more than a warm read. The next read of the same set keeps it.)"""
    from caseflow.index.database import CaseIndex

    monkeypatch.setattr(caseload, "BUNDLE_FROM", 1)
    computed: list[str] = []
    kept: list[str] = []
    real_put = CaseIndex.put_bundle

    def put(self: CaseIndex, kind: str, *args: Any, **kwargs: Any) -> None:
        kept.append(kind)
        real_put(self, kind, *args, **kwargs)

    monkeypatch.setattr(CaseIndex, "put_bundle", put)

    def result(client: str) -> str:
        return f"{client}: {(agency / 'clients' / client / 'client.yaml').stat().st_size}"

    def compute(chunk: list[str]) -> list[tuple[str, object]]:
        computed.extend(chunk)
        return [(c, result(c)) for c in chunk]

    def answered_as_fresh() -> bool:
        repo = open_repo(agency, environ={})
        found = caseload.memoized(repo, "test", repo.snapshot(), repo.client_ids(), compute)
        return found == {c: result(c) for c in repo.client_ids()}

    ids = open_repo(agency, environ={}).client_ids()
    assert answered_as_fresh() and kept == ["test"]  # (none kept before: computed and kept)
    record = agency / "clients" / ids[0] / "client.yaml"
    record.write_text(record.read_text() + "\n")
    computed.clear(), kept.clear()
    assert answered_as_fresh() and computed == ids[:1] and kept == []  # mended for one client, noted only
    computed.clear()
    assert answered_as_fresh() and computed == [] and kept == ["test"]  # asked again: kept (its result stored)
    kept.clear()
    assert answered_as_fresh() and computed == [] and kept == []  # found whole
    monkeypatch.setattr(caseload, "MENDED_UNKEPT", 0)
    record.write_text(record.read_text() + "\n")
    assert answered_as_fresh() and computed == ids[:1] and kept == ["test"]  # (more changed than may go unkept)
