"""The installed command ends without taking the interpreter down object by object, and ends as
``sys.exit`` would: the same exit code, what ``atexit`` was asked to do done, the output flushed."""

from __future__ import annotations

import subprocess
import sys

import pytest


def ended(body: str) -> subprocess.CompletedProcess[str]:
    program = f"import atexit, sys\nfrom caseflow.command import leave\n{body}\n"
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (3, 3), ("caseflow: a message", 1)])
def test_it_ends_with_the_code_sys_exit_would(code: object, status: int) -> None:
    done = ended(f"sys.stdout.write('answer, unflushed'); leave({code!r})")
    assert done.returncode == status
    assert done.stdout == "answer, unflushed"
    assert done.stderr == (f"{code}\n" if isinstance(code, str) else "")


def test_what_atexit_was_asked_to_do_is_done() -> None:
    done = ended("atexit.register(lambda: print('cleaned up')); leave(2)")
    assert (done.returncode, done.stdout) == (2, "cleaned up\n")


def test_with_another_thread_running_python_ends_as_usual() -> None:
    """(Python waits for it; ending at once would cut it short.)"""
    body = (
        "import threading, time\n"
        "threading.Thread(target=lambda: (time.sleep(0.2), print('thread done', flush=True))).start()\n"
        "leave(4)"
    )
    done = ended(body)
    assert (done.returncode, done.stdout) == (4, "thread done\n")


def test_the_command_ends_so_after_a_read() -> None:
    done = subprocess.run([sys.executable, "-m", "caseflow", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "caseflow" in done.stdout
