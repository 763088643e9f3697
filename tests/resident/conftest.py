"""A resident index running for a repository, in a real process, and questions asked of it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from caseflow import __version__
from caseflow.resident import wire
from caseflow.resident.client import ask
from caseflow.resident.wire import STATUS


@dataclass
class Answer:
    exit_code: int
    stdout: str
    stderr: str


@dataclass
class Resident:
    root: Path
    process: subprocess.Popen[bytes]

    def status(self) -> dict[str, object]:
        found = ask(self.root, STATUS)
        assert found is not None, "the resident index does not answer"
        return found

    def ask(self, *argv: str, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Answer:
        """A question as the ``caseflow`` command would ask it (with the tests' environment)."""
        question = wire.Question(
            argv=list(argv),
            cwd=str(cwd or self.root),
            environ=command_environment(env),
            stdout_tty=False,
            stderr_tty=False,
            columns=None,
            version=__version__,
        )
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with wire.address(wire.socket_path(self.root)) as where:
            connection.connect(where)
        with connection:
            wire.send_frame(connection, wire.QUESTION, question.encode())
            kind, payload = wire.read_frame(connection)
            assert kind == wire.ACCEPTED, payload.decode()
            out, err = bytearray(), bytearray()
            while True:
                kind, payload = wire.read_frame(connection)
                if kind == wire.EXIT:
                    return Answer(int(payload), out.decode(), err.decode())
                (out if kind == wire.STDOUT else err).extend(payload)


def command_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """What :func:`caseflow.testing.invoke` gives a command: the tests' own, no ``CASEFLOW_*``, no colour."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
    return {**inherited, "NO_COLOR": "1", **(env or {})}


@pytest.fixture
def start_resident() -> Iterator[Callable[..., Resident]]:
    started: list[Resident] = []

    def start(root: Path, env: Mapping[str, str] | None = None) -> Resident:
        process = subprocess.Popen(
            [sys.executable, "-m", "caseflow", "--repo", str(root), "daemon", "run"],
            env=command_environment(env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        resident = Resident(root, process)
        started.append(resident)
        deadline = time.monotonic() + 60
        while ask(root, STATUS, timeout=0.5) is None:
            if process.poll() is not None:
                raise AssertionError(f"the resident index stopped: {process.stderr.read().decode()}")  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the resident index did not start"
            time.sleep(0.05)
        return resident

    yield start
    for resident in started:
        resident.process.terminate()
        try:
            resident.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            resident.process.kill()
            resident.process.wait()
        if resident.process.stderr is not None:
            resident.process.stderr.close()
