"""The demo's year of generated caseload: the same every time, valid, and what the funder summary counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from caseflow import open_repo
from caseflow.agency.caseload import CLIENTS, FAMILY, GIVEN, generate
from caseflow.agency.demo import example_dir, report_start
from caseflow.core.casefiles import client_ids
from caseflow.core.documents import load_plain
from caseflow.core.layout import DEMO_MARKER
from caseflow.testing import Result, copy_repo, git

SMALL = 11


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_caseload_template: tuple[Path, Result]) -> Path:
    """A copy of the session's demo (commands below keep their caches in it)."""
    return copy_repo(demo_caseload_template[0], tmp_path_factory.mktemp("caseload") / "caseflow-demo")


def morning(path: Path) -> str:
    return re.search(r"^morning: (\S+)$", (path / DEMO_MARKER).read_text(), re.M).group(1)  # type: ignore[union-attr]


def generated(path: Path) -> list[str]:
    storied = set(client_ids(example_dir()))
    return [c for c in client_ids(path) if c not in storied]


def documents(path: Path) -> dict[str, list[Mapping[str, Any]]]:
    """Every generated and storied document, parsed, by form (read from the files, not through reporting)."""
    found: dict[str, list[Mapping[str, Any]]] = {}
    for file in sorted((path / "clients").rglob("*")):
        if file.suffix not in (".yaml", ".md"):
            continue
        raw = file.read_bytes()
        if file.suffix == ".md":
            raw = raw.split(b"---\n")[1]
        data, _ = load_plain("x.yaml", raw)
        found.setdefault(str(data.get("form")), []).append(data)
    return found


def test_the_caseload_is_the_same_every_time() -> None:
    first = generate(["casey", "robin"], "sam", dt.date(2026, 11, 16), {"C-7K2M9Q"})
    again = generate(["casey", "robin"], "sam", dt.date(2026, 11, 16), {"C-7K2M9Q"})
    assert first == again
    assert len({e.client for e in first}) == CLIENTS
    assert max(e.day for e in first) <= dt.date(2026, 11, 16)


@pytest.mark.slow  # two whole demos (150 clients each): make test-all
def test_two_demo_builds_are_identical_up_to_the_signing_keys(
    demo: Path, tmp_path: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    again = tmp_path / "again"
    invoke_caseflow("demo", again).assert_success()
    # Each build makes new signing keys (so the commits from the director's signing on differ);
    # the history before it, and every client's files, are the same byte for byte.
    for path in (demo, again):
        assert git(path, "status", "--porcelain") == ""
    assert git(demo, "rev-parse", "HEAD:clients") == git(again, "rev-parse", "HEAD:clients")
    before = "HEAD~1" if (demo / ".caseflow" / "keys").is_dir() else "HEAD"
    assert git(demo, "rev-parse", before) == git(again, "rev-parse", before)


@pytest.mark.slow  # reads the whole demo (150 clients): make test-all
def test_the_caseload_is_a_year_of_fictional_clients_shared_by_the_case_managers(demo: Path) -> None:
    repo = open_repo(demo, environ={"CASEFLOW_TODAY": morning(demo)})
    ids = generated(demo)
    assert len(ids) == CLIENTS
    records = [repo.client_record(c) for c in ids]
    for record in records:
        given, family = str(record["name"]).split()
        assert given in GIVEN and family in FAMILY
    intakes = sorted(dt.date.fromisoformat(str(r["intake_date"])) for r in records)
    today = dt.date.fromisoformat(morning(demo))
    assert (today - intakes[0]).days <= 366 and (today - intakes[-1]).days <= 14
    assert len({d.strftime("%Y-%m") for d in intakes}) >= 12  # every month of the year
    workers = Counter(r["assigned_worker"] for r in records)
    assert set(workers) == {"casey", "robin"} and min(workers.values()) >= CLIENTS // 3
    stages = Counter(r["stage"] for r in records)
    assert {"evaluation", "planning", "active", "discharged"} <= set(stages)
    assert stages["active"] > stages["planning"]


@pytest.mark.slow  # reads the whole demo (150 clients): make test-all
def test_the_caseload_is_valid_and_its_history_keeps_the_authority_rules(
    demo: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    assert open_repo(demo, environ={}).validate().problems == []
    verified = invoke_caseflow("verify", cwd=demo, env={"CASEFLOW_USER": "casey"}).assert_success()
    assert "keep every rule" in verified.stdout + verified.stderr
    # Stage changes are `advance` commits by the client's worker; approvals are the supervisor's commits.
    subjects = Counter(git(demo, "log", "--format=%an|%s", "--", f"clients/{generated(demo)[0]}").splitlines())
    assert any(line.startswith("Sam Whitfield|approve") for line in subjects)
    assert all(not line.startswith("Sam Whitfield|advance") for line in subjects)


def cells(rendered: str) -> dict[str, list[list[str]]]:
    """The CSV report's tables, by title."""
    tables: dict[str, list[list[str]]] = {}
    rows = list(csv.reader(io.StringIO(rendered)))
    title = None
    for row in rows:
        if not row:
            title = None
        elif title is None:
            title = row[0]
            tables[title] = []
        else:
            tables[title].append(row)
    return tables


def shown(value: int) -> str:
    return str(value) if value >= SMALL or value == 0 else "<11"


@pytest.mark.slow  # reads the whole demo (150 clients): make test-all
def test_the_funder_summary_shows_the_caseload_s_figures(demo: Path, invoke_caseflow: Callable[..., Result]) -> None:
    start, end = report_start(demo), morning(demo)
    env = {"CASEFLOW_TODAY": end}
    out = invoke_caseflow(
        "--as", "dana", "report", "funder-summary", "--from", start, "--format", "csv", cwd=demo, env=env
    )
    tables = cells(out.assert_success().stdout)
    found = documents(demo)

    def within(day: Any) -> bool:
        return start <= str(day) <= end

    records = found["core.client"]
    discharged = [r for r in records if r["stage"] == "discharged" and within(r["stage_history"][-1]["on"])]
    glance = {row[0]: row[1] for row in tables["The period at a glance"][1:]}
    assert glance["new clients"] == shown(sum(1 for r in records if within(r["intake_date"])))
    assert glance["clients discharged"] == shown(len(discharged))
    assert glance["contacts"] == shown(sum(1 for v in found["core.visit"] if within(v["date"])))
    assert all(value.isdigit() and int(value) >= SMALL for value in glance.values())  # real figures

    sent: Counter[str] = Counter()
    done: Counter[str] = Counter()
    for referral in found["core.referral"]:
        statuses = {h["status"]: str(h["on"]) for h in referral.get("history") or []}
        if within(statuses.get("requested", "")):
            sent[referral["category"]] += 1
            done[referral["category"]] += "completed" in statuses
    by_category = {row[0]: row for row in tables["Referrals sent in the period, by service category"][1:]}
    assert set(sent) <= set(by_category) and len(sent) >= 4
    for category, count in sent.items():
        assert by_category[category][1] == shown(count)
        assert by_category[category][3] in (shown(done[category]), "*")
    assert by_category["all"][1] == str(sum(sent.values()))

    outcome_table = next(rows for title, rows in tables.items() if title.startswith("Baseline and latest"))
    outcomes = {row[0]: row for row in outcome_table[1:]}
    for form, name in (("instruments.phq9", "PHQ-9"), ("instruments.gad7", "GAD-7")):
        given: dict[str, list[tuple[str, int]]] = {}
        for screening in found[form]:
            if str(screening["date"]) <= end:
                given.setdefault(str(screening["client"]), []).append(
                    (str(screening["date"]), screening["result"]["total"])
                )
        pairs = [(min(s)[1], max(s)[1]) for s in given.values() if len(s) >= 2 and within(max(s)[0])]
        responded = sum(1 for first, last in pairs if first > 0 and (first - last) * 2 >= first)
        assert outcomes[name][1] == shown(len(pairs)) and len(pairs) >= SMALL
        assert outcomes[name][4] == shown(responded)
        assert float(outcomes[name][3]) < float(outcomes[name][2])  # scores mostly improve
        assert responded < len(pairs)  # ...not all of them


@pytest.mark.slow  # reads the whole demo (150 clients): make test-all
def test_the_caseload_report_counts_each_worker_s_open_cases(
    demo: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    env = {"CASEFLOW_TODAY": morning(demo)}
    out = invoke_caseflow("--as", "sam", "report", "caseload", "--format", "csv", cwd=demo, env=env).assert_success()
    rows = {row[0]: row for row in next(iter(cells(out.stdout).values()))[1:]}
    records = [load_plain("c.yaml", (demo / "clients" / c / "client.yaml").read_bytes())[0] for c in client_ids(demo)]
    for worker in ("casey", "robin"):
        open_cases = sum(1 for r in records if r["assigned_worker"] == worker and r["stage"] != "discharged")
        assert rows[worker][1] == shown(open_cases) and open_cases >= SMALL


@pytest.mark.slow  # reads the whole demo (150 clients): make test-all
def test_the_demo_s_funder_summary_page_draws_its_charts(demo: Path) -> None:
    page = (demo / ".caseflow" / "reports" / "funder-summary.html").read_text()
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', page)]
    assert len(widths) >= 8 and sum(1 for w in widths if w > 0) >= 8
    assert report_start(demo) in page
