"""The case index: parsed documents by blob id (same answers as parsing), private, disposable; and the caseload read through it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from caseflow.core import index
from caseflow.core.index import INDEX_FILE, CaseIndex
from caseflow.core.documents import load_plain
from caseflow.errors import DocumentError

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
