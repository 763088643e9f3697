"""The cold index: `caseflow index --rebuild` from nothing, its time and the memory of all its processes.

    python bench/cold_bench.py [--clients 10000] [--repeat 3] [--repo DIR] [--also CMD ...]

Builds a synthetic repository (bench/synthetic.py), or uses --repo DIR (which it writes to: the
index is deleted before each run). Each round runs, in turn, as whole fresh processes:

- `git ls-files -s` and `git status --porcelain` (git's own look at every file, the floor);
- `caseflow index --rebuild` after deleting `.caseflow/index.sqlite*`;
- each --also command (e.g. `clients --json`) the same way, cold.

The ratio is the median of each round's caseflow time over that round's `git status` (the machine
is shared: pairing keeps the comparison fair). Memory is sampled every 0.1 s from /proc for the
whole process tree (the command and the workers it forks): "PSS" is the peak of the sum of their
proportional set sizes (a page shared by the parent and its forked workers counted once, split
between them: what the processes together take from the machine); "sum RSS" the peak of the sum
of their resident sizes (shared pages counted in every process: an upper bound). CPU is the user
and system time of the command and every process it waited for (its workers). Writes its table
into bench/results.md between the cold-bench markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from sections import write_section  # noqa: E402
from synthetic import MORNING_AFTER, SUPERVISOR, build  # noqa: E402

CASEFLOW = str(Path(sys.executable).with_name("caseflow"))
INDEX_FILES = (".caseflow/index.sqlite", ".caseflow/index.sqlite-wal", ".caseflow/index.sqlite-shm")
TARGET_SECONDS = 30.0
TARGET_MB = 300.0


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu: float
    pss_mb: float
    rss_mb: float
    processes: int
    returncode: int


def environment() -> dict[str, str]:
    """As a person runs it: bytecode cached, the supervisor, the morning after the history."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "CASEFLOW_REPO")}
    env["CASEFLOW_USER"] = SUPERVISOR
    env["CASEFLOW_TODAY"] = MORNING_AFTER.isoformat()
    return env


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return found


def _tree(pid: int) -> list[int]:
    todo, seen = [pid], []
    while todo:
        current = todo.pop()
        seen.append(current)
        todo += _children(current)
    return seen


def _memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB; zeros once it is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def measure(command: list[str], cwd: Path) -> Run:
    """Run ``command``, sampling its process tree's memory every 0.1 s until it ends."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak_rss = peak_pss = processes = 0
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        pids = _tree(child.pid)
        sizes = [_memory_kib(p) for p in pids]
        rss, pss = sum(r for r, _ in sizes), sum(p for _, p in sizes)
        if rss > peak_rss:
            peak_rss, processes = rss, len(pids)
        peak_pss = max(peak_pss, pss)
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, cpu, peak_pss / 1024, peak_rss / 1024, processes, child.returncode)


def cold(repo: Path, args: list[str]) -> Run:
    for name in INDEX_FILES:
        (repo / name).unlink(missing_ok=True)
    run = measure([CASEFLOW, *args], repo)
    if run.returncode not in (0, 1):
        raise SystemExit(f"caseflow {' '.join(args)} failed ({run.returncode})")
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--repo", type=Path, help="an existing synthetic repository to use (and write to)")
    parser.add_argument("--also", nargs="*", default=[], help="read commands to time cold as well")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave bench/results.md alone")
    args = parser.parse_args()
    scratch = None
    if args.repo is not None:
        repo = args.repo
        if not (repo / "clients").is_dir():
            build(repo, args.clients)
    else:
        scratch = Path(tempfile.mkdtemp(prefix="caseflow-cold-"))
        started = time.perf_counter()
        repo = build(scratch / "agency", args.clients)
        print(f"built {args.clients} clients in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    try:
        documents = int(subprocess.run(["git", "ls-files", "clients"], cwd=repo, capture_output=True, text=True,
                                       check=True).stdout.count("\n"))  # fmt: skip
        args.clients = sum(1 for entry in (repo / "clients").iterdir() if entry.is_dir())
        load = os.getloadavg()[0]
        commands = [["index", "--rebuild"], *[a.split() for a in args.also]]
        rows: dict[str, list[tuple[Run, Run]]] = {}
        floors: dict[str, list[Run]] = {"git ls-files -s": [], "git status --porcelain": []}
        for round_number in range(args.repeat):
            for command in commands:
                listing = measure(["git", "ls-files", "-s"], repo)
                status = measure(["git", "status", "--porcelain"], repo)
                floors["git ls-files -s"].append(listing)
                floors["git status --porcelain"].append(status)
                run = cold(repo, command)
                rows.setdefault(" ".join(command), []).append((run, status))
                print(f"round {round_number + 1}: caseflow {' '.join(command)} {run.seconds:.1f} s "
                      f"(cpu {run.cpu:.1f} s, PSS {run.pss_mb:.0f} MB), git status {status.seconds:.2f} s",
                      file=sys.stderr)  # fmt: skip
        table = render(rows, floors, args, documents, load)
        print(table)
        if not args.no_write:
            write_section(HERE / "results.md", "cold-bench", table)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def render(
    rows: dict[str, list[tuple[Run, Run]]],
    floors: dict[str, list[Run]],
    args: argparse.Namespace,
    documents: int,
    load: float,
) -> str:
    also = (" --also " + " ".join(repr(a) for a in args.also)) if args.also else ""
    lines = [
        "## Cold index (bench/cold_bench.py)",
        "",
        f"`python bench/cold_bench.py --clients {args.clients} --repeat {args.repeat}{also}`: "
        f"{args.clients:,} clients, "
        f"{documents:,} documents; each caseflow command run cold (the index deleted first) as a fresh process, "
        f"right after `git ls-files -s` and `git status --porcelain` in the same round; medians; bytecode caching "
        f"on, {os.cpu_count()} cores, Python {platform.python_version()}, load average {load:.1f} at the start "
        "(the machine is shared). Memory: the peak, sampled every 0.1 s, of the sum over the command and its "
        "forked workers of PSS (shared pages split between the processes sharing them) and of RSS (shared pages "
        "counted in each: an upper bound). CPU: user + system time of the command and its workers.",
        "",
        "| command | runs | median | CPU | × git status | peak PSS, all processes | peak sum RSS | target | met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for name, runs in floors.items():
        lines.append(
            f"| {name} | {len(runs)} | {statistics.median(r.seconds for r in runs):.3f} s | "
            f"{statistics.median(r.cpu for r in runs):.2f} s | - | {max(r.pss_mb for r in runs):.0f} MB | "
            f"{max(r.rss_mb for r in runs):.0f} MB | - | - |"
        )
    for name, pairs in rows.items():
        seconds = statistics.median(run.seconds for run, _ in pairs)
        ratio = statistics.median(run.seconds / status.seconds for run, status in pairs)
        pss = max(run.pss_mb for run, _ in pairs)
        met = seconds < TARGET_SECONDS and pss < TARGET_MB
        target = (
            f"< {TARGET_SECONDS:.0f} s, < {TARGET_MB:.0f} MB" if name == "index --rebuild" else f"< {TARGET_MB:.0f} MB"
        )
        if name != "index --rebuild":
            met = pss < TARGET_MB
        lines.append(
            f"| caseflow {name}, cold | {len(pairs)} | {seconds:.1f} s | "
            f"{statistics.median(run.cpu for run, _ in pairs):.1f} s | {ratio:.0f}x | {pss:.0f} MB | "
            f"{max(run.rss_mb for run, _ in pairs):.0f} MB ({max(run.processes for run, _ in pairs)} processes) | "
            f"{target} | {'yes' if met else 'NO'} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
