"""Soak: ``caseflow visit`` killed with SIGKILL after a random delay, again and again on one
repository, each time followed by another command. Every trial: the write is whole or absent,
``git fsck --full --strict`` is clean, no lock, journal or temporary file is left, the next command
succeeds, and a write that said it was recorded is in the history.

``CASEFLOW_SOAK_TRIALS`` sets the number of trials (default 200)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.testing import git
from tests.faults.test_interrupted_writes import AS_CASEY, CLIENT, fsck, leftovers

pytestmark = pytest.mark.slow


def test_writes_killed_at_random_moments_are_always_whole_or_absent(demo_repo: Callable[..., Path]) -> None:
    repo = demo_repo()
    trials = int(os.environ.get("CASEFLOW_SOAK_TRIALS", "200"))
    rng = random.Random(20261205)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")} | AS_CASEY
    caseflow = [sys.executable, "-m", "caseflow"]
    outcomes = {"killed before it said so": 0, "acknowledged": 0, "finished anyway": 0}
    # Kills spread over a whole write as it runs on this machine now: start-up, files, git, the end.
    lengths = []
    for number in range(3):
        began = time.monotonic()
        command = [*caseflow, "visit", CLIENT, "--type", "phone", "--note", f"Timing call {number}."]
        subprocess.run(command, cwd=repo, env=env, capture_output=True, check=True)
        lengths.append(time.monotonic() - began)
    longest = sorted(lengths)[1] * 1.2
    started = time.monotonic()
    for trial in range(trials):
        head = git(repo, "rev-parse", "HEAD").strip()
        note = f"Phone check-in, trial {trial}."
        writer = subprocess.Popen(
            [*caseflow, "visit", CLIENT, "--type", "phone", "--note", note],
            cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(rng.uniform(0.0, longest))
        writer.send_signal(signal.SIGKILL)
        out, err = writer.communicate(timeout=60)
        acknowledged = writer.returncode == 0 and "recorded" in (out + err)
        after = subprocess.run([*caseflow, "clients"], cwd=repo, env=env, capture_output=True, text=True)
        assert after.returncode == 0, f"trial {trial}: {after.stderr}"
        assert leftovers(repo) == [], f"trial {trial}"
        assert git(repo, "status", "--porcelain") == "", f"trial {trial}"
        new_head = git(repo, "rev-parse", "HEAD").strip()
        if new_head != head:  # whole: exactly one commit on top, holding the note
            assert git(repo, "rev-parse", "HEAD^").strip() == head, f"trial {trial}"
            assert note in git(repo, "show", "HEAD", "--format="), f"trial {trial}"
            outcomes["acknowledged" if acknowledged else "finished anyway"] += 1
        else:
            assert not acknowledged, f"trial {trial}: said recorded, but nothing was committed"
            outcomes["killed before it said so"] += 1
        if trial % 20 == 0:
            fsck(repo)
    fsck(repo)
    print(f"\n{trials} trials in {time.monotonic() - started:.0f} s, kills up to {longest:.2f} s in: {outcomes}")
