"""caseflow at scale, against the physical limit measured in the same run on the same repository.

    python bench/scale_bench.py [--clients 10000] [--repeat 5] [--big 50000 | --no-big]
                                [--cold-repeat 1] [--keep DIR | --reuse DIR]

Builds a synthetic repository (bench/synthetic.py: months of multi-author history) and times each
command as a whole process, fresh every time, as a person would run it:

- the floor: `git ls-files -s` and `git status --porcelain` (what any command that looks at every
  file must at least pay), `python -c pass` (what any Python command pays to start);
- read commands cold (no `.caseflow/index.sqlite`) and warm (after a previous run);
- the cold full index build, `caseflow index --rebuild` ("n/a" while caseflow has no such command);
- single writes (`caseflow set`, `caseflow visit`) against `git add` + `git commit` of the same bytes;
- `caseflow log CLIENT` against `git log -- clients/CLIENT`;
- with --big, the warm read commands again on a much larger repository.

Peak memory is each process's max RSS through GNU time (bench/measure.py says why). Writes the table
into bench/results.md between the scale-bench markers, keeping every other section. `make bench` runs
bench/sweep.py instead, which measures the issue's table at several sizes; this script keeps the cold
read commands and `caseflow log`.

--keep DIR builds the repositories as DIR/agency-N and leaves them there; --reuse DIR uses those
(building any that is missing). Writes are undone after measuring, so a kept repository is reused
as generated.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import (  # noqa: E402
    CASEFLOW,
    GENERATED_REF,
    GNU_TIME,
    Run,
    describe_repo,
    drop_index,
    environment,
    git,
    no_such_command,
    pick_client,
    run,
    write_against_git,
)
from sections import write_section  # noqa: E402
from synthetic import build  # noqa: E402

READS: tuple[tuple[str, ...], ...] = (("validate",), ("due", "--all"), ("clients", "--json"), ("review",))
MEMORY_LIMIT_MB = 300.0


@dataclass(frozen=True)
class Target:
    seconds: float | None = None
    ratio: float | None = None  # at most this many times the floor
    memory: bool = False  # a caseflow command: peak memory under MEMORY_LIMIT_MB

    def describe(self) -> str:
        parts = []
        if self.seconds is not None:
            parts.append(f"< {self.seconds:g} s")
        if self.ratio is not None:
            parts.append(f"≤ {self.ratio:g}x")
        if self.memory:
            parts.append(f"< {MEMORY_LIMIT_MB:g} MB")
        return ", ".join(parts) or "-"


@dataclass
class Row:
    name: str
    runs: list[Run] = field(default_factory=list)
    floor: Row | None = None
    target: Target = Target()
    missing: bool = False  # the command does not exist (yet)

    @property
    def failed(self) -> Run | None:
        return next((r for r in self.runs if r.returncode != 0), None)

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def peak_mb(self) -> float:
        return max(r.max_rss_kib for r in self.runs) / 1024

    @property
    def ratio(self) -> float | None:
        if self.floor is None or self.missing or not self.floor.runs or self.floor.median <= 0:
            return None
        return self.median / self.floor.median

    def verdict(self) -> str:
        if self.missing:
            return "n/a"
        if self.failed is not None:
            return f"FAILED (exit {self.failed.returncode})"
        if self.target == Target():
            return "-"
        misses = []
        if self.target.seconds is not None and self.median >= self.target.seconds:
            misses.append("time")
        ratio = self.ratio
        if self.target.ratio is not None and ratio is not None and ratio > self.target.ratio:
            misses.append("ratio")
        if self.target.memory and self.peak_mb >= MEMORY_LIMIT_MB:
            misses.append("memory")
        return f"NO ({', '.join(misses)})" if misses else "yes"

    def cells(self) -> list[str]:
        if self.missing or not self.runs:
            return [self.name, "-", "n/a", "-", "-", "-", self.target.describe(), "n/a"]
        ratio = self.ratio
        return [
            self.name,
            str(len(self.runs)),
            f"{self.median:.3f} s",
            self.floor.name if self.floor else "-",
            f"{ratio:.1f}x" if ratio is not None else "-",
            f"{self.peak_mb:.0f}",
            self.target.describe(),
            self.verdict(),
        ]


class Bench:
    """The measurements on one repository."""

    def __init__(self, repo: Path, repeat: int, cold_repeat: int, label: str) -> None:
        self.repo = repo
        self.repeat = repeat
        self.cold_repeat = cold_repeat
        self.label = label
        self.env = environment()
        self.rows: list[Row] = []

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        shown = row.cells()
        print(f"  {shown[0]:<58} {shown[2]:>10}  {shown[4]:>7}  {shown[5]:>5} MB  {shown[7]}", flush=True)
        return row

    def timed(
        self, name: str, command: Sequence[str], *, warm_up: bool = True, floor: Row | None = None, target: Target
    ) -> Row:
        """Median of `repeat` runs after one untimed run (caches, .pyc, git's index refresh)."""
        if warm_up:
            first = run(command, self.repo, self.env)
            if no_such_command(first):
                return self.add(Row(name, target=target, missing=True))
        row = Row(name, floor=floor, target=target)
        for _ in range(self.repeat):
            row.runs.append(run(command, self.repo, self.env))
        return self.add(row)

    def cold(self, name: str, command: Sequence[str], *, floor: Row | None, target: Target) -> Row:
        """Each run after deleting caseflow's index: every document is read and parsed again."""
        row = Row(name, floor=floor, target=target)
        for _ in range(self.cold_repeat):
            drop_index(self.repo)
            result = run(command, self.repo, self.env)
            if no_such_command(result):
                return self.add(Row(name, target=target, missing=True))
            row.runs.append(result)
        return self.add(row)

    def floor(self) -> Row:
        """The physical limit of a command that looks at every file; git status is the one compared."""
        self.timed(f"git ls-files -s ({self.label})", ["git", "ls-files", "-s"], target=Target())
        return self.timed(f"git status --porcelain ({self.label})", ["git", "status", "--porcelain"], target=Target())

    def reads(self, status: Row, *, cold: bool, warm_target: Target) -> None:
        for args in READS:
            command = [CASEFLOW, *args]
            shown = "caseflow " + " ".join(args)
            if cold:  # the cold run then leaves the index warm; otherwise an untimed first run does
                self.cold(f"{shown}, cold ({self.label})", command, floor=status, target=Target(memory=True))
            self.timed(f"{shown}, warm ({self.label})", command, warm_up=not cold, floor=status, target=warm_target)

    def write(self, name: str, args: Sequence[str], worker: str, base: str, floor_name: str) -> None:
        """A caseflow write against git add + commit of exactly the files it changed, same bytes."""
        pair = write_against_git(self.repo, self.env, args, worker, base, self.repeat)
        ours = Row(name, runs=pair.ours, target=Target(seconds=0.5, ratio=5.0, memory=True))
        hand = Row(floor_name, runs=pair.reference, target=Target())
        ours.floor = hand
        self.add(hand)
        self.add(ours)


def prepare(path: Path, clients: int, reuse: bool) -> tuple[Path, float | None]:
    """The repository at `path`, built now (with its generation time) or reused as generated."""
    if path.exists() and reuse:
        base = git(path, "rev-parse", "--verify", "-q", GENERATED_REF).strip()
        git(path, "reset", "-q", "--hard", base)
        return path, None
    if path.exists():
        raise SystemExit(f"{path} exists; use --reuse to measure it again, or remove it")
    print(f"building {clients:,} clients in {path} ...", flush=True)
    started = time.perf_counter()
    build(path, clients)
    seconds = time.perf_counter() - started
    git(path, "update-ref", GENERATED_REF, "HEAD")
    print(f"  built in {seconds:.1f} s", flush=True)
    return path, seconds


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| command | runs | median | floor | x floor | peak MB | target | met |",
        "| --- | ---: | ---: | --- | ---: | ---: | --- | --- |",
    ]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per warm command (median)")
    parser.add_argument("--cold-repeat", type=int, default=1, help="runs per cold command (each rebuilds the index)")
    parser.add_argument("--big", type=int, default=50_000, help="clients in the large repository")
    parser.add_argument("--no-big", dest="big", action="store_const", const=0, help="skip the large repository")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--keep", type=Path, metavar="DIR", help="build into DIR/agency-N and leave it there")
    where.add_argument("--reuse", type=Path, metavar="DIR", help="use DIR/agency-N if there, else build it")
    args = parser.parse_args()
    command_line = "python bench/scale_bench.py " + shlex.join(sys.argv[1:])
    scratch = None if (args.keep or args.reuse) else Path(tempfile.mkdtemp(prefix="scale-bench-"))
    workdir = args.keep or args.reuse or scratch
    assert workdir is not None
    workdir.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    notes: list[str] = []
    try:
        repo, built = prepare(workdir / f"agency-{args.clients}", args.clients, reuse=args.reuse is not None)
        label = f"{args.clients // 1000}k" if args.clients % 1000 == 0 else str(args.clients)
        notes.append(f"Repository: {describe_repo(repo)}" + (f"; generated in {built:.1f} s." if built else "."))
        bench = Bench(repo, args.repeat, args.cold_repeat, label)
        python = bench.timed("python -c pass", [sys.executable, "-c", "pass"], target=Target())
        bench.timed("caseflow --help", [CASEFLOW, "--help"], floor=python, target=Target(seconds=0.15, memory=True))
        status = bench.floor()
        bench.cold(
            f"caseflow index --rebuild, cold ({label})",
            [CASEFLOW, "index", "--rebuild"],
            floor=status,
            target=Target(seconds=60, memory=True),
        )
        bench.reads(status, cold=True, warm_target=Target(seconds=1.0, ratio=10.0, memory=True))
        client, worker = pick_client(repo)
        base = git(repo, "rev-parse", "HEAD").strip()
        bench.write(
            f"caseflow set {client} client.yaml phone=555-0199",
            ["set", client, "client.yaml", "phone=555-0199"],
            worker,
            base,
            "git add + git commit (same change as set)",
        )
        bench.write(
            f"caseflow visit {client} --type phone",
            ["visit", client, "--type", "phone", "--duration", "10", "--note", "Checked in by phone; no concerns."],
            worker,
            base,
            "git add + git commit (same change as visit)",
        )
        git_log = bench.timed(
            f"git log -- clients/{client}", ["git", "log", "--", f"clients/{client}"], target=Target()
        )
        bench.timed(
            f"caseflow log {client}",
            [CASEFLOW, "log", client],
            floor=git_log,
            target=Target(memory=True),
        )
        rows = bench.rows
        if args.big:
            big, built_big = prepare(workdir / f"agency-{args.big}", args.big, reuse=args.reuse is not None)
            big_label = f"{args.big // 1000}k" if args.big % 1000 == 0 else str(args.big)
            notes.append(
                f"Large repository: {describe_repo(big)}" + (f"; generated in {built_big:.1f} s." if built_big else ".")
            )
            large = Bench(big, args.repeat, args.cold_repeat, big_label)
            big_status = large.floor()
            # The first run of each command builds the index (untimed): only warm runs are measured.
            large.reads(big_status, cold=False, warm_target=Target(seconds=5.0, memory=True))
            rows += large.rows
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    failures = [row for row in rows if row.failed is not None]
    lines = [
        "## Scale (bench/scale_bench.py)",
        "",
        f"`{command_line}`: medians of fresh processes (warm: after one untimed run; cold: after deleting"
        f" `.caseflow/index.sqlite`), bytecode caching on, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, {git(HERE, 'version').strip()}, load average {load:.1f} at the"
        " start (the machine is shared). Acting as the supervisor, CASEFLOW_TODAY the morning after the"
        " generated history; writes as the client's case manager. Peak memory: max RSS of the process"
        " (and of the git processes it waited for), "
        + ("measured by GNU time." if GNU_TIME else "from os.wait4, which counts this benchmark's own ~30 MB."),
        "",
        *[f"- {note}" for note in notes],
        "",
        *table(rows),
    ]
    if failures:
        lines += ["", "Failures:", ""]
        for row in failures:
            assert row.failed is not None
            message = (row.failed.stderr.strip() or row.failed.stdout.strip()).splitlines()[-3:]
            lines.append(f"- {row.name}: exit {row.failed.returncode}: " + " / ".join(message))
    report = "\n".join(lines) + "\n"
    write_section(HERE / "results.md", "scale-bench", report)
    print()
    print(report)


if __name__ == "__main__":
    main()
