"""One write by caseflow against the same change made by hand with ``git add`` + ``git commit``.

    python bench/write_bench.py REPO [--pairs 9] [--client C-...] [--caseflow PATH ...]

REPO is a case repository this script may write to (it is put back with ``git reset --hard`` to
the commit it was at, after every run: use a copy, never a repository someone else is using).

Each pair, as whole fresh processes with bytecode caching on:

1. ``git reset --hard`` to the starting commit, then ``caseflow set`` (or ``visit``), timed;
2. the files that commit changed and its message are read back, the repository reset again, the
   same bytes written into the working tree (untimed) and ``git add`` + ``git commit -q -m`` of them
   timed, as the client's case manager, with the repository's own git settings (``core.fsync`` and
   any signing or hooks live in the clone's config, so both sides get them).

The order of the two alternates from pair to pair (a noisy neighbour slows both in turn, and neither
side always runs with the other's pages cached), and the figure that matters is the median of the
pairs' ratios. Several ``--caseflow`` executables (the code before and after a change) are each
paired with git in the same loop.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scale_bench import Run, environment, git, pick_client, run  # noqa: E402
from synthetic import AUTHORS  # noqa: E402

CASEFLOW = str(Path(sys.executable).with_name("caseflow"))


def caseflow_write(caseflow: str, args: Sequence[str], repo: Path, env: dict[str, str], base: str) -> Run:
    git(repo, "reset", "-q", "--hard", base)
    result = run([caseflow, *args], repo, env)
    if result.returncode != 0:
        raise SystemExit(f"caseflow {' '.join(args)} failed: {result.stderr.strip()}")
    return result


def git_write(repo: Path, env: dict[str, str], base: str, change: tuple[dict[str, bytes], str]) -> float:
    """``git add`` + ``git commit`` of ``change`` (files and message) on ``base``; their seconds."""
    contents, message = change
    git(repo, "reset", "-q", "--hard", base)
    for path, data in contents.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_bytes(data)
    add = run(["git", "add", "--", *contents], repo, env)
    commit = run(["git", "commit", "-q", "-m", message], repo, env)
    if add.returncode or commit.returncode:
        raise SystemExit(f"git add/commit failed: {add.stderr}{commit.stderr}")
    return add.seconds + commit.seconds


def committed_change(repo: Path) -> tuple[dict[str, bytes], str]:
    """The files HEAD's commit changed (their bytes) and its message."""
    changed = git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", "HEAD").split()
    return {path: (repo / path).read_bytes() for path in changed}, git(repo, "log", "-1", "--format=%B")


def measure(repo: Path, pairs: int, caseflows: list[str], name: str, args: list[str], worker: str) -> None:
    base = git(repo, "rev-parse", "HEAD").strip()
    env = {**environment(), "CASEFLOW_USER": worker}
    git_env = {**environment(), **AUTHORS[worker].env()}
    times: dict[str, list[float]] = {c: [] for c in caseflows}
    ratios: dict[str, list[float]] = {c: [] for c in caseflows}
    hand: list[float] = []
    try:
        for number in range(pairs + 1):  # the first round is an untimed warm-up
            for caseflow in caseflows:
                if number % 2:
                    ours = caseflow_write(caseflow, args, repo, env, base).seconds
                    theirs = git_write(repo, git_env, base, committed_change(repo))
                else:
                    change = committed_change(repo) if hand else None
                    if change is None:  # the very first round: learn the change first
                        caseflow_write(caseflow, args, repo, env, base)
                        change = committed_change(repo)
                    theirs = git_write(repo, git_env, base, change)
                    ours = caseflow_write(caseflow, args, repo, env, base).seconds
                if number == 0:
                    continue
                times[caseflow].append(ours)
                ratios[caseflow].append(ours / theirs)
                hand.append(theirs)
    finally:
        git(repo, "reset", "-q", "--hard", base)
    print(f"{name}: git add + git commit median {statistics.median(hand):.3f} s ({len(hand)} runs)")
    for caseflow in caseflows:
        print(
            f"  {caseflow}: median {statistics.median(times[caseflow]):.3f} s,"
            f" ratio to git (median of pairs) {statistics.median(ratios[caseflow]):.2f}x"
            f" [{min(ratios[caseflow]):.2f}-{max(ratios[caseflow]):.2f}]"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo", type=Path)
    parser.add_argument("--pairs", type=int, default=9)
    parser.add_argument("--client", help="default: the first active client")
    parser.add_argument("--caseflow", action="append", help=f"caseflow executable(s) (default {CASEFLOW})")
    parser.add_argument("--only", choices=["set", "visit"], help="measure one of the two writes")
    args = parser.parse_args()
    repo = args.repo.resolve()
    client, worker = pick_client(repo)
    if args.client:
        client = args.client
    caseflows = args.caseflow or [CASEFLOW]
    print(f"{repo}: client {client} ({worker}), load average {os.getloadavg()[0]:.1f}")
    writes = {
        "set": ["set", client, "client.yaml", "phone=555-0199"],
        "visit": [
            "visit",
            client,
            "--type",
            "phone",
            "--duration",
            "10",
            "--note",
            "Checked in by phone; no concerns.",
        ],
    }
    for name, command in writes.items():
        if args.only in (None, name):
            measure(repo, args.pairs, caseflows, f"caseflow {' '.join(command)}", command, worker)


if __name__ == "__main__":
    main()
