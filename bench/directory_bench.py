"""Time provider search over a 5,000-service HSDS directory: the first load, then from the cache.

    python bench/directory_bench.py [--services 5000] [--repeat 5]

Builds a case repository, imports a synthetic HSDS directory (bench/hsds_synthetic.py) with
`caseflow providers import`, then times whole `caseflow providers search` processes: once with an
empty cache (parse + validate + cache write), then warm (the target: well under a second). Needs
the caseflow-hsds plugin installed (`make bench` installs every plugin under plugins/).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hsds_synthetic import write_directory

from caseflow.agency.init import init_repository
from caseflow.repo import open_repo

CASEFLOW = [sys.executable, "-m", "caseflow"]
SEARCH = ["providers", "search", "--service", "outpatient-mental-health", "--language", "es", "--near", "39.80,-89.65"]


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([*CASEFLOW, *args], cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "agency"
        init_repository(root, agency="Bench Agency")
        repo = open_repo(root, environ={})
        sam = repo.agency.add_staff(
            None, staff_id="sam", name="Sam Bench", email="sam@bench.invalid", role="supervisor"
        )
        source = Path(tmp) / "county-211.json"
        write_directory(source, services=args.services, seed=1)
        env["CASEFLOW_USER"] = sam.id
        imported = timed(["providers", "import", str(source)], root, env)
        cache = root / ".caseflow" / "cache"
        cold = []
        for _ in range(args.repeat):
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(timed(SEARCH, root, env))
        timed(SEARCH, root, env)  # warm the cache and the bytecode
        warm = [timed(SEARCH, root, env) for _ in range(args.repeat)]
        size = source.stat().st_size / 1e6
    print(f"HSDS directory: {args.services:,} services, {size:.1f} MB of JSON")
    print(f"caseflow providers import (validate + commit + cache): {imported:.2f} s")
    print(f"caseflow providers search, empty cache (median of {args.repeat}): {statistics.median(cold):.2f} s")
    print(f"caseflow providers search, cached (median of {args.repeat}):      {statistics.median(warm):.3f} s")


if __name__ == "__main__":
    main()
