"""Time provider search over a 5,000-service HSDS directory: the first load, then from the cache.

    python bench/directory_bench.py [--services 5000] [--repeat 5]

Builds a case repository, imports a synthetic HSDS directory (bench/hsds_synthetic.py) with
`caseflow providers import`, then times whole `caseflow providers search` processes: once with an
empty cache (parse + validate + cache write), then warm for every kind of question (the target:
under 0.3 s each, import under 5 s), with `git status` in the same run. Writes its table into
bench/results.md between the directory-bench markers. Needs
the caseflow-hsds plugin installed (`make bench` installs every plugin under plugins/).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hsds_synthetic import write_directory
from sections import write_section

from caseflow.agency.init import init_repository
from caseflow.repo import open_repo

HERE = Path(__file__).resolve().parent
CASEFLOW = [sys.executable, "-m", "caseflow"]
TARGET_SEARCH = 0.3
TARGET_IMPORT = 5.0
SEARCH = ["providers", "search", "--service", "outpatient-mental-health", "--language", "es", "--near", "39.80,-89.65"]
# Every kind of question, each timed as a whole process from the cache.
QUESTIONS = {
    "category + language + near": SEARCH,
    "two categories, town, open sat, age 16": [
        *("providers", "search", "--service", "housing", "--service", "medical"),
        *("--town", "Riverton", "--open", "sat", "--age", "16"),
    ],
    "open mon 18:00, accepting, within 5 km": [
        *("providers", "search", "--open", "mon 18:00", "--accepting", "--near", "62701", "--within", "5"),
    ],
    "words over names and addresses": ["providers", "search", "--text", "walnut street", "--json"],
    "categories tree": ["providers", "categories"],
}


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([*CASEFLOW, *args], cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def timed_git(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)
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
        warm = {name: [timed(asked, root, env) for _ in range(args.repeat)] for name, asked in QUESTIONS.items()}
        status = [timed_git(["git", "status", "--porcelain"], root) for _ in range(args.repeat)]
        size = source.stat().st_size / 1e6
    baseline = statistics.median(status)
    load = os.getloadavg()[0]
    lines = [
        f"`python bench/directory_bench.py --services {args.services} --repeat {args.repeat}` on "
        f"{datetime.date.today().isoformat()}: {args.services:,} services ({size:.1f} MB of HSDS JSON), each "
        f"question a fresh `caseflow providers` process, median of {args.repeat}, Python "
        f"{platform.python_version()}, load average {load:.1f} at the end. `git status --porcelain` in the "
        f"same repository: {baseline:.3f} s.",
        "",
        "| what | time | target | met |",
        "| --- | ---: | --- | --- |",
        f"| import (validate, commit, cache) | {imported:.2f} s | < {TARGET_IMPORT:g} s "
        f"| {_met(imported, TARGET_IMPORT)} |",
        f"| search with an empty cache | {statistics.median(cold):.2f} s | - | - |",
    ]
    for name, times in warm.items():
        median = statistics.median(times)
        lines.append(f"| cached: {name} | {median:.3f} s | < {TARGET_SEARCH:g} s | {_met(median, TARGET_SEARCH)} |")
    text = "\n".join(lines)
    print(text)
    write_section(HERE / "results.md", "directory-bench", "## Provider search (issue 20)\n\n" + text + "\n")


def _met(seconds: float, target: float) -> str:
    return "yes" if seconds < target else "NO"


if __name__ == "__main__":
    main()
