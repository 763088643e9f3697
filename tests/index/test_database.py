"""The case index: parsed documents by blob id (same answers as parsing), private, disposable; and the
caseload read through it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from caseflow.core.documents import load_plain
from caseflow.errors import DocumentError
from caseflow.index import database as index
from caseflow.index.database import APPLICATION_ID, FORMAT_VERSION, INDEX_FILE, CaseIndex

VISIT = b"---\nform: core.visit\nclient: C-7K2M9Q\ndate: 2026-01-05\ntype: phone\n---\nCalled.\n"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every real parse the cache makes (the cache's own call of load_plain, counted)."""
    seen: list[str] = []

    def counting(path: str, raw: bytes) -> tuple[dict[str, object], str]:
        seen.append(path)
        return load_plain(path, raw)

    monkeypatch.setattr(index, "load_plain", counting)
    return seen


def test_a_document_is_parsed_once_across_processes(tmp_path: Path, parses: list[str]) -> None:
    first = CaseIndex(tmp_path)
    assert first.parse("v.md", VISIT) == load_plain("v.md", VISIT)
    first.close()
    second = CaseIndex(tmp_path)
    data, body = second.parse("elsewhere/v.md", VISIT)  # same bytes, same blob, any path
    assert (data["type"], body) == ("phone", "Called.\n") and parses == ["v.md"]
    data["type"] = "changed"  # a caller's change never reaches the cache
    assert second.parse("v.md", VISIT)[0]["type"] == "phone"
    assert (tmp_path / INDEX_FILE).stat().st_mode & 0o777 == 0o600


def test_bad_documents_are_never_cached(tmp_path: Path, parses: list[str]) -> None:
    cache = CaseIndex(tmp_path)
    for _ in range(2):
        with pytest.raises(DocumentError):
            cache.parse("bad.yaml", b"a: [unclosed\n")
    assert parses == ["bad.yaml", "bad.yaml"]


def test_deleting_or_damaging_the_cache_only_costs_a_reparse(tmp_path: Path, parses: list[str]) -> None:
    cache = CaseIndex(tmp_path)
    cache.parse("v.md", VISIT)
    cache.close()
    (tmp_path / INDEX_FILE).write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp_path / INDEX_FILE}{suffix}").unlink(missing_ok=True)
    assert CaseIndex(tmp_path).parse("v.md", VISIT)[0]["date"] == "2026-01-05"
    (tmp_path / INDEX_FILE).unlink()
    assert CaseIndex(tmp_path).parse("v.md", VISIT)[1] == "Called.\n"
    assert parses == ["v.md", "v.md", "v.md"]


def test_another_parsing_policy_starts_afresh(
    tmp_path: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = CaseIndex(tmp_path)
    cache.parse("v.md", VISIT)
    cache.close()
    monkeypatch.setattr(index, "POLICY_VERSION", "plain-test")
    CaseIndex(tmp_path).parse("v.md", VISIT)
    assert parses == ["v.md", "v.md"]
    rows = sqlite3.connect(tmp_path / INDEX_FILE).execute("SELECT value FROM meta WHERE key = 'policy'").fetchall()
    assert rows == [("plain-test",)]


def test_the_same_bytes_as_markdown_and_as_yaml_are_different_documents(tmp_path: Path) -> None:
    cache = CaseIndex(tmp_path)
    assert cache.parse("v.md", VISIT)[0]["type"] == "phone"
    with pytest.raises(DocumentError):
        cache.parse("v.yaml", VISIT)  # "---" twice is two YAML documents: refused, as without a cache


def _tables(root: Path) -> tuple[int, int, set[str]]:
    db = sqlite3.connect(root / INDEX_FILE)
    try:
        (application_id,) = db.execute("PRAGMA application_id").fetchone()
        (version,) = db.execute("PRAGMA user_version").fetchone()
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        db.close()
    return application_id, version, tables


LAYOUT = (APPLICATION_ID, FORMAT_VERSION, {"meta", "docs", "stats", "checks", "memos", "bundles"})


def test_a_damaged_file_is_replaced_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / ".caseflow").mkdir()
    (tmp_path / INDEX_FILE).write_bytes(b"\x00garbage" * 500)
    heard: list[str] = []
    cache = CaseIndex(tmp_path, warn=heard.append)
    assert cache.parse("v.md", VISIT)[0]["type"] == "phone"
    cache.close()
    assert heard == [f"{INDEX_FILE} is damaged; rebuilding it (nothing is lost: it only repeats the documents)"]
    assert _tables(tmp_path) == LAYOUT
    assert (tmp_path / INDEX_FILE).stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("kind", ["other tables", "other application"])
def test_another_programs_database_is_replaced_with_a_warning(tmp_path: Path, kind: str) -> None:
    (tmp_path / ".caseflow").mkdir()
    db = sqlite3.connect(tmp_path / INDEX_FILE)
    with db:
        if kind == "other tables":
            db.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
        else:
            db.execute("PRAGMA application_id = 42")
            db.execute("CREATE TABLE docs (key TEXT PRIMARY KEY, form TEXT, data TEXT NOT NULL)")
            db.execute("INSERT INTO docs VALUES ('md:x', NULL, '[{}, \"\"]')")
    db.close()
    heard: list[str] = []
    cache = CaseIndex(tmp_path, warn=heard.append)
    assert cache.known() == set()
    cache.parse("v.md", VISIT)
    cache.close()
    assert heard == [
        f"{INDEX_FILE} is not caseflow's index (another program's database); rebuilding it"
        " (nothing is lost: it only repeats the documents)"
    ]
    assert _tables(tmp_path) == LAYOUT
    assert len(CaseIndex(tmp_path).known()) == 1


def test_an_older_layout_starts_afresh_without_a_warning(tmp_path: Path) -> None:
    """An earlier caseflow's file (no application id yet, only meta and docs) is caseflow's own."""
    (tmp_path / ".caseflow").mkdir()
    db = sqlite3.connect(tmp_path / INDEX_FILE)
    with db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("CREATE TABLE docs (key TEXT PRIMARY KEY, data TEXT NOT NULL)")
        db.execute("INSERT INTO docs VALUES ('md:old', '[{}, \"\"]')")
        db.execute("PRAGMA user_version = 1")
    db.close()
    heard: list[str] = []
    cache = CaseIndex(tmp_path, warn=heard.append)
    assert cache.known() == set()
    cache.close()
    assert heard == [] and _tables(tmp_path) == LAYOUT


def test_another_fingerprint_drops_derived_results_but_keeps_documents(tmp_path: Path) -> None:
    cache = CaseIndex(tmp_path)
    cache.parse("v.md", VISIT)
    cache.flush()
    cache.bind("plugins-v1")
    cache.put_checks([("check-1", [["v.md", 1, 1, "a problem"]])])
    cache.put_memos("validate", [("C-7K2M9Q", "digest-1", [["v.md", 1, 1, "a problem"]])])
    cache.bind("plugins-v1")  # the same fingerprint: nothing is dropped
    assert cache.checks(["check-1"]) == {"check-1": [["v.md", 1, 1, "a problem"]]}
    assert cache.memos("validate") == {"C-7K2M9Q": ("digest-1", [["v.md", 1, 1, "a problem"]])}
    cache.close()
    again = CaseIndex(tmp_path)
    again.bind("plugins-v2")
    assert (again.checks(["check-1"]), again.memos("validate")) == ({}, {})
    assert len(again.known()) == 1  # parsed data depends on the bytes alone
    assert again.note("fingerprint") == "plugins-v2"


def test_a_read_only_index_writes_nothing(tmp_path: Path) -> None:
    """What a worker process has: it computes, the parent stores."""
    cache = CaseIndex(tmp_path)
    cache.read_only = True
    cache.parse("v.md", VISIT)
    cache.flush()
    cache.bind("fingerprint")
    cache.put_checks([("check-1", [])])
    cache.put_memos("row", [("C-7K2M9Q", "digest", {"id": "C-7K2M9Q"})])
    cache.put_stats({"clients/C-7K2M9Q/v.md": ("1:2:3:4", "abc")})
    cache.set_note("parsed-listing", "x")
    cache.close()
    reader = CaseIndex(tmp_path)
    assert (reader.known(), reader.checks(["check-1"]), reader.memos("row"), reader.stats()) == (set(), {}, {}, {})
    assert reader.note("parsed-listing") is None and reader.note("fingerprint") is None


@pytest.mark.parametrize(("live_count", "stale", "dropped"), [(200, 5, 0), (20, 1000, 1000)])
def test_prune_keeps_a_few_old_versions_and_drops_many(
    tmp_path: Path, live_count: int, stale: int, dropped: int
) -> None:
    cache = CaseIndex(tmp_path)
    live = {f"yaml:live{i}" for i in range(live_count)}
    for key in [*sorted(live), *(f"yaml:old{i}" for i in range(stale))]:
        cache.remember(key, ({"form": "core.visit"}, ""))
    cache.flush()
    asked: list[int] = []
    assert cache.prune(lambda: asked.append(1) or live, about=len(live)) == dropped
    assert asked == ([1] if dropped else [])  # the live keys are listed only when it prunes
    assert len(cache.known()) == live_count + stale - dropped and live <= cache.known()


def test_an_index_from_before_bundles_gains_the_table_and_keeps_what_it_parsed(
    tmp_path: Path, parses: list[str]
) -> None:
    first = CaseIndex(tmp_path)
    first.parse("v.md", VISIT)
    first.close()
    with sqlite3.connect(tmp_path / INDEX_FILE) as db:
        db.execute("DROP TABLE bundles")  # as caseflow wrote layout 3 before it kept whole sets
    again = CaseIndex(tmp_path)
    again.parse("v.md", VISIT)
    again.put_bundle("due/2", "key", {"C-7K2M9Q": "d1"}, {"C-7K2M9Q": {"items": []}})
    assert again.bundle("due/2", "key") == {"C-7K2M9Q": {"items": []}}
    again.close()
    assert parses == ["v.md"] and _tables(tmp_path) == LAYOUT


def test_a_few_whole_sets_are_kept_per_kind_the_latest(tmp_path: Path) -> None:
    cache = CaseIndex(tmp_path)
    for n in range(6):
        cache.put_bundle("due/2", f"key{n}", {"C-7K2M9Q": f"d{n}"}, {"C-7K2M9Q": n})
    cache.put_bundle("clients", "other", {"C-7K2M9Q": "d"}, {"C-7K2M9Q": "kept"})
    assert [cache.bundle("due/2", f"key{n}") for n in range(6)] == [
        None,
        None,
        {"C-7K2M9Q": 2},
        {"C-7K2M9Q": 3},
        {"C-7K2M9Q": 4},
        {"C-7K2M9Q": 5},
    ]
    assert cache.bundle("clients", "other") == {"C-7K2M9Q": "kept"}
    assert cache.latest_bundle("due/2") == ({"C-7K2M9Q": "d5"}, {"C-7K2M9Q": 5})
    cache.put_bundle("due/2", "key3", {"C-7K2M9Q": "d3"}, {"C-7K2M9Q": 3})  # kept again: the latest now
    assert cache.latest_bundle("due/2") == ({"C-7K2M9Q": "d3"}, {"C-7K2M9Q": 3})
    cache.update_memos("due/2", [])  # a stored result changed in place: no whole set holds it any more
    assert cache.bundle("due/2", "key5") is None and cache.latest_bundle("due/2") is None
    cache.bind("another fingerprint")
    assert cache.bundle("clients", "other") is None
