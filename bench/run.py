"""Measure the foundation's speed targets and write bench/results.md.

    python bench/run.py [--clients 1000] [--repeat 5]

Targets (issue 2, this 2-core machine): `caseflow --help` and `caseflow show` on a small repository
start in under 0.3 s; `caseflow validate` over 1,000 clients (bench/synthetic.py: about 9 documents
each) runs in under 10 s. Medians of repeated runs, each a fresh process, as a person would run them.
Writes only its own section of bench/results.md (between the run-bench markers).
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from sections import write_section  # noqa: E402
from synthetic import build  # noqa: E402

from caseflow.agency.demo import build_demo  # noqa: E402

# As on a person's machine: Python may cache bytecode (this workplace sets PYTHONDONTWRITEBYTECODE,
# which would make every run recompile caseflow's own modules).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def median_seconds(command: list[str], cwd: Path, repeat: int) -> float:
    subprocess.run(command, cwd=cwd, check=False, capture_output=True, env=ENV)  # warm-up: caches, .pyc
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=False, capture_output=True, env=ENV)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    caseflow = str(Path(sys.executable).with_name("caseflow"))
    rows: list[tuple[str, float, float, str]] = []
    with tempfile.TemporaryDirectory() as scratch:
        demo = build_demo(Path(scratch) / "demo")
        big = build(Path(scratch) / "big", args.clients)
        client = sorted((demo / "clients").iterdir())[0].name
        documents = sum(1 for path in (big / "clients").rglob("*") if path.is_file())
        python = median_seconds([sys.executable, "-c", "pass"], demo, args.repeat)
        git_status = median_seconds(["git", "status", "--porcelain"], big, args.repeat)
        rows.append(("python -c pass (floor)", python, 0.3, "-"))
        rows.append(("caseflow --help", median_seconds([caseflow, "--help"], demo, args.repeat), 0.3, "< 0.3 s"))
        rows.append(
            (
                f"caseflow show {client} (demo)",
                median_seconds([caseflow, "show", client], demo, args.repeat),
                0.3,
                "< 0.3 s",
            )
        )
        validate = median_seconds([caseflow, "validate"], big, max(3, args.repeat // 2))
        rows.append((f"caseflow validate ({args.clients} clients, {documents} docs)", validate, 10.0, "< 10 s"))
        rows.append((f"git status --porcelain ({args.clients} clients)", git_status, 0.0, "-"))
    lines = [
        f"`python bench/run.py --clients {args.clients} --repeat {args.repeat}`; medians after one warm-up run,"
        f" fresh processes, bytecode caching on, {os.cpu_count()} cores, Python {sys.version.split()[0]}."
        " The machine is shared: figures vary by about 30% between runs.",
        "",
        "| command | median | target | met |",
        "| --- | ---: | --- | --- |",
    ]
    for name, seconds, limit, target in rows:
        met = "-" if target == "-" else ("yes" if seconds < limit else "NO")
        lines.append(f"| {name} | {seconds:.3f} s | {target} | {met} |")
    lines.append(f"\nvalidate throughput: {documents / validate:,.0f} documents/s.")
    report = "\n".join(lines) + "\n"
    write_section(HERE / "results.md", "run-bench", report)
    print(report)


if __name__ == "__main__":
    main()
