"""Time `caseflow due --all` over a 1,000-client repository: the first run, then with the cache.

    python bench/due_bench.py [--clients 1000] [--repeat 5]

The target (issue 6): under 2 s after the first run. The first run parses every document and keeps
the result in .caseflow/index.sqlite by git blob id; later runs parse only what changed.
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

from synthetic import build

COMMAND = [sys.executable, "-m", "caseflow", "--as", "sam", "due", "--all", "--json"]


def timed(cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(COMMAND, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        root = build(Path(tmp) / "agency", args.clients)
        cache = root / ".caseflow" / "index.sqlite"
        cold = []
        for _ in range(args.repeat):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{cache}{suffix}").unlink(missing_ok=True)
            cold.append(timed(root, env))
        warm = [timed(root, env) for _ in range(args.repeat)]
        documents = sum(1 for _ in (root / "clients").rglob("*.*"))
    print(f"{args.clients:,} clients, {documents:,} documents")
    print(f"caseflow due --all, no cache (median of {args.repeat}): {statistics.median(cold):.2f} s")
    print(f"caseflow due --all, cached (median of {args.repeat}):   {statistics.median(warm):.2f} s")


if __name__ == "__main__":
    main()
