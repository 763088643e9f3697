"""One write by caseflow against the same change made by hand with ``git add`` + ``git commit``.

    python bench/write_bench.py REPO [--pairs 9] [--client C-...] [--caseflow PATH ...] [--results NAME]

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

from measure import Run, environment, git, pick_client, run, write_commands  # noqa: E402
from sections import write_section  # noqa: E402
from synthetic import AUTHORS  # noqa: E402

CASEFLOW = str(Path(sys.executable).with_name("caseflow"))
#: Issue 22: a write at most this many times git add + git commit of the same change.
TARGET_RATIO = 1.3


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


def measure(repo: Path, pairs: int, caseflows: list[str], name: str, args: list[str], worker: str) -> list[str]:
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
    rows = [f"| {name} | git add + git commit | {len(hand)} | {statistics.median(hand):.3f} s | - | - |"]
    for caseflow in caseflows:
        ratio = statistics.median(ratios[caseflow])
        print(
            f"  {caseflow}: median {statistics.median(times[caseflow]):.3f} s,"
            f" ratio to git (median of pairs) {ratio:.2f}x"
            f" [{min(ratios[caseflow]):.2f}-{max(ratios[caseflow]):.2f}]"
        )
        rows.append(
            f"| {name} | {caseflow} | {len(times[caseflow])} | {statistics.median(times[caseflow]):.3f} s"
            f" | {ratio:.2f}x ({min(ratios[caseflow]):.2f}-{max(ratios[caseflow]):.2f})"
            f" | {'yes' if ratio <= TARGET_RATIO else 'NO'} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo", type=Path)
    parser.add_argument("--pairs", type=int, default=9)
    parser.add_argument("--client", help="default: the first active client")
    parser.add_argument("--caseflow", action="append", help=f"caseflow executable(s) (default {CASEFLOW})")
    parser.add_argument("--only", choices=["set", "visit"], help="measure one of the two writes")
    parser.add_argument("--results", metavar="NAME", help="also write the table into bench/results.md (section NAME)")
    args = parser.parse_args()
    repo = args.repo.resolve()
    client, worker = pick_client(repo)
    if args.client:
        client = args.client
    caseflows = args.caseflow or [CASEFLOW]
    print(f"{repo}: client {client} ({worker}), load average {os.getloadavg()[0]:.1f}")
    writes = write_commands(client)
    load = os.getloadavg()[0]
    rows = []
    for name, command in writes.items():
        if args.only in (None, name):
            rows += measure(repo, args.pairs, caseflows, f"caseflow {name}", command, worker)
    if args.results:
        files = sum(1 for line in git(repo, "ls-files", "clients").splitlines() if line)
        lines = [
            "## One write against git add + git commit (bench/write_bench.py, issue 22)",
            "",
            f"`python bench/write_bench.py REPO --pairs {args.pairs}` on a repository of"
            f" {sum(1 for _ in (repo / 'clients').iterdir()):,} clients ({files:,} documents), core.fsync=all,"
            f" client {client} as {worker}; load average {load:.1f} at the start (the machine is shared)."
            " Each pair: the write as a fresh process and git add + git commit of the same bytes and message,"
            " in alternating order; the ratio is the median of the pairs' ratios (range in brackets).",
            "",
            f"| write | by | pairs | median | x git (range) | <= {TARGET_RATIO}x |",
            "| --- | --- | ---: | ---: | --- | --- |",
            *rows,
        ]
        write_section(HERE / "results.md", f"write-bench-{args.results}", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
