"""Running ``caseflow watch`` for the tests: the real command in a subprocess, its ``--json`` lines
read as they come, and what the tests ask of the repository afterwards."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from caseflow.core.store import Author
from caseflow.testing import git
from caseflow.watch.watcher import Watcher
from tests.samples import CLIENT, CLIENT_YAML

RECORD = f"clients/{CLIENT}/client.yaml"
NOTE = f"clients/{CLIENT}/visits/2026-01-10-office.md"
CASEY = Author("Casey Rivera", "casey@riverbend.example")

# The same as `python -m caseflow`.
RUN_CASEFLOW = """
import sys
from caseflow.cli import main
main(sys.argv[1:])
"""


def record(phone: str) -> str:
    return CLIENT_YAML + f"phone: '{phone}'\n"


def note(body: str, day: str = "2026-01-10", kind: str = "office") -> str:
    return f"---\nform: core.visit\nclient: {CLIENT}\ndate: {day}\ntype: {kind}\nauthor: casey\n---\n{body}"


class Watch:
    """A running ``caseflow watch --json`` and the events it has printed."""

    def __init__(self, repo: Path, *args: str, own_group: bool = False, env: Mapping[str, str] | None = None) -> None:
        self.repo = repo
        environ = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
        environ.update(
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            NO_COLOR="1",
            CASEFLOW_PLUGINS="",
            CASEFLOW_USER="casey",
        )
        environ.update(env or {})
        self.process = subprocess.Popen(
            [sys.executable, "-c", RUN_CASEFLOW, "watch", "--json", *args],
            cwd=repo,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            process_group=0 if own_group else None,  # its own group: a terminal's Ctrl-C reaches all of it
        )
        self.events: list[dict[str, Any]] = []
        self.ended = False
        self._lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self._stderr.extend(self.process.stderr or []), daemon=True).start()
        self.wait_for(lambda e: e["event"] == "ready", timeout=20)

    @property
    def stderr(self) -> str:
        """What it has written to stderr so far (notices, one line each)."""
        return "".join(self._stderr)

    def _read(self) -> None:
        for line in self.process.stdout or []:
            self._lines.put(line)
        self._lines.put(None)

    def _take(self, timeout: float) -> bool:
        if self.ended:
            return False
        try:
            line = self._lines.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return False
        if line is None:
            self.ended = True
            return False
        self.events.append(json.loads(line))
        return True

    def wait_for(self, matches: Callable[[dict[str, Any]], bool], timeout: float = 5.0) -> dict[str, Any]:
        """The first event (printed so far or within ``timeout`` seconds) that ``matches``."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for event in self.events[seen:]:
                if matches(event):
                    return event
            seen = len(self.events)
            if not self._take(deadline - time.monotonic()) and (self.ended or time.monotonic() >= deadline):
                why = "watch ended" if self.ended else f"nothing within {timeout} s"
                raise AssertionError(f"no such event ({why}); got {self.events}\n{''.join(self._stderr)}")

    def collect(self, seconds: float) -> None:
        """Everything printed in the next ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.ended:
            self._take(deadline - time.monotonic())

    def stop(self, signum: int = signal.SIGINT) -> int:
        self.process.send_signal(signum)
        code = self.process.wait(timeout=10)
        self.collect(0.2)
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def committed(path: Path, rel: str, rev: str = "HEAD") -> str | None:
    done = subprocess.run(["git", "show", f"{rev}:{rel}"], cwd=path, capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else None


def commits(path: Path) -> list[str]:
    return git(path, "log", "--format=%H").split()


def is_commit(rel: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["event"] == "committed" and e["path"] == rel


def is_check(rel: str, valid: bool | None = True) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["event"] == "checked" and e["path"] == rel and e["valid"] is valid


def assert_consistent(path: Path, *clean: str) -> None:
    """HEAD, git's index and the files agree: the given paths are clean, git's objects sound."""
    # git's untracked cache can still list a file removed within the same instant as the folder's
    # last change (a racy directory stamp; seen under load since the durable settings): ask the tree.
    assert git(path, "-c", "core.untrackedCache=false", "status", "--porcelain", "--", *clean) == ""
    git(path, "fsck", "--no-progress")
    assert not (path / ".git" / "index.lock").exists()


def watcher_for(
    path: Path, quiet: float = 0.3, *, allow_delete: bool = False, author: Author | None = CASEY
) -> tuple[Watcher, list[Any], list[str]]:
    """A watcher working in this process (no observer started): its events and notices."""
    from caseflow.repo import open_repo

    events: list[Any] = []
    notices: list[str] = []
    repo = open_repo(path, environ={})
    return (
        Watcher(repo, events.append, notices.append, author=author, allow_delete=allow_delete, quiet=quiet),
        events,
        notices,
    )


def run_watch(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, NO_COLOR="1", CASEFLOW_PLUGINS="")
    command = [sys.executable, "-c", RUN_CASEFLOW, "watch", *args]
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=60, check=False)
