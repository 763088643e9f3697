"""After a write to a client with a document awaiting review, who last changed that document is
not looked for in the history again where its bytes are as they were: the answer is the one
worked out afresh, including when someone else changed it meanwhile (and changed it back)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow import open_repo
from caseflow.core import store as store_module
from caseflow.index.database import INDEX_FILE
from caseflow.testing import git
from tests.authority.test_authority import CLIENT, commit_as

ENV = {"CASEFLOW_TODAY": "2026-11-20"}


def queue(root: Path) -> list[tuple[str, str, str | None, str | None, str | None, str]]:
    return [
        (p.client, p.path, p.author, p.changed_on, p.approved_on, p.summary)
        for p in open_repo(root, environ=ENV).review.pending()
    ]


def worked_out_afresh(root: Path) -> list[tuple[str, str, str | None, str | None, str | None, str]]:
    copy = root.with_name(root.name + "-afresh")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, symlinks=True)
    (copy / INDEX_FILE).unlink()
    return queue(copy)


def touch_record(root: Path, who: str) -> None:
    record = root / f"clients/{CLIENT}/client.yaml"
    text = record.read_text()
    record.write_text(
        re.sub(r"^phone: .*$", "phone: 555-0142", text, flags=re.M)
        if "\nphone:" in text
        else text + "phone: 555-0142\n"
    )
    commit_as(root, who, "phone")


def change_plan(root: Path, who: str, text: str) -> None:
    (root / f"clients/{CLIENT}/plan.yaml").write_text(text)
    commit_as(root, who, "plan")


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    asked: list[str] = []
    real = store_module.Store.last_change
    monkeypatch.setattr(store_module.Store, "last_change", lambda self, path: asked.append(path) or real(self, path))
    return asked


def test_a_write_beside_a_pending_document_does_not_look_for_its_last_change_again(
    repo: Path, lookups: list[str]
) -> None:
    before = queue(repo)
    assert any(item[0] == CLIENT for item in before)  # the demo's plan waiting for a supervisor
    touch_record(repo, "casey")
    lookups.clear()
    after = queue(repo)
    assert lookups == []
    assert after == before == worked_out_afresh(repo)


@pytest.mark.parametrize("back", [False, True], ids=["changed", "changed-and-changed-back"])
def test_someone_elses_change_to_the_pending_document_meanwhile_is_named(
    repo: Path, lookups: list[str], back: bool
) -> None:
    queue(repo)
    plan = repo / f"clients/{CLIENT}/plan.yaml"
    original = plan.read_text()
    change_plan(repo, "robin", original + "# robin's wording\n")
    if back:
        change_plan(repo, "dana", original)  # the same bytes as before, by someone else
    touch_record(repo, "casey")
    after = queue(repo)
    assert after == worked_out_afresh(repo)
    assert [item[2] for item in after if item[0] == CLIENT and item[1] == "plan.yaml"] == ["dana" if back else "robin"]


def test_history_rewritten_under_the_kept_answer_is_worked_out_again(repo: Path) -> None:
    queue(repo)
    change_plan(repo, "robin", (repo / f"clients/{CLIENT}/plan.yaml").read_text() + "# robin's wording\n")
    queue(repo)
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    touch_record(repo, "casey")
    assert queue(repo) == worked_out_afresh(repo)


@pytest.mark.parametrize("back", [False, True], ids=["plan-given-up", "plan-changed-and-changed-back-given-up"])
def test_a_reset_back_works_out_again_only_the_clients_the_commits_given_up_touched(
    repo: Path, monkeypatch: pytest.MonkeyPatch, back: bool
) -> None:
    """(The speed bench resets to its base commit after each write: each time, the whole history
    was walked again for every client with a pending document, 3 s at 10,000 clients.)"""
    from caseflow.review import queue as queue_module

    other = next(p for p in sorted((repo / "clients").glob("*/plan.yaml")) if p.parent.name != CLIENT)
    other.write_text(other.read_text() + "# a new wording\n")  # another client's plan awaiting review
    commit_as(repo, "casey", "plan")
    assert {item[0] for item in queue(repo)} == {CLIENT, other.parent.name}
    base = git(repo, "rev-parse", "HEAD").strip()
    plan = repo / f"clients/{CLIENT}/plan.yaml"
    original = plan.read_text()
    change_plan(repo, "robin", original + "# robin's wording\n")
    if back:
        change_plan(repo, "dana", original)  # the same bytes as at the base, by someone else
    queue(repo)
    walks: list[str] = []
    real = store_module.Store.last_changes
    monkeypatch.setattr(
        store_module.Store,
        "last_changes",
        lambda self, folder, revisions="HEAD": walks.append(revisions) or real(self, folder, revisions),
    )
    worked_out: list[str] = []
    real_pending = queue_module._pending_of
    monkeypatch.setattr(
        queue_module,
        "_pending_of",
        lambda repo_, case, *args: worked_out.append(case.client_id) or real_pending(repo_, case, *args),
    )
    git(repo, "reset", "-q", "--hard", base)
    after = queue(repo)
    assert "HEAD" not in walks  # no walk of the whole history
    assert worked_out == [CLIENT]  # the one client the commits given up touched
    assert after == worked_out_afresh(repo)


@pytest.fixture
def repo(demo_repo: Callable[..., Path]) -> Path:
    return demo_repo()
