"""The command's side: a resident index is used only when everything about it is right; otherwise
the command computes its own answer, saying why only when asked (--verbose)."""

from __future__ import annotations

import contextlib
import importlib
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from caseflow.resident import wire
from caseflow.resident.server import CodeStamp
from caseflow.testing import Result, run
from tests.resident.conftest import Resident

ENV = {"CASEFLOW_TODAY": "2026-11-20", "CASEFLOW_USER": "sam"}


@pytest.fixture
def repo(demo_repo: Callable[..., Path]) -> Path:
    return demo_repo()


def _due(repo: Path, *options: str) -> Result:
    return run("--repo", repo, *options, "due", "--all", env=ENV)


def _alone(repo: Path) -> Result:
    return run("--repo", repo, "due", "--all", env={**ENV, wire.RESIDENT_ENV: "0"})


def test_a_read_is_answered_by_the_resident_index(repo: Path, start_resident: Callable[..., Resident]) -> None:
    resident = start_resident(repo, env=ENV)
    served = _due(repo)
    assert resident.status()["answered"] == 1
    alone = _alone(repo)
    assert (served.exit_code, served.stdout, served.stderr) == (alone.exit_code, alone.stdout, alone.stderr)
    told = _due(repo, "--verbose")
    assert told.stderr.endswith(f"caseflow: answered by the resident index (pid {resident.process.pid})\n")
    assert told.stdout == alone.stdout
    assert alone.stdout.count("\n") > 3  # (a due list worth comparing)


def test_without_a_resident_index_the_command_computes_and_says_why_only_if_asked(repo: Path) -> None:
    quiet = _due(repo)
    assert quiet.exit_code == 0 and "resident" not in quiet.stderr
    told = _due(repo, "--verbose")
    assert "computing the answer here: no resident index runs" in told.stderr
    assert told.stdout == quiet.stdout


def test_a_socket_left_by_one_that_died_is_not_waited_for(repo: Path) -> None:
    path = wire.socket_path(repo)
    path.parent.mkdir(exist_ok=True)
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        with wire.address(path) as where:
            left.bind(where)  # bound, never listening: as a crashed resident index leaves it
    finally:
        os.umask(old)
    left.close()
    told = _due(repo, "--verbose")
    assert told.exit_code == 0 and "no resident index answers" in told.stderr
    assert told.stdout == _alone(repo).stdout


@pytest.fixture
def silent_listener(repo: Path) -> Iterator[Callable[[int], list[bytes]]]:
    """A socket that accepts and never answers (a stuck process), with the given mode."""
    stop = threading.Event()
    heard: list[bytes] = []
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)

    def start(mode: int) -> list[bytes]:
        path = wire.socket_path(repo)
        path.parent.mkdir(exist_ok=True)
        with wire.address(path) as where:
            listener.bind(where)
        os.chmod(path, mode)
        listener.listen(4)
        listener.settimeout(0.1)

        def serve() -> None:
            kept = []
            while not stop.is_set():
                try:
                    connection, _ = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    break  # closed: the test is over
                kept.append(connection)
                connection.settimeout(2)
                with contextlib.suppress(OSError):
                    heard.append(connection.recv(1 << 16))
            for connection in kept:
                connection.close()

        thread.append(threading.Thread(target=serve, daemon=True))
        thread[0].start()
        return heard

    thread: list[threading.Thread] = []
    yield start
    stop.set()
    for running in thread:
        running.join(timeout=5)
    listener.close()


def test_a_resident_index_that_does_not_accept_in_time_is_left_to_itself(
    repo: Path, silent_listener: Callable[[int], list[bytes]]
) -> None:
    heard = silent_listener(0o600)
    began = time.monotonic()
    told = _due(repo, "--verbose")
    assert told.exit_code == 0 and "did not accept the question" in told.stderr
    assert told.stdout == _alone(repo).stdout
    assert heard and heard[0].startswith(wire.QUESTION)
    assert time.monotonic() - began < 30  # (not waiting for ever; the bound itself is ACCEPT_SECONDS)


def test_a_socket_others_may_reach_is_never_used(repo: Path, silent_listener: Callable[[int], list[bytes]]) -> None:
    heard = silent_listener(0o666)
    told = _due(repo, "--verbose")
    assert "may be reached by other users; it is not used" in told.stderr
    assert heard == [] and told.stdout == _alone(repo).stdout


@pytest.mark.skipif(os.getuid() != 0, reason="making a socket another user's takes root")
def test_a_socket_of_another_users_is_never_used(repo: Path, silent_listener: Callable[[int], list[bytes]]) -> None:
    heard = silent_listener(0o600)
    os.chown(wire.socket_path(repo), 65534, 65534)
    told = _due(repo, "--verbose")
    assert "belongs to another user; it is not used" in told.stderr
    assert heard == [] and told.stdout == _alone(repo).stdout


def test_a_resident_index_of_another_version_declines(repo: Path, start_resident: Callable[..., Resident]) -> None:
    from caseflow.resident.client import answer

    resident = start_resident(repo, env=ENV)
    old = os.getcwd()
    os.chdir(repo)
    try:
        with _stderr_captured() as err:
            assert answer(["--verbose", "due", "--all"], "0.0.1", {**os.environ, **ENV}) is None
    finally:
        os.chdir(old)
    assert "declined: it runs caseflow" in err.getvalue() and "the command is 0.0.1" in err.getvalue()
    assert resident.status()["answered"] == 0


class _stderr_captured:
    def __enter__(self) -> _Capture:
        self.saved = sys.stderr
        sys.stderr = self.capture = _Capture()
        return self.capture

    def __exit__(self, *exc: object) -> None:
        sys.stderr = self.saved


class _Capture:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def getvalue(self) -> str:
        return "".join(self.parts)


def test_a_plugin_installed_or_code_changed_since_start_makes_it_another_version(tmp_path: Path) -> None:
    (tmp_path / "cf_stamp_probe.py").write_text("VALUE = 1\n")
    sys.path.insert(0, str(tmp_path))
    try:
        importlib.import_module("cf_stamp_probe")
        stamp = CodeStamp()
        assert not stamp.changed()
        later = time.time() + 5
        os.utime(tmp_path / "cf_stamp_probe.py", (later, later))
        assert stamp.changed()
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("cf_stamp_probe", None)


def test_start_status_and_stop(repo: Path) -> None:
    assert "not running" in run("--repo", repo, "daemon", "status").stdout
    started = run("--repo", repo, "daemon", "start", env=ENV)
    try:
        assert started.exit_code == 0 and "resident index started" in started.stderr
        status = run("--repo", repo, "daemon", "status", "--json")
        assert '"running": true' in status.stdout.replace(" ", " ") or '"running":true' in status.stdout
        again = run("--repo", repo, "daemon", "start", env=ENV)
        assert again.exit_code == 0 and "runs already" in again.stderr
        assert wire.socket_path(repo).stat().st_mode & 0o777 == 0o600
        assert _due(repo).stdout == _alone(repo).stdout
    finally:
        stopped = run("--repo", repo, "daemon", "stop")
    assert stopped.exit_code == 0 and "resident index stopped" in stopped.stderr
    assert not wire.socket_path(repo).exists()
    assert "no resident index runs" in run("--repo", repo, "daemon", "stop").stderr
