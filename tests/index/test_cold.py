"""A cold index (nothing indexed yet): what it stores, that it stores it as it goes, and its progress.

The index built from nothing must hold for every document exactly what the loaders' reference,
the round-trip loader, reads from its bytes, and the problems checking it again finds, whatever
the document (plain, unusual YAML the fast loader leaves to the round trip, broken); and it must
be written a chunk at a time, so that a caseload of any size is indexed in bounded memory.
"""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.core import parallel
from caseflow.core.case import blob_id
from caseflow.core.documents import load_document
from caseflow.errors import DocumentError
from caseflow.index import caseload as indexing
from caseflow.index.cold_progress import terminal_progress
from caseflow.index.database import INDEX_FILE, as_rows, check_key, document_key
from caseflow.repo import open_repo
from caseflow.testing import Result, git
from tests.index.test_scale import ENV, caseload, documents_under

#: Documents that take every road through the loaders, each with what it is written to exercise.
VARIED = {
    "plan.yaml": "form: core.plan\nclient: {client}\ngoals: [{{id: g1, text: sleep}}]\nreview_date: 2026-12-01\n",
    "consents/duplicate.yaml": "form: core.consent\nclient: {client}\nclient: {client}\n",  # a repeated key
    "consents/anchors.yaml": "form: core.consent\nclient: &c {client}\nkind: *c\n",  # aliases: refused
    "consents/numbers.yaml": "form: core.consent\n1: one\n",  # a key that is not text: refused
    "consents/tabbed.yaml": "form: core.consent\nclient:\t{client}\n",  # a tab: the round trip decides
    "consents/typed.yaml": "form: core.consent\nclient: {client}\nyes: no\nnull_value: ~\ncount: 0x1F\nratio: .5\n",
    "consents/broken.yaml": "form: core.consent\nclient: [unclosed\n",
    "visits/2026-11-01-phone.md": "---\nform: core.visit\nclient: {client}\ndate: 2026-11-01\ntype: phone\n"
    "author: casey\nminutes: 20\nfollow_up: false\n---\nCalled; no answer.\n",
    "visits/2026-11-02-phone.md": "no front matter at all\n",
}


@pytest.fixture
def varied(tmp_path: Path) -> Path:
    """A small synthetic caseload, one client's folder rewritten with :data:`VARIED`, committed."""
    path = caseload(tmp_path / "repo", 8)
    client = sorted(p.name for p in (path / "clients").iterdir())[3]
    for name, text in VARIED.items():
        target = path / "clients" / client / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text.format(client=client))
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "varied documents")
    return path


def test_a_cold_index_holds_what_the_round_trip_loader_reads_and_checking_again_finds(
    varied: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    rebuilt = json.loads(
        invoke_caseflow("--repo", varied, "index", "--rebuild", "--json", env=ENV).assert_success().stdout
    )
    documents = documents_under(varied)
    assert rebuilt["documents"] == len(documents)
    verified = invoke_caseflow("--repo", varied, "index", "--verify", "--json", env=ENV).assert_success()
    assert json.loads(verified.stdout)["ok"] is True

    repo = open_repo(varied, environ=ENV)
    with sqlite3.connect(varied / INDEX_FILE) as db:
        stored = {key: json.loads(text) for key, text in db.execute("SELECT key, data FROM docs")}
        checks = {key: json.loads(text) for key, text in db.execute("SELECT key, problems FROM checks")}
    db.close()
    refused = []
    for path in documents:
        raw = (varied / path).read_bytes()
        key = document_key(path, blob_id(raw))
        try:
            document = load_document(path, raw)
        except DocumentError:
            refused.append(path.rsplit("/", 1)[-1])
            assert key not in stored, path  # a refused document is never kept
            continue
        assert stored[key] == [document.plain(), document.body], path
        client = path.split("/")[1]
        assert checks[check_key(path, blob_id(raw))] == as_rows(repo.check_document(client, path, raw)), path
    assert sorted(refused) == [
        "2026-11-02-phone.md",
        "anchors.yaml",
        "broken.yaml",
        "duplicate.yaml",
        "numbers.yaml",
        "tabbed.yaml",
    ]
    assert rebuilt["unreadable"] == len(refused)


@pytest.mark.skipif(parallel.cores() < 2, reason="one core: caseflow never starts workers")
def test_a_cold_index_is_written_a_chunk_at_a_time_as_the_workers_send_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = caseload(tmp_path / "repo", 30)
    documents = len(documents_under(path))
    monkeypatch.setattr(indexing, "CHUNK_DOCUMENTS", 40)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_ITEMS", 10)
    repo = open_repo(path, environ=ENV)
    seen: list[tuple[int, int, int]] = []

    def progress(done: int, total: int) -> None:
        assert not repo.index._pending  # nothing held back in this process for later
        with sqlite3.connect(path / INDEX_FILE) as db:  # another connection: what is written already
            (rows,) = db.execute("SELECT COUNT(*) FROM docs").fetchone()
        db.close()
        seen.append((done, total, rows))

    repo.snapshot(progress)
    assert [done for done, _, _ in seen] == [min(40 * n, documents) for n in range(1, len(seen) + 1)]
    assert all(total == documents and rows == done for done, total, rows in seen), seen


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_indexing_progress_shows_on_a_terminal_only_and_is_cleared() -> None:
    assert terminal_progress("indexing", 5000, io.StringIO()) is None  # a pipe or a file: nothing
    assert terminal_progress("indexing", 10, _Terminal()) is None  # a moment's work: nothing
    screen = _Terminal()
    progress = terminal_progress("indexing", 5000, screen)
    assert progress is not None
    progress(2500, 5000)
    progress(5000, 5000)
    progress(-1, 5000)
    drawn = screen.getvalue()
    assert "indexing: 2,500 of 5,000 documents (50%" in drawn and "5,000 of 5,000 documents (100%" in drawn
    assert drawn.endswith("\r\033[K")  # the line is cleared, the terminal left as it was


def test_a_cold_read_keeps_its_output_and_errors_clean_when_they_are_not_a_terminal(
    varied: Path, invoke_caseflow: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("caseflow.index.cold_progress.MIN_DOCUMENTS", 1)
    listed = invoke_caseflow("--repo", varied, "clients", "--json", env=ENV).assert_success()
    assert "documents" not in listed.stderr and "\r" not in listed.stderr + listed.stdout
    assert len(json.loads(listed.stdout)) == 8
