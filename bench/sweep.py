"""Issue 22's table at several client counts, each command beside git in the same loop, with a plot.

    python bench/sweep.py [--sizes 1000,10000,50000] [--repeat 5] [--repeat-largest 3]
                          [--cold-repeat 1] [--no-cold-at-largest] [--cache DIR]
                          [--report-only]

For each size, a generated repository (bench/synthetic.py) from the cache (bench/repo_cache.py:
$CASEFLOW_BENCH_CACHE or ~/.cache/caseflow-bench, checked to be what the generator builds now,
generated when not), then, each as whole fresh processes paired with `git status --porcelain`:

- `caseflow --help`;
- cold `caseflow index --rebuild` (as in a fresh clone: caseflow's kept files deleted first, the
  case files read once into the operating system's cache; its peak memory is the sum over
  all its processes), which leaves the index warm for what follows;
- warm `due --all`, `due --worker robin`, `clients`, `review`, `validate`;
- the first `validate` after one `set` made from a warm state (the set itself untimed), against the
  warm `validate`;
- `set` and `visit` against `git add` + `git commit` of the same change (bench/measure.py);
- when caseflow has a `daemon` command, the warm reads and the first `validate` after one `set`
  again with the resident index running (`caseflow daemon start` ... `caseflow daemon stop`).

Writes are undone after measuring, so the cache keeps the repositories as generated. Writes
bench/scale.json (every figure), bench/scale.png (the plot), the sweep's section of bench/results.md
and the same table in the README's speed section (between its scale-sweep markers);
--report-only makes all but the first again from bench/scale.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import (  # noqa: E402
    CASEFLOW,
    GIT_STATUS,
    Paired,
    Run,
    as_a_fresh_clone,
    describe_repo,
    environment,
    git,
    no_such_command,
    paired_with_status,
    pick_client,
    run,
    write_against_git,
    write_commands,
)
from repo_cache import cache_dir, cached_repository, undo_writes  # noqa: E402
from sections import write_section  # noqa: E402
from sweep_report import Cell, Sweep, markdown, parse_sizes, plot, readme_block, size_label  # noqa: E402

FIGURES = HERE / "scale.json"
PLOT = HERE / "scale.png"
README = HERE.parent / "README.md"
SECTION = "scale-sweep"
READS: dict[str, tuple[str, ...]] = {
    "due-all": ("due", "--all"),
    "due-worker": ("due", "--worker", "robin"),
    "clients": ("clients",),
    "review": ("review",),
    "validate": ("validate",),
}
SOCKET = Path(".caseflow") / "daemon.sock"
# How long `caseflow daemon` may take to open its socket (it loads the whole index first).
DAEMON_START_SECONDS = 600.0


def why_failed(result: Run) -> str:
    last = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:] or [""]
    return f"exit {result.returncode}: {last[0][:120]}"


def cell_of(pair: Paired) -> Cell:
    if pair.missing:
        return Cell(missing=True)
    failed = pair.failed
    if failed is not None:
        return Cell(failed=why_failed(failed), runs=len(pair.ours))
    largest = pair.largest_mb if pair.whole_tree else None
    return Cell(seconds=pair.seconds, ratio=pair.ratio, peak_mb=pair.peak_mb, runs=len(pair.ours), largest_mb=largest)


def show(label: str, size: int, cell: Cell) -> None:
    """One line of progress as each figure comes in."""
    if cell.missing or cell.failed:
        print(f"  {size_label(size):>4} {label:<44} {'n/a' if cell.missing else cell.failed}", flush=True)
        return
    ratio = f"{cell.ratio:.2f}x" if cell.ratio is not None else "-"
    extra = f" daemon {cell.daemon_seconds:.3f} s" if cell.daemon_seconds is not None else ""
    print(
        f"  {size_label(size):>4} {label:<44} {cell.seconds or 0:8.3f} s {ratio:>7} {cell.peak_mb or 0:5.0f} MB{extra}",
        flush=True,
    )


def cold_rebuild(repo: Path, env: dict[str, str], rounds: int) -> Paired:
    """Each round: git status, then `index --rebuild` as in a fresh clone (every document parsed,
    the history replayed)."""
    result = Paired([], [])
    for _ in range(rounds):
        as_a_fresh_clone(repo)
        result.reference.append(run(GIT_STATUS, repo, env))
        ours = run([CASEFLOW, "index", "--rebuild"], repo, env, whole_tree=True)
        if no_such_command(ours):
            return Paired([], [], missing=True)
        result.ours.append(ours)
    return result


#: How long after `git reset` the read that settles its effects comes: git refreshes its index
#: for a read only once the refresh lasts (caseflow/core/store.py), a second after the index was written.
SETTLE_SECONDS = 1.1


@dataclass
class AfterWrite:
    """The first read after one `set`, and the warm read of the same round just before the `set`."""

    after: Paired
    warm: list[Run]

    @property
    def over_warm(self) -> float | None:
        """The median over the rounds of (read after the `set`) minus (warm read before it).

        Both come within the same few seconds, so the machine's drift between loops minutes apart
        (more than the 0.05 s measured here, on a shared machine) does not enter the difference.
        """
        differences = [a.seconds - w.seconds for a, w in zip(self.after.ours, self.warm, strict=False)]
        return median(differences) if differences else None

    @property
    def mb_over_warm(self) -> float | None:
        if not self.warm or not self.after.ours:
            return None
        return self.after.peak_mb - max(r.max_rss_kib for r in self.warm) / 1024


def first_read_after_set(
    repo: Path, env: dict[str, str], base: str, client: str, worker: str, rounds: int
) -> AfterWrite:
    """Each round from the generated commit, warm again: a timed warm read, one `set` (untimed),
    then the timed read and git status.

    The reset that lets each round make the same change is a write of its own (git's: the file
    and git's index), which no one's day has between two reads. The reads after it absorb it before
    the `set`, as the warm reads it is compared with had: the first takes what the reset changed,
    the second (a second later, once git may refresh its index) keeps what the first mended. The
    third is the warm read this round's read after the `set` is compared with.
    """
    read = [CASEFLOW, "validate"]
    write = [CASEFLOW, "set", client, "client.yaml", "phone=555-0199"]
    result = AfterWrite(Paired([], []), [])
    for round_ in range(rounds):
        git(repo, "reset", "-q", "--hard", base)
        run(read, repo, env)
        time.sleep(SETTLE_SECONDS)
        run(read, repo, env)
        result.warm.append(run(read, repo, env))
        done = run(write, repo, {**env, "CASEFLOW_USER": worker})
        if done.returncode != 0:
            result.after.ours.append(done)
            break
        if round_ % 2:
            result.after.ours.append(run(read, repo, env))
            result.after.reference.append(run(GIT_STATUS, repo, env))
        else:
            result.after.reference.append(run(GIT_STATUS, repo, env))
            result.after.ours.append(run(read, repo, env))
    git(repo, "reset", "-q", "--hard", base)
    return result


def has_daemon(repo: Path, env: dict[str, str]) -> bool:
    """`caseflow daemon --help` succeeds once the resident index exists."""
    return run([CASEFLOW, "daemon", "--help"], repo, env).returncode == 0


@contextmanager
def daemon_running(repo: Path, env: dict[str, str]) -> Iterator[bool]:
    """The resident index running for the repository until the block ends; yields whether it answers.

    `caseflow daemon start` (which returns once the index answers) and `caseflow daemon stop` where
    caseflow has them; else `caseflow daemon` in the foreground until its socket opens, then SIGTERM.
    """
    if run([CASEFLOW, "daemon", "start", "--help"], repo, env).returncode == 0:
        started = run([CASEFLOW, "daemon", "start"], repo, env)
        if started.returncode != 0:
            print(f"  caseflow daemon start failed: {why_failed(started)}", flush=True)
        try:
            yield started.returncode == 0
        finally:
            stopped = run([CASEFLOW, "daemon", "stop"], repo, env)
            if stopped.returncode != 0:
                print(f"  caseflow daemon stop failed: {why_failed(stopped)}", flush=True)
        return
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [CASEFLOW, "daemon"], cwd=repo, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        deadline = time.monotonic() + DAEMON_START_SECONDS
        while not (repo / SOCKET).exists() and time.monotonic() < deadline:
            if process.poll() is not None:
                break
            time.sleep(0.1)
        ready = (repo / SOCKET).exists() and process.poll() is None
        if not ready:
            log.seek(0)
            tail = log.read().decode(errors="replace").strip().splitlines()[-1:]
            print(f"  caseflow daemon did not open {SOCKET}: {tail}", flush=True)
        try:
            yield ready
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def measure_size(sweep: Sweep, size: int, args: argparse.Namespace, cache: Path) -> None:
    """Every command of the table at one size, into `sweep`."""
    prepared = cached_repository(size, cache)
    repo = prepared.path
    env = environment()
    base = undo_writes(repo)
    largest = size == sweep.sizes[-1]
    repeat = args.repeat_largest if largest and len(sweep.sizes) > 1 else args.repeat
    # The read after a write is a difference of two reads, each as noisy as the other: as many
    # rounds at every size (fewer at the largest would make the median of their differences move
    # by more than the 0.05 s it is held to).
    after_rounds = max(repeat, args.repeat)
    origin = f"generated in {prepared.generated_seconds:.0f} s" if prepared.generated_seconds else "from the cache"
    sweep.repositories[size] = f"{describe_repo(repo)}; {origin} ({repo}); {repeat} rounds per command" + (
        f", {after_rounds} of the read after a `set`" if after_rounds != repeat else ""
    )
    statuses: list[Run] = []

    def record(key: str, label: str, pair: Paired, cell: Cell | None = None) -> Cell:
        cell = cell or cell_of(pair)
        sweep.put(key, size, cell)
        if key != "set" and key != "visit":
            statuses.extend(pair.reference)
        show(label, size, cell)
        # Every figure is kept as it comes: a 50k size runs for half an hour and may be interrupted.
        FIGURES.write_text(replace(sweep, sizes=[*sweep.sizes[: sweep.sizes.index(size)], size]).to_json())
        return cell

    record("help", "caseflow --help", paired_with_status([CASEFLOW, "--help"], repo, env, repeat))
    if largest and args.no_cold_at_largest:
        sweep.notes.append(f"The cold `index --rebuild` was not measured at {size_label(size)} (--no-cold-at-largest).")
    else:
        record("rebuild", "index --rebuild, cold", cold_rebuild(repo, env, args.cold_repeat))
    warm: dict[str, Cell] = {}
    for key, words in READS.items():
        warm[key] = record(key, " ".join(words) + ", warm", paired_with_status([CASEFLOW, *words], repo, env, repeat))
    client, worker = pick_client(repo)
    after_write = first_read_after_set(repo, env, base, client, worker, after_rounds)
    after = cell_of(after_write.after)
    if after.seconds is not None:
        after.over_warm, after.mb_over_warm = after_write.over_warm, after_write.mb_over_warm
    record("after-set", "validate after one set", after_write.after, after)
    writes: dict[str, list[str]] = write_commands(client)
    references: list[Run] = []
    for key, change in writes.items():
        pair = write_against_git(repo, env, change, worker, base, repeat)
        record(key, f"{key}, against git add + git commit", pair)
        references.extend(pair.reference)
    if references:
        sweep.put("add-commit", size, cell_of(Paired(references, [])))
    if has_daemon(repo, env):
        with daemon_running(repo, env) as ready:
            for key, words in READS.items() if ready else ():
                pair = paired_with_status([CASEFLOW, *words], repo, env, repeat)
                if pair.failed is None and not pair.missing:
                    warm[key].daemon_seconds = pair.seconds
                    warm[key].daemon_ratio = pair.ratio
                show(" ".join(words) + ", daemon running", size, warm[key])
            if ready:
                after_write = first_read_after_set(repo, env, base, client, worker, after_rounds)
                pair = after_write.after
                if pair.failed is None and not pair.missing:
                    after.daemon_seconds, after.daemon_ratio = pair.seconds, pair.ratio
                    after.daemon_over_warm = after_write.over_warm
                show("validate after one set, daemon running", size, after)
    sweep.put("git-status", size, cell_of(Paired(statuses, [])))
    undo_writes(repo)


def conditions(argv: Sequence[str]) -> dict[str, str]:
    commit = git(HERE, "rev-parse", "--short", "HEAD").strip()
    dirty = git(HERE, "status", "--porcelain", "--untracked-files=no", "--", "caseflow").strip()
    return {
        "command": "python bench/sweep.py " + shlex.join(argv),
        "date": dt.date.today().isoformat(),
        "commit": commit + (" (with uncommitted changes to caseflow/)" if dirty else ""),
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "git": git(HERE, "version").strip(),
        "load_start": f"{os.getloadavg()[0]:.1f}",
    }


def publish(sweep: Sweep) -> None:
    """scale.png and the sweep's section of results.md, from the figures."""
    plot(sweep, PLOT)
    write_section(HERE / "results.md", SECTION, markdown(sweep, PLOT.name))
    # The README's speed section shows the same table, between the same markers (where they are).
    write_section(README, SECTION, readme_block(sweep, f"bench/{PLOT.name}"), append=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,50000", help="client counts, e.g. 1000,10k,50k")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds per command (median)")
    parser.add_argument("--repeat-largest", type=int, default=3, help="rounds at the largest size")
    parser.add_argument("--cold-repeat", type=int, default=1, help="cold index builds per size")
    parser.add_argument(
        "--no-cold-at-largest", action="store_true", help="skip the cold build at the largest size (~5 min at 50k)"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        help="where generated repositories are kept (default: $CASEFLOW_BENCH_CACHE or ~/.cache/caseflow-bench)",
    )
    parser.add_argument("--report-only", action="store_true", help="remake the plot and table from scale.json")
    args = parser.parse_args()
    if args.report_only:
        publish(Sweep.from_json(FIGURES.read_text()))
        return
    try:
        sizes = parse_sizes(args.sizes)
    except ValueError as error:
        parser.error(str(error))
    if args.repeat < 1 or args.repeat_largest < 1 or args.cold_repeat < 1:
        parser.error("--repeat, --repeat-largest and --cold-repeat must be at least 1")
    sweep = Sweep(sizes, conditions=conditions(sys.argv[1:]))
    cache = args.cache or cache_dir()
    for done, size in enumerate(sizes, start=1):
        measure_size(sweep, size, args, cache)
        # A later size may take long (or be interrupted): publish what is measured so far.
        sweep.conditions["load_end"] = f"{os.getloadavg()[0]:.1f}"
        sofar = replace(sweep, sizes=sizes[:done])
        FIGURES.write_text(sofar.to_json())
        publish(sofar)
    print()
    print(markdown(sweep, PLOT.name))


if __name__ == "__main__":
    main()
