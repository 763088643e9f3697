"""Generated repositories kept between benchmark runs, each checked to be what the generator builds now.

A 50,000-client repository takes about five minutes to generate, so bench/sweep.py keeps them in a
cache folder ($CASEFLOW_BENCH_CACHE, else ~/.cache/caseflow-bench) as agency-N. Beside each one's git
data (in `.git/caseflow-bench.json`) is a stamp: the generator's own digest, the client count, the
seed and the commit the history ends at. A cached repository is used only when

- its stamp names the same generator source (bench/synthetic.py's bytes), client count and seed;
- its first commit is the one `caseflow init` makes now with the generator's settings (caseflow's
  init is part of what is generated: a change to it changes every commit id); and
- the generated ref still points at the stamped commit.

Otherwise it is deleted and generated again, saying why. Before use, any writes a previous run left
(commits, changed or untracked files) are undone: the branch is reset to the generated commit and
untracked files are removed (caseflow's ignored `.caseflow/` index is kept: that is the warm state).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from measure import GENERATED_REF, HERE, git
from synthetic import build, initial_commit

STAMP = "caseflow-bench.json"
SEED = 7


def cache_dir() -> Path:
    """$CASEFLOW_BENCH_CACHE, else ~/.cache/caseflow-bench."""
    configured = os.environ.get("CASEFLOW_BENCH_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "caseflow-bench"


def generator_digest() -> str:
    """sha256 of the generator's source: any change to it may change what it builds."""
    return hashlib.sha256((HERE / "synthetic.py").read_bytes()).hexdigest()


def current_initial_commit() -> str:
    """The first commit the generator would make now (caseflow init into a scratch folder)."""
    with tempfile.TemporaryDirectory(prefix="bench-init-") as scratch:
        return initial_commit(Path(scratch) / "repo")


@dataclass(frozen=True)
class Stamp:
    """What a cached repository was generated from, and where its history ended."""

    generator: str
    clients: int
    seed: int
    initial: str
    generated: str


def read_stamp(repo: Path) -> Stamp | None:
    try:
        return Stamp(**json.loads((repo / ".git" / STAMP).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def why_stale(repo: Path, clients: int, seed: int, initial: str) -> str | None:
    """None when `repo` is what the generator builds now; else the reason it is not."""
    stamp = read_stamp(repo)
    if stamp is None:
        return "no stamp"
    if stamp.generator != generator_digest():
        return "bench/synthetic.py changed"
    if (stamp.clients, stamp.seed) != (clients, seed):
        return f"built with {stamp.clients} clients, seed {stamp.seed}"
    if stamp.initial != initial:
        return "caseflow init now makes a different first commit"
    try:
        first = git(repo, "rev-list", "--max-parents=0", GENERATED_REF).split()
        generated = git(repo, "rev-parse", "--verify", "-q", GENERATED_REF).strip()
    except subprocess.CalledProcessError:
        return "its generated ref is missing"
    if first != [initial] or generated != stamp.generated:
        return "its history is not the stamped one"
    return None


def undo_writes(repo: Path) -> str:
    """Put the repository back to the generated commit; returns that commit's id."""
    base = git(repo, "rev-parse", "--verify", "-q", GENERATED_REF).strip()
    git(repo, "reset", "-q", "--hard", base)
    git(repo, "clean", "-q", "-d", "-f")  # untracked files only; ignored ones (.caseflow/) stay
    return base


@dataclass(frozen=True)
class Prepared:
    """A repository ready to measure, and how long generating it took (None: it came from the cache)."""

    path: Path
    generated_seconds: float | None
    reason: str | None = None  # why a cached copy was not used


def cached_repository(clients: int, where: Path | None = None, seed: int = SEED) -> Prepared:
    """The repository of `clients` generated clients, from the cache when it is still what would be built."""
    folder = where or cache_dir()
    path = folder / f"agency-{clients}"
    initial = current_initial_commit()
    reason = why_stale(path, clients, seed, initial) if path.exists() else None
    if path.exists() and reason is None:
        undo_writes(path)
        return Prepared(path, None)
    if path.exists():
        print(f"{path}: generating again ({reason})", flush=True)
        shutil.rmtree(path)
    folder.mkdir(parents=True, exist_ok=True)
    print(f"building {clients:,} clients in {path} ...", flush=True)
    started = time.perf_counter()
    build(path, clients, seed)
    seconds = time.perf_counter() - started
    git(path, "update-ref", GENERATED_REF, "HEAD")
    generated = git(path, "rev-parse", "HEAD").strip()
    stamp = Stamp(generator_digest(), clients, seed, initial, generated)
    (path / ".git" / STAMP).write_text(json.dumps(asdict(stamp), indent=2) + "\n")
    print(f"  built in {seconds:.1f} s", flush=True)
    return Prepared(path, seconds, reason)
