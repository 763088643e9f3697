"""caseflow serve at scale: how long each page takes to answer, warm and first after start.

    python bench/web_bench.py [--clients 10000] [--reuse DIR] [--repeat 5]

Builds (or reuses) the synthetic repository of bench/scale_bench.py, starts `caseflow serve` as a
supervisor (who sees every client: the largest due list and caseload) and as a case manager, and
times each page as a browser would fetch it over loopback (so the figures include HTTP, and are
an upper bound of server time). First page: from starting the process to the page its link
opens (Today) answered, the median of --repeat starts. Warm: the median of --repeat fetches after
one untimed fetch, once the server's watcher keeps the snapshot. `git status --porcelain` on the
same repository in the same run is the floor.
Writes the table into bench/results.md between the web-bench markers.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from sections import write_section  # noqa: E402
from synthetic import MORNING_AFTER, build  # noqa: E402

CASEFLOW = str(Path(sys.executable).with_name("caseflow"))
TARGET_WARM = 0.1
TARGET_FIRST = 1.0


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class Served:
    """A `caseflow serve` process for one person, and a cookie-keeping opener signed in to it."""

    def __init__(self, root: Path, person: str) -> None:
        env = {**os.environ, "CASEFLOW_USER": person, "CASEFLOW_TODAY": MORNING_AFTER.isoformat()}
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [CASEFLOW, "serve", "--port", "0", "--json"],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=open(f"/tmp/web-bench-{person}.log", "w"),  # noqa: SIM115 - kept open while it runs
        )
        assert self.process.stdout is not None
        info = json.loads(self.process.stdout.readline())
        self.base = f"http://127.0.0.1:{info['port']}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.opener.open(info["url"]).read()
        self.first = time.perf_counter() - self.started

    def fetch(self, path: str) -> float:
        def get() -> None:
            with self.opener.open(self.base + path) as answer:
                answer.read()
                assert answer.status == 200, path

        return timed(get)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def first_page_after_start(root: Path, person: str) -> float:
    served = Served(root, person)
    served.stop()
    return served.first


def git_status(root: Path, repeat: int) -> float:
    return statistics.median(
        timed(lambda: subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, check=True))
        for _ in range(repeat)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10000)
    parser.add_argument("--reuse", type=Path, help="a repository built before (built there if missing)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--settle", type=float, default=20.0, help="seconds for the watcher to start")
    args = parser.parse_args()
    root = args.reuse or Path(f"/tmp/caseflow-web-bench-{args.clients}")
    if not (root / "caseflow.yaml").exists():
        build(root, args.clients)
    clients = sorted(p.name for p in (root / "clients").iterdir())
    client = clients[len(clients) // 2]
    load = os.getloadavg()[0]
    rows = []
    floor = git_status(root, args.repeat)
    # The index warm, as any earlier command leaves it (a cold index is `index --rebuild`'s bench).
    warm_env = {**os.environ, "CASEFLOW_USER": "sam", "CASEFLOW_TODAY": MORNING_AFTER.isoformat()}
    subprocess.run([CASEFLOW, "due", "--all"], cwd=root, env=warm_env, capture_output=True, check=True)
    for person, pages in (
        ("sam", ["/", "/caseload", f"/clients/{client}", "/review", "/reports", "/sync"]),
        ("casey", ["/", "/caseload?worker=casey", f"/clients/{client}"]),
    ):
        # From starting the process to the link's page (Today) answered: the median of --repeat starts.
        first_page = statistics.median(first_page_after_start(root, person) for _ in range(args.repeat))
        served = Served(root, person)
        time.sleep(args.settle)
        for path in pages:
            served.fetch(path)  # untimed: fills what the server keeps
            warm = statistics.median(served.fetch(path) for _ in range(args.repeat))
            rows.append((person, path.replace(client, "CLIENT"), warm))
        rows.append((person, "first page after start", first_page))
        served.stop()
    lines = [
        f"`python bench/web_bench.py --clients {len(clients)}` on {time.strftime('%Y-%m-%d')}: "
        f"{len(clients):,} clients, pages fetched over loopback (HTTP included), medians of {args.repeat} after one "
        f"untimed fetch, Python {platform.python_version()}, load average {load:.1f} at the start. "
        f"`git status --porcelain` on the same repository: {floor:.3f} s.",
        "",
        "| person | page | time | × git status | target | met |",
        "| --- | --- | ---: | ---: | --- | --- |",
    ]
    for person, path, seconds in rows:
        target = TARGET_FIRST if path.startswith("first") else TARGET_WARM
        met = "yes" if seconds < target else "NO"
        lines.append(f"| {person} | {path} | {seconds:.3f} s | {seconds / floor:.2f} | < {target} s | {met} |")
    text = "\n".join(lines)
    print(text)
    write_section(HERE / "results.md", "web-bench", "## caseflow serve (issue 17)\n\n" + text + "\n")


if __name__ == "__main__":
    main()
