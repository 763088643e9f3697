"""What the history does not back, kept whole in the index with the commit it was judged at: after
commits only the clients they touched (and those whose documents changed) are judged again, and
the answer is always the one judged afresh, client by client."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow import open_repo
from caseflow.core import ledger_state
from caseflow.index import caseload, problems
from caseflow.testing import git
from tests.authority.conftest import ENV
from tests.authority.test_authority import CLIENT, commit_as, forge_approval


def checked(repo: Path) -> list[str]:
    return [str(p) for p in open_repo(repo, environ=ENV).validate().problems]


def judged_afresh(repo: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    with monkeypatch.context() as patched:
        patched.setattr(caseload, "BUNDLE_FROM", 10**9)
        return checked(repo)


def rewrite_history(repo: Path) -> None:
    """Two commits taken back, and another made in their place."""
    git(repo, "reset", "-q", "--hard", "HEAD~2")
    hand_edit_stage(repo)
    commit_as(repo, "casey", "again")


def hand_edit_stage(repo: Path) -> None:
    record = repo / f"clients/{CLIENT}/client.yaml"
    record.write_text(record.read_text().replace("stage: planning", "stage: active"))


STEPS: list[tuple[str, Callable[[Path], object], int | None]] = [
    # (what happens, how, how many clients are judged again: None for all of them)
    ("an approval forged by hand", forge_approval, 1),
    ("committed by the wrong person", lambda repo: commit_as(repo, "casey", "approvals"), 1),
    ("a stage edited by hand, committed", lambda repo: (hand_edit_stage(repo), commit_as(repo, "casey", "stage")), 1),
    ("nothing", lambda repo: None, 0),  # (the whole set read as it was kept: nobody judged)
    ("history rewritten", rewrite_history, 1),  # (from the set kept at the commit it went back to)
]


def test_only_the_clients_commits_touched_are_judged_again_and_the_answer_is_the_fresh_one(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caseload, "BUNDLE_FROM", 1)  # (from 200 clients in use; the demo has a few)
    judged: list[list[str]] = []
    real = problems._judged

    def counted(repo_, snapshot, ids):  # type: ignore[no-untyped-def]
        judged.append(list(ids))
        return real(repo_, snapshot, ids)

    monkeypatch.setattr(problems, "_judged", counted)
    checked(repo)
    everyone = len(judged[0])
    assert everyone > 1
    for what, step, again in STEPS:
        step(repo)
        judged.clear()
        answer = checked(repo)
        assert [len(ids) for ids in judged] == ([] if again == 0 else [everyone if again is None else again]), what
        judged.clear()
        assert answer == judged_afresh(repo, monkeypatch), what
        if what == "committed by the wrong person":
            assert any("it names sam but the commit is by casey@" in p for p in answer)
        if what == "a stage edited by hand, committed":
            assert any("stage 'active' was set by commit" in p for p in answer)


def test_a_ledger_replayed_on_from_one_in_memory_equals_one_replayed_whole_and_leaves_it_as_it_was(
    repo: Path,
) -> None:
    import dataclasses

    from caseflow.core import ledger

    def built(tip: str, earlier: ledger.Ledger | None = None) -> ledger.Ledger:
        return ledger.build(repo, lambda source, target: True, "intake", tip=tip, earlier=earlier)

    def fields(found: ledger.Ledger) -> ledger.Ledger:
        return dataclasses.replace(found, replayed=0)

    before = built("HEAD")
    as_it_was = fields(built("HEAD"))
    forge_approval(repo)
    commit_as(repo, "casey", "approvals")
    hand_edit_stage(repo)
    commit_as(repo, "casey", "stage")
    on = built("HEAD", earlier=before)
    assert on.replayed == 2
    assert fields(on) == fields(built("HEAD"))
    assert fields(before) == as_it_was
    assert fields(on) != as_it_was
    assert built("HEAD", earlier=on) is on  # (nothing new: the same one)


def test_a_warm_validate_does_not_replay_or_load_the_history(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """(At 50,000 clients the ledger kept on disk takes a third of a second to load.)"""
    from caseflow.core import ledger

    monkeypatch.setattr(caseload, "BUNDLE_FROM", 1)
    first = checked(repo)
    monkeypatch.setattr(ledger, "build", lambda *args, **kwargs: pytest.fail("the ledger was built"))
    assert checked(repo) == first


def test_after_a_reset_the_history_is_replayed_on_from_the_state_the_last_replay_went_on_from(repo: Path) -> None:
    """(As the speed bench does each round: back to a commit, then one write on top of it.)"""
    from caseflow.core import ledger
    from caseflow.core.layout import LOCAL_DIR

    def built() -> ledger.Ledger:
        return ledger.build(repo, lambda source, target: True, "intake", state_dir=repo / LOCAL_DIR, policy="test")

    base = git(repo, "rev-parse", "HEAD").strip()
    built()
    for round_ in range(3):
        git(repo, "reset", "-q", "--hard", base)
        forge_approval(repo)
        commit_as(repo, "casey", f"round {round_}")
        found = built()
        assert found.replayed == 1, round_
        whole = ledger.build(repo, lambda source, target: True, "intake")
        assert dataclasses.replace(found, replayed=0) == dataclasses.replace(whole, replayed=0)


def test_a_ledger_kept_in_memory_that_no_longer_leads_to_head_gives_way_to_a_state_kept_on_disk(repo: Path) -> None:
    """A long-running process keeps its last ledger; after a reset to an older commit it no longer
    leads to HEAD, and the states commands kept on disk may: replayed on from there, not from the
    first commit (a whole history at 10,000 clients: 9 s)."""
    from caseflow.core import ledger
    from caseflow.core.layout import LOCAL_DIR

    def built(earlier: ledger.Ledger | None = None) -> ledger.Ledger:
        return ledger.build(
            repo, lambda source, target: True, "intake", state_dir=repo / LOCAL_DIR, policy="test", earlier=earlier
        )

    base = git(repo, "rev-parse", "HEAD").strip()
    built()  # (a command's: kept on disk)
    forge_approval(repo)
    commit_as(repo, "casey", "on top")
    in_memory = built()  # (the latest on disk is now this one, and the base the one before)
    assert in_memory.replayed == 1
    git(repo, "reset", "-q", "--hard", base)
    back = built(earlier=in_memory)
    assert back.replayed == 0 and back.head == base  # the base state, as it was kept
    forge_approval(repo)
    commit_as(repo, "casey", "another")
    on = built(earlier=back)
    assert on.replayed == 1
    whole = ledger.build(repo, lambda source, target: True, "intake")
    assert dataclasses.replace(on, replayed=0) == dataclasses.replace(whole, replayed=0)


def test_replaying_a_few_commits_at_a_time_gives_the_same_ledger(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """(The documents read for a window of commits are dropped before the next: memory, not meaning.)"""
    from caseflow.core import ledger, ledger_replay

    forge_approval(repo)
    commit_as(repo, "casey", "approvals")
    hand_edit_stage(repo)
    commit_as(repo, "casey", "stage")
    whole = ledger.build(repo, lambda source, target: True, "intake")
    monkeypatch.setattr(ledger_replay, "REPLAY_WINDOW", 1)
    assert ledger.build(repo, lambda source, target: True, "intake") == whole
    assert whole.replayed > 2


def test_a_windows_documents_parsed_on_every_core_give_the_same_ledger(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(Two thirds of a whole history's replay at 10,000 clients is parsing its client records.)"""
    from caseflow.core import ledger, ledger_replay, parallel

    forge_approval(repo)
    commit_as(repo, "casey", "approvals")
    hand_edit_stage(repo)
    commit_as(repo, "casey", "stage")
    alone = ledger.build(repo, lambda source, target: True, "intake")
    parsed_here: list[str] = []
    real = ledger.Replayer._parse

    def counted(self: ledger.Replayer, blob: str, name: str) -> object:
        parsed_here.append(name)  # (a forked worker's list is its own: only this process's count here)
        return real(self, blob, name)

    monkeypatch.setattr(ledger.Replayer, "_parse", counted)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_ITEMS", 1)
    monkeypatch.setattr(ledger_replay, "_PARSE_CHUNK", 2)
    assert parallel.cores() >= 2, "this test needs two cores to fork workers"
    assert ledger.build(repo, lambda source, target: True, "intake") == alone
    assert "client.yaml" not in parsed_here and "approvals.yaml" not in parsed_here  # all in the workers
    parsed_here.clear()
    monkeypatch.setattr(parallel, "MIN_PARALLEL_ITEMS", 10**9)
    assert ledger.build(repo, lambda source, target: True, "intake") == alone
    assert "client.yaml" in parsed_here  # (and the count can tell: here, they are parsed in this process)


def test_a_long_replay_from_nothing_runs_in_a_child_process_and_gives_the_same_ledger(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """(What reading a whole history holds at its peak goes back when the child ends: a fresh
    clone's cold index at 10,000 clients stays under 300 MB.)"""
    import os
    import threading

    from caseflow.core import ledger, ledger_state
    from caseflow.core.layout import LOCAL_DIR

    forge_approval(repo)
    commit_as(repo, "casey", "approvals")
    hand_edit_stage(repo)
    commit_as(repo, "casey", "stage")
    whole = ledger.build(repo, lambda source, target: True, "intake")
    forks: list[int] = []
    real_fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: forks.append(1) or real_fork())
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # (the test runner's own threads)
    monkeypatch.setattr(ledger, "APART_FROM", 2)
    seen = tmp_path / "progress.txt"

    def progress(done: int, total: int) -> None:  # (called in the child: a file tells the parent)
        with seen.open("a") as f:
            f.write(f"{done}/{total}\n")

    def built(**kwargs: object) -> ledger.Ledger:
        state = repo / LOCAL_DIR
        return ledger.build(repo, lambda source, target: True, "intake", state_dir=state, policy="t", **kwargs)  # type: ignore[arg-type]

    apart = built(apart=True, progress=progress)
    assert forks == [1]
    assert dataclasses.replace(apart, replayed=0) == dataclasses.replace(whole, replayed=0)
    total = whole.replayed
    assert seen.read_text().split() == [f"{n}/{total}" for n in range(1, total + 1)]
    for state in (repo / LOCAL_DIR).glob("verified*.bin"):
        state.unlink()
    monkeypatch.setattr(ledger_state, "load", lambda *args: None)  # the child kept nothing: replayed here
    here = built(apart=True)
    assert forks == [1, 1] and dataclasses.replace(here, replayed=0) == dataclasses.replace(whole, replayed=0)
    monkeypatch.setattr(ledger, "APART_FROM", total + 1)  # a short history: never a child
    assert built(apart=True).replayed == total and forks == [1, 1]


def test_a_few_commits_replayed_onto_the_kept_state_are_not_kept_until_there_are_more(repo: Path) -> None:
    """Saving the state costs a read after each write as much as replaying a few commits: it is
    kept again once :data:`~caseflow.core.ledger.KEPT_FROM` commits were replayed onto it."""
    from caseflow.core import ledger
    from caseflow.core.layout import LOCAL_DIR

    def built() -> ledger.Ledger:
        return ledger.build(repo, lambda source, target: True, "intake", state_dir=repo / LOCAL_DIR, policy="test")

    built()
    state = repo / LOCAL_DIR / ledger_state.LATEST
    kept = state.read_bytes()
    for number in range(1, ledger.KEPT_FROM):
        (repo / f"clients/{CLIENT}/note-{number}.md").write_text(f"# Note {number}\n")
        commit_as(repo, "casey", f"commit {number}")
        found = built()
        assert found.replayed == number  # (replayed on from the state kept first, each time)
        assert state.read_bytes() == kept
    forge_approval(repo)  # (a breach among them)
    commit_as(repo, "casey", "one more")
    assert built().replayed == ledger.KEPT_FROM
    assert state.read_bytes() != kept
    again = built()
    assert again.replayed == 0 and again.head == git(repo, "rev-parse", "HEAD").strip()
    whole = ledger.build(repo, lambda source, target: True, "intake")
    assert dataclasses.replace(again, replayed=0) == dataclasses.replace(whole, replayed=0)


def test_a_kept_state_that_does_not_lead_to_head_is_not_loaded_and_is_replaced(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(After a reset: the latest state is of a commit given up; telling so takes its head alone.)"""
    from caseflow.core import ledger
    from caseflow.core.layout import LOCAL_DIR

    def built() -> ledger.Ledger:
        return ledger.build(repo, lambda source, target: True, "intake", state_dir=repo / LOCAL_DIR, policy="test")

    base = git(repo, "rev-parse", "HEAD").strip()
    built()
    for number in range(ledger.KEPT_FROM):  # (the latest state kept again, of a commit about to be given up)
        (repo / f"clients/{CLIENT}/note-{number}.md").write_text(f"# Note {number}\n")
        commit_as(repo, "casey", f"commit {number}")
    built()
    assert ledger_state.head_of(repo / LOCAL_DIR) == git(repo, "rev-parse", "HEAD").strip()
    git(repo, "reset", "-q", "--hard", base)
    forge_approval(repo)
    commit_as(repo, "casey", "after the reset")
    loaded: list[str] = []
    real = ledger_state.load
    monkeypatch.setattr(
        ledger_state, "load", lambda d, p, name=ledger_state.LATEST: (loaded.append(name), real(d, p, name))[1]
    )
    found = built()
    assert loaded == [ledger_state.BASE] and found.replayed == 1
    # Dropped, not kept again for one commit (saving a large state costs more than a few commits'
    # replay): the next command goes on from the base at once, without trying it first.
    assert ledger_state.head_of(repo / LOCAL_DIR) is None
    assert ledger_state.head_of(repo / LOCAL_DIR, ledger_state.BASE) == base
    loaded.clear()
    again = built()
    assert again.replayed == 1 and loaded == [ledger_state.BASE] and again == found


def test_a_kept_state_leads_to_head_through_caseflow_own_writes_without_asking_git(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(The writes' notes say which commit each went on from: git is not asked whether the kept
    state's commit is an ancestor of HEAD, at a few milliseconds a read after each write.)"""
    from caseflow.core import ledger
    from caseflow.core.git import replay
    from caseflow.core.layout import LOCAL_DIR

    def built() -> ledger.Ledger:
        return ledger.build(repo, lambda source, target: True, "intake", state_dir=repo / LOCAL_DIR, policy="test")

    built()
    cases = open_repo(repo, environ={})
    for phone in ("555-0101", "555-0102"):
        cases.records.set_fields(cases.actor("casey"), CLIENT, "client.yaml", [f"phone={phone}"])
    asked: list[tuple[str, str]] = []
    monkeypatch.setattr(replay, "is_ancestor", lambda root, a, b: asked.append((a, b)) or True)
    found = built()
    assert found.replayed == 2 and asked == []
    monkeypatch.undo()
    whole = ledger.build(repo, lambda source, target: True, "intake")
    assert dataclasses.replace(found, replayed=0) == dataclasses.replace(whole, replayed=0)


def test_after_a_reset_the_set_caseflow_writes_lead_from_is_found_before_git_is_asked(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The newest set kept is of a write given up by a reset; the one before it, of the commit the
    reset went back to, leads to HEAD through caseflow's own write: found without asking git."""
    from caseflow.core.git import replay

    monkeypatch.setattr(caseload, "BUNDLE_FROM", 1)
    base = git(repo, "rev-parse", "HEAD").strip()

    def write(phone: str) -> None:
        cases = open_repo(repo, environ={})
        cases.records.set_fields(cases.actor("casey"), CLIENT, "client.yaml", [f"phone={phone}"])

    checked(repo)  # (a set kept at the base)
    write("555-0101")
    checked(repo)  # (and one at the write about to be given up)
    git(repo, "reset", "-q", "--hard", base)
    write("555-0102")
    asked: list[tuple[str, str]] = []
    real = replay.is_ancestor
    monkeypatch.setattr(replay, "is_ancestor", lambda root, a, b: (asked.append((a, b)), real(root, a, b))[1])
    judged: list[list[str]] = []
    real_judged = problems._judged
    monkeypatch.setattr(problems, "_judged", lambda r, s, ids: (judged.append(list(ids)), real_judged(r, s, ids))[1])
    found = checked(repo)
    assert asked == [] and judged == [[CLIENT]]
    assert found == judged_afresh(repo, monkeypatch)


def test_a_command_judges_at_the_head_its_snapshot_saw_until_it_commits(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = open_repo(repo, environ={})
    cases.snapshot()
    seen = git(repo, "rev-parse", "HEAD").strip()
    asked: list[str] = []
    store_type = type(cases.store)
    real = store_type.head
    monkeypatch.setattr(store_type, "head", lambda self: (asked.append("head"), real(self))[1])
    assert cases.head() == seen and cases.ledger().head == seen and asked == []
    cases.records.set_fields(cases.actor("casey"), CLIENT, "client.yaml", ["phone=555-0103"])
    now = git(repo, "rev-parse", "HEAD").strip()
    assert now != seen and cases.head() == now and cases.ledger().head == now


def test_a_replay_of_a_few_commits_reads_its_blobs_and_the_settings_with_one_git_process_each(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(A git process is a few milliseconds of the read after each write: the commit's documents
    with the settings in force, then, where a signature is checked, every staff list in history
    at once, not one process each.)"""
    from caseflow.core import ledger
    from caseflow.core.git import replay
    from caseflow.core.layout import LOCAL_DIR

    def built() -> ledger.Ledger:
        return ledger.build(repo, lambda source, target: True, "intake", state_dir=repo / LOCAL_DIR, policy="test")

    built()
    forge_approval(repo)
    commit_as(repo, "casey", "approvals")
    asked: list[int] = []
    real = replay.blobs
    monkeypatch.setattr(replay, "blobs", lambda root, ids: (asked.append(len(set(ids))), real(root, ids))[1])
    found = built()
    assert found.replayed == 1 and found.signed
    assert len(asked) == 2 and asked[1] > 1  # (the demo's settings have several versions)
    asked.clear()
    again = built()  # (the commit replayed again, its signature's verdict kept: no staff list read)
    assert again.replayed == 1 and len(asked) == 1
    monkeypatch.undo()
    whole = ledger.build(repo, lambda source, target: True, "intake")
    assert dataclasses.replace(found, replayed=0) == dataclasses.replace(whole, replayed=0)
