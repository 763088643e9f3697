"""Time `caseflow log` for a client with many commits (target: well under a second for 500).

python bench/log_bench.py [--commits 500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from caseflow.agency.init import init_repository

CLIENT = "C-7K2M9Q"
PERSON = "Casey Rivera <casey@riverbend.example>"
IDENTITY = {
    "GIT_AUTHOR_NAME": "Casey Rivera",
    "GIT_AUTHOR_EMAIL": "casey@riverbend.example",
    "GIT_COMMITTER_NAME": "Casey Rivera",
    "GIT_COMMITTER_EMAIL": "casey@riverbend.example",
}


def build(path: Path, commits: int) -> None:
    init_repository(path, agency="Bench Agency")
    env = {**os.environ, **IDENTITY}
    notes = path / "clients" / CLIENT / "visits"
    notes.mkdir(parents=True)
    # git fast-import writes hundreds of commits in one process (one `git commit` each would take minutes)
    stream = []
    for index in range(commits):
        front = f"form: core.visit\nclient: {CLIENT}\ndate: 2026-01-01\ntype: phone\nauthor: casey\n"
        body = f"---\n{front}---\nCall {index}.\n"
        message = f"new {CLIENT}\n\nCaseflow-Client: {CLIENT}\nCaseflow-Action: new\n"
        stream.append(
            f"commit refs/heads/main\ncommitter {PERSON} {1_767_225_600 + index * 3600} +0000\n"
            f"data {len(message.encode())}\n{message}"
            + ("from refs/heads/main^0\n" if index == 0 else "")
            + f"M 100644 inline clients/{CLIENT}/visits/note-{index:04d}.md\ndata {len(body.encode())}\n{body}\n"
        )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input="".join(stream).encode(), check=True, env=env)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, check=True)
    client = path / "clients" / CLIENT / "client.yaml"
    client.write_text(
        f"form: core.client\nid: {CLIENT}\nname: Ana Example\ndob: 1990-04-02\nassigned_worker: casey\n"
        "intake_date: 2026-01-01\nstage: intake\n"
    )
    subprocess.run(["git", "add", "-A"], cwd=path, check=True)
    subprocess.run(["git", "commit", "-qm", f"intake {CLIENT}"], cwd=path, check=True, env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, default=500)
    args = parser.parse_args()
    caseflow = str(Path(sys.executable).with_name("caseflow"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "repo"
        build(path, args.commits)
        command = [caseflow, "--repo", str(path), "log", CLIENT, "--json"]
        subprocess.run(command, check=True, capture_output=True, env=env)
        times = []
        for _ in range(5):
            started = time.perf_counter()
            out = subprocess.run(command, check=True, capture_output=True, env=env).stdout
            times.append(time.perf_counter() - started)
        git_times = []
        for _ in range(5):
            started = time.perf_counter()
            subprocess.run(["git", "log", "--name-status", "--", f"clients/{CLIENT}"], cwd=path, capture_output=True)
            git_times.append(time.perf_counter() - started)
        entries = out.count(b'"commit"')
        print(
            f"caseflow log: {entries} entries in {statistics.median(times):.3f} s (median of 5); "
            f"git log --name-status alone: {statistics.median(git_times):.3f} s"
        )


if __name__ == "__main__":
    main()
