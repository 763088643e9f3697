"""Timing whole caseflow and git processes, shared by bench/scale_bench.py and bench/sweep.py.

Each command runs as a fresh process, as a person would run it, timed from start to exit.

Peak memory is each process's max RSS, which on Linux includes the git processes it waited for (the
largest of them, not their sum). It is read through GNU time where installed: a child's ru_maxrss
from os.wait4 starts at the size of the process that spawned it (Linux keeps the high-water mark
across exec), so a bare os.wait4 from this ~30 MB benchmark would report every git command as 30 MB.
Without GNU time the os.wait4 figure is used, and the results say so. Where a command runs several
processes at once (the cold index build shards its parsing), `run(..., whole_tree=True)` also samples
the sum of the memory of all its processes (each one's proportional share, so shared pages count once).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synthetic import AUTHORS, MORNING_AFTER, SUPERVISOR  # noqa: E402

CASEFLOW = str(Path(sys.executable).with_name("caseflow"))
# A ref to the generated history, so a reused repository can be put back as it was built.
GENERATED_REF = "refs/bench/generated"
INDEX_FILES = (".caseflow/index.sqlite", ".caseflow/index.sqlite-wal", ".caseflow/index.sqlite-shm")
# GNU time forks the command from its own small process, so max RSS is the command's own.
GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None
GIT_STATUS = ("git", "status", "--porcelain")
# How often the whole process tree's memory is sampled (a cold build runs for tens of seconds).
TREE_SAMPLE_SECONDS = 0.05


def environment() -> dict[str, str]:
    """As on a person's machine, acting as the supervisor on the morning after the history ends.

    Python may cache bytecode (this workplace sets PYTHONDONTWRITEBYTECODE, which would make every run
    recompile caseflow's modules); the repository is the working folder, not $CASEFLOW_REPO.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "CASEFLOW_REPO")}
    env["CASEFLOW_USER"] = SUPERVISOR
    env["CASEFLOW_TODAY"] = MORNING_AFTER.isoformat()
    return env


@dataclass(frozen=True)
class Run:
    """One finished process: wall time, peak memory (KiB), exit code and what it printed."""

    seconds: float
    max_rss_kib: int
    returncode: int
    stdout: str
    stderr: str
    tree_kib: int = 0  # peak of the summed Pss of all its processes, when sampled (whole_tree=True)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, their children, ...), from /proc."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{parent}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                pending.append(child)
    return found


def resident_kib(pid: int) -> int:
    """The process's proportional share of memory (Pss) in KiB, 0 once it has gone.

    Pss rather than RSS: forked workers share their parent's pages until they write them, and a sum of
    RSS would count those shared pages once per process.
    """
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeMemory(threading.Thread):
    """Samples the summed memory (Pss) of every process under a root until stopped."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_kib = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(TREE_SAMPLE_SECONDS):
            total = sum(resident_kib(pid) for pid in descendants(self.root))
            self.peak_kib = max(self.peak_kib, total)


def run(command: Sequence[str], cwd: Path, env: dict[str, str], *, whole_tree: bool = False) -> Run:
    """One fresh process, timed from start to exit, with its peak memory from the kernel."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile() as rss:
        argv = [GNU_TIME, "-f", "%M", "-o", rss.name, *command] if GNU_TIME else list(command)
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        sampler = TreeMemory(process.pid) if whole_tree else None
        if sampler is not None:
            sampler.start()
        # wait4 rather than Popen.wait: it also returns the child's resource usage (ru_maxrss in KiB).
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        tree_kib = 0
        if sampler is not None:
            sampler.done.set()
            sampler.join()
            tree_kib = sampler.peak_kib
        process.returncode = os.waitstatus_to_exitcode(status)
        max_rss = usage.ru_maxrss
        if GNU_TIME:  # its last line is %M (before it, a note if the command failed)
            max_rss = int(Path(rss.name).read_text().split()[-1])
        out.seek(0)
        err.seek(0)
        return Run(
            seconds,
            max_rss,
            process.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            tree_kib,
        )


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """A git command whose time is not measured."""
    done = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True)
    return done.stdout


def no_such_command(result: Run) -> bool:
    """True when caseflow has no such command (yet): click's usage error."""
    return result.returncode == 2 and "No such command" in result.stderr


def drop_index(repo: Path) -> None:
    """Delete caseflow's index, so the next command reads and parses every document again."""
    for name in INDEX_FILES:
        (repo / name).unlink(missing_ok=True)


#: What caseflow keeps in a clone's `.caseflow/` that a fresh clone has not made yet: the index,
#: the listing and notes of git's index, and what the replay of the history proved.
FRESH_CLONE_LACKS = (
    *INDEX_FILES,
    ".caseflow/staged-listing.bin",
    ".caseflow/write-notes.bin",
    ".caseflow/client-folders.bin",
    ".caseflow/verified.bin",
    ".caseflow/verified-base.bin",
    ".caseflow/signatures.json",
)


def as_a_fresh_clone(repo: Path) -> None:
    """The repository as `git clone` leaves it for its first caseflow command: none of caseflow's
    kept files (so the history is replayed and every document parsed), and every file of the case
    folders just written, in the operating system's cache (a cold build times caseflow's work, not
    the disk's: a build after another size's left them to be read from disk took a third longer)."""
    for name in FRESH_CLONE_LACKS:
        (repo / name).unlink(missing_ok=True)
    for path in sorted((repo / "clients").rglob("*")):
        if path.is_file():
            path.read_bytes()


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


@dataclass
class Paired:
    """A command and the reference it was run against in the same loop, one of each per round."""

    ours: list[Run]
    reference: list[Run]
    missing: bool = False  # the command does not exist (yet)

    @property
    def failed(self) -> Run | None:
        return next((r for r in self.ours if r.returncode != 0), None)

    @property
    def seconds(self) -> float:
        return median([r.seconds for r in self.ours])

    @property
    def reference_seconds(self) -> float:
        return median([r.seconds for r in self.reference])

    @property
    def ratio(self) -> float | None:
        """The median of each round's ratio: both ran within the same few seconds of machine load."""
        pairs = [o.seconds / r.seconds for o, r in zip(self.ours, self.reference, strict=False) if r.seconds > 0]
        return median(pairs) if pairs else None

    @property
    def peak_mb(self) -> float:
        """The larger of any one process's max RSS and (where sampled) the sum over all at once."""
        return max(max(r.max_rss_kib, r.tree_kib) for r in self.ours) / 1024

    @property
    def largest_mb(self) -> float:
        """The max RSS of the largest single process (GNU time's figure)."""
        return max(r.max_rss_kib for r in self.ours) / 1024

    @property
    def whole_tree(self) -> bool:
        return any(r.tree_kib for r in self.ours)


def paired_with_status(
    command: Sequence[str], repo: Path, env: dict[str, str], repeat: int, *, warm_up: bool = True
) -> Paired:
    """`repeat` rounds of the command and `git status --porcelain`, alternating which goes first.

    One untimed run of each first (caseflow's index, .pyc files, git's index refresh).
    """
    if warm_up:
        first = run(command, repo, env)
        if no_such_command(first):
            return Paired([], [], missing=True)
        run(GIT_STATUS, repo, env)
    result = Paired([], [])
    for round_ in range(repeat):
        if round_ % 2:
            result.ours.append(run(command, repo, env))
            result.reference.append(run(GIT_STATUS, repo, env))
        else:
            result.reference.append(run(GIT_STATUS, repo, env))
            result.ours.append(run(command, repo, env))
    return result


def write_against_git(
    repo: Path, env: dict[str, str], args: Sequence[str], worker: str, base: str, repeat: int
) -> Paired:
    """A caseflow write against git add + commit of exactly the files it changed, same bytes.

    Both sides start from `base` (reset between runs), so each run makes the same single change, as
    the client's own case manager. The first round is an untimed warm-up.
    """
    ours_env = {**env, "CASEFLOW_USER": worker}
    git_env = {**env, **AUTHORS[worker].env()}
    result = Paired([], [])
    contents: dict[str, bytes] = {}
    message = ""

    def by_hand() -> tuple[Run, Run]:
        git(repo, "reset", "-q", "--hard", base)
        for path, data in contents.items():
            (repo / path).parent.mkdir(parents=True, exist_ok=True)
            (repo / path).write_bytes(data)
        add = run(["git", "add", "--", *contents], repo, git_env)
        return add, run(["git", "commit", "-q", "-m", message], repo, git_env)

    for attempt in range(repeat + 1):
        # The order alternates (git first on odd rounds, with the change caseflow made last time):
        # neither side always runs right after the other's writes and page-cache misses.
        git_first = attempt % 2 == 1
        if git_first:
            add, commit = by_hand()
        git(repo, "reset", "-q", "--hard", base)
        mine = run([CASEFLOW, *args], repo, ours_env)
        if mine.returncode != 0:
            result.missing = no_such_command(mine)
            result.ours.append(mine)
            break
        changed = git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", "HEAD").split()
        contents = {path: (repo / path).read_bytes() for path in changed}
        message = git(repo, "log", "-1", "--format=%B")
        if not git_first:
            add, commit = by_hand()
        if attempt == 0:
            continue
        result.ours.append(mine)
        # One run for the pair: their times add up; peak memory is the larger of the two.
        failed = add.returncode or commit.returncode
        result.reference.append(
            Run(add.seconds + commit.seconds, max(add.max_rss_kib, commit.max_rss_kib), failed, "", commit.stderr)
        )
    git(repo, "reset", "-q", "--hard", base)
    return result


def write_commands(client: str) -> dict[str, list[str]]:
    """The single writes the benches time against git add + git commit: one field, one note."""
    return {
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


def pick_client(repo: Path) -> tuple[str, str]:
    """An active client (one with a plan, visits, a referral) and their case manager."""
    for folder in sorted((repo / "clients").iterdir()):
        text = (folder / "client.yaml").read_text()
        if "\nstage: active\n" in text:
            worker = next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("assigned_worker:"))
            return folder.name, worker
    raise SystemExit(f"no active client in {repo}")


def describe_repo(repo: Path) -> str:
    """Clients, documents and commits, for the results."""
    clients = sum(1 for _ in (repo / "clients").iterdir())
    documents = sum(1 for line in git(repo, "ls-files", "clients").splitlines() if line)
    commits = git(repo, "rev-list", "--count", "HEAD").strip()
    return f"{clients:,} clients, {documents:,} documents, {int(commits):,} commits"


def size_label(clients: int) -> str:
    """10000 -> '10k'."""
    return f"{clients // 1000}k" if clients % 1000 == 0 and clients else str(clients)
