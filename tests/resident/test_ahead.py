"""After a change, the resident index answers the latest questions again before they are asked, so
that the next one finds its results made; and git rewriting its own index for its stat cache
takes nothing again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.testing import git, invoke
from tests.resident.conftest import Resident

ENV = {"CASEFLOW_TODAY": "2026-11-20", "CASEFLOW_USER": "sam"}


@pytest.fixture
def repo(demo_repo: Callable[..., Path]) -> Path:
    return demo_repo()


def _until(resident: Resident, test: Callable[[dict[str, object]], bool], what: str) -> dict[str, object]:
    deadline = time.monotonic() + 20
    while True:
        status = resident.status()
        if test(status):
            return status
        assert time.monotonic() < deadline, f"{what}: {status}"
        time.sleep(0.02)


def _same_as_the_command(resident: Resident, root: Path, *argv: str) -> None:
    answered = resident.ask(*argv, env=ENV)
    computed = invoke("--repo", root, *argv, env=ENV)
    assert (answered.exit_code, answered.stdout) == (computed.exit_code, computed.stdout)


def test_after_a_write_the_latest_questions_are_answered_before_they_are_asked(
    repo: Path, start_resident: Callable[..., Resident]
) -> None:
    resident = start_resident(repo, ENV)
    client = sorted(p.name for p in (repo / "clients").iterdir())[0]
    resident.ask("due", "--all", env=ENV)
    resident.ask("validate", env=ENV)
    before = resident.status()
    assert before["answered_ahead"] == 0  # (nothing changed yet)

    access_log = repo / ".caseflow" / "access.log"
    accesses = access_log.read_bytes() if access_log.exists() else b""

    invoke("--repo", repo, "set", client, "plan.yaml", "review_date=2026-12-01", env=ENV)
    _until(resident, lambda s: int(s["answered_ahead"]) >= 2, "both questions answered ahead")  # type: ignore[call-overload]
    # (an answer nobody asked for says nobody read anything)
    assert (access_log.read_bytes() if access_log.exists() else b"") == accesses
    time.sleep(0.3)  # (and any change the write made after its commit settled)
    ahead = resident.status()
    assert int(ahead["snapshot_generation"]) > int(before["snapshot_generation"])  # type: ignore[call-overload]

    answered = resident.ask("validate", env=ENV)
    after = resident.status()
    # Asked for real, it took nothing again: what it answers was made ahead.
    assert after["snapshot_generation"] == ahead["snapshot_generation"]
    assert after["snapshots_taken_in_part"] == ahead["snapshots_taken_in_part"]
    computed = invoke("--repo", repo, "validate", env=ENV)
    assert (answered.exit_code, answered.stdout) == (computed.exit_code, computed.stdout)
    _same_as_the_command(resident, repo, "due", "--all")


def test_only_the_latest_different_questions_are_answered_ahead(
    repo: Path, start_resident: Callable[..., Resident]
) -> None:
    from caseflow.resident.ahead import AHEAD_QUESTIONS

    resident = start_resident(repo, ENV)
    asked = [("clients",), ("clients", "--json"), ("due", "--all"), ("review",), ("validate",), ("validate",)]
    for argv in asked:
        resident.ask(*argv, env=ENV)
    assert len(set(asked)) > AHEAD_QUESTIONS
    (repo / "clients" / sorted(p.name for p in (repo / "clients").iterdir())[0] / "notes.md").write_text("# A note\n")
    status = _until(resident, lambda s: s["answered_ahead"] == AHEAD_QUESTIONS, "the latest answered ahead")
    time.sleep(0.3)
    assert resident.status()["answered_ahead"] == status["answered_ahead"]  # and no more


def test_git_rewriting_its_index_alone_takes_nothing_again_and_unstaging_takes_that_client(
    repo: Path, start_resident: Callable[..., Resident]
) -> None:
    resident = start_resident(repo, ENV)
    resident.ask("validate", env=ENV)
    before = resident.status()
    index = repo / ".git" / "index"
    written = index.stat().st_mtime_ns
    git(repo, "update-index", "--index-version", "4")  # the same entries, written again
    assert index.stat().st_mtime_ns != written
    resident.ask("validate", env=ENV)
    assert resident.status()["snapshot_generation"] == before["snapshot_generation"]

    client = sorted(p.name for p in (repo / "clients").iterdir())[0]
    git(repo, "rm", "-q", "--cached", f"clients/{client}/client.yaml")  # git's index alone moves
    answered = resident.ask("validate", "--json", env=ENV)
    after = resident.status()
    assert int(after["snapshot_generation"]) > int(before["snapshot_generation"])  # type: ignore[call-overload]
    assert after["snapshots_taken_whole"] == before["snapshots_taken_whole"]  # that client's folder alone
    computed = invoke("--repo", repo, "validate", "--json", env=ENV)
    assert (answered.exit_code, answered.stdout) == (computed.exit_code, computed.stdout)


def test_a_question_that_can_no_longer_be_answered_ahead_is_dropped_and_the_rest_go_on(
    repo: Path, start_resident: Callable[..., Resident]
) -> None:
    resident = start_resident(repo, ENV)
    folder = repo / "scratch-folder"
    folder.mkdir()
    resident.ask("due", "--all", env=ENV)
    resident.ask("validate", env=ENV, cwd=folder)  # (the latest: answered ahead first)
    time.sleep(0.3)  # (what the folder's making set off, settled)
    before = int(resident.status()["answered_ahead"])  # type: ignore[call-overload]
    folder.rmdir()
    (repo / "clients" / sorted(p.name for p in (repo / "clients").iterdir())[0] / "notes.md").write_text("# A note\n")
    _until(resident, lambda s: s["answered_ahead"] == before + 1, "the other question answered ahead")
    time.sleep(0.3)
    assert resident.process.poll() is None
    assert resident.status()["answered_ahead"] == before + 1
    _same_as_the_command(resident, repo, "validate")


def test_a_question_asked_while_the_rest_are_answered_ahead_is_answered_after_the_one_under_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command run right after a write waited behind every answer given ahead (three of them at
    10,000 clients: +0.12 s): now after the latest one it is taken first, and the rest follow."""
    import io
    import socket

    from caseflow import __version__
    from caseflow.resident import server, wire
    from caseflow.resident.ahead import AnsweredAhead

    resident = object.__new__(server.ResidentIndex)
    resident.ahead, resident._log, resident.root = AnsweredAhead(), io.StringIO(), tmp_path
    answered: list[str] = []
    monkeypatch.setattr(resident, "_why_not", lambda question: None)
    monkeypatch.setattr(resident, "_answer", lambda question, connection: answered.append(question.argv[0]) or 0)
    for command in ("due", "clients", "review", "validate"):  # (validate the latest)
        resident.ahead.asked(wire.Question([command], str(tmp_path), {}, False, False, None, __version__))
    resident.ahead.noticed()  # a change: all four to answer again
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener, socket.socket(socket.AF_UNIX) as asker:
        listener.bind(str(tmp_path / "s"))
        listener.listen(1)
        assert resident._answer_ahead(listener) is False  # (nobody asks: all four, the latest first)
        assert answered == ["validate", "review", "clients", "due"]
        answered.clear()
        resident.ahead.noticed()
        asker.connect(str(tmp_path / "s"))  # a command asks while the latest is answered ahead
        assert resident._answer_ahead(listener) is True
        assert answered == ["validate"]  # (then the command's question: the serve loop accepts it)
        assert resident._answer_ahead(listener) is True and answered == ["validate", "review"]
        listener.accept()[0].close()

        # A wake that changed nothing (a write letting go of its lock) does not cut the wait short.
        resident.ahead.wake()
        later = socket.socket(socket.AF_UNIX)
        timer = threading.Timer(0.05, later.connect, (str(tmp_path / "s"),))
        timer.start()
        try:
            assert resident._asked_within(listener, 5.0) is True
        finally:
            timer.join()
            listener.accept()[0].close()
            later.close()

        # The serve loop: the command's question is taken as soon as the latest is answered ahead.
        handled: list[list[str]] = []

        def handle(connection: socket.socket) -> None:
            handled.append(list(answered))
            resident.stopping.set()

        monkeypatch.setattr(resident, "_handle", handle)
        resident.stopping, resident._listener = threading.Event(), listener
        answered.clear()
        resident.ahead.noticed()
        time.sleep(0.05)  # (the change settled: the answers ahead are due)
        with socket.socket(socket.AF_UNIX) as another:
            another.connect(str(tmp_path / "s"))
            resident.serve()
        assert handled == [["validate"]]
