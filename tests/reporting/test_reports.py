"""Reports: small-cell suppression (with what would reveal a cell), roles, the record, the formats."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from caseflow import NotAllowed, Report, ReportInputs, Table, hookimpl
from caseflow.reporting.model import suppress
from caseflow.reporting.run import period, run_report
from caseflow.testing import Result, registered_plugin
from tests.samples import CLIENT, CLIENT_YAML


def test_small_counts_and_what_would_reveal_them_are_suppressed() -> None:
    table = Table(
        "t",
        ["group", "a", "b", "rate"],
        [["x", 3, 40, "7%"], ["y", 25, 30, "45%"], ["all", 28, 70, "29%"]],
        counts=["a", "b"],
        total_row=True,
        derived={"rate": ["a"]},
    )
    shown = suppress(table)
    # x.a is small; y.a would follow from the total (28 - 3), so it is hidden too, as are their rates
    assert shown.rows == [["x", "<11", 40, "*"], ["y", "*", 30, "*"], ["all", 28, 70, "29%"]]
    assert suppress(Table("t", ["g", "n"], [["x", 0], ["y", 12]], counts=["n"])).rows == [["x", 0], ["y", 12]]


def test_a_row_sum_protects_its_parts_with_non_zero_cells() -> None:
    table = Table(
        "t",
        ["month", "office", "home", "hospital", "all"],
        [["2026-01", 40, 3, 0, 43]],
        counts=["office", "home", "hospital", "all"],
        sums={"all": ["office", "home", "hospital"]},
    )
    # hiding the 0 would not help (hidden cells would still add up to 3): the 40 goes, never shown as <11
    assert suppress(table).rows == [["2026-01", "*", "<11", 0, 43]]


def test_the_caseload_stage_counts_cannot_be_subtracted_from_the_client_count() -> None:
    table = Table(
        "t",
        ["worker", "clients", "intake", "active"],
        [["casey", 30, 3, 27]],
        counts=["clients", "intake", "active"],
        sums={"clients": ["intake", "active"]},
    )
    assert suppress(table).rows == [["casey", 30, "<11", "*"]]


@pytest.mark.parametrize(
    ("month", "start", "end", "expected"),
    [("2026-02", None, None, ("2026-02-01", "2026-02-28")), (None, None, None, ("2026-03-01", "2026-03-10"))],
)
def test_periods(month: str | None, start: str | None, end: str | None, expected: tuple[str, str]) -> None:
    import datetime as dt

    first, last = period(dt.date(2026, 3, 10), month, start, end)
    assert (first.isoformat(), last.isoformat()) == expected


class LeakyReport:
    @hookimpl
    def register_reports(self) -> list[Report]:
        def build(inputs: ReportInputs) -> Mapping[str, Any]:
            return {"tables": [Table("ids", ["client"], [[c.client_id] for c in inputs.cases])]}

        return [Report("test.leaky", "Leaky", "names clients by mistake", build)]


def test_a_de_identified_report_that_would_name_a_client_is_refused(case_repo: Callable[..., Path]) -> None:
    path = case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML})
    repo = registered_plugin(path, LeakyReport())
    with pytest.raises(Exception, match="would name a client"):
        run_report(repo, repo.actor("sam"), "test.leaky")


def test_identified_reports_need_a_role_and_are_recorded(
    case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result], tmp_path: Path
) -> None:
    path = case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML.replace("stage: intake", "stage: active")})
    repo = registered_plugin(path)
    with pytest.raises(NotAllowed, match="only supervisor, director may run it"):
        run_report(repo, repo.actor("casey"), "caseload-list")
    out = tmp_path / "list.html"
    invoke_caseflow(
        "--repo", path, "--as", "sam", "report", "caseload-list", "--format", "html", "--out", out
    ).assert_success()
    assert CLIENT in out.read_text() and out.stat().st_mode & 0o777 == 0o600
    audit = json.loads(invoke_caseflow("--repo", path, "audit", "--verify", "--json").stdout)
    assert [(e["who"], e["action"], e["clients"]) for e in audit["entries"]] == [
        ("sam", "report core.caseload-list", [CLIENT])
    ]


def test_the_html_report_is_one_self_contained_page(
    case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    path = case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML.replace("stage: intake", "stage: active")})
    html = (
        invoke_caseflow("--repo", path, "--as", "sam", "report", "caseload", "--format", "html").assert_success().stdout
    )
    assert html.startswith("<!doctype html>") and "<svg" in html and "<11" not in html  # escaped in HTML
    assert "&lt;11" in html and "http://" not in html and "https://" not in html and "<script" not in html
    assert CLIENT not in html and "Ana Example" not in html


def test_an_agency_template_cannot_link_to_files_elsewhere(
    case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    path = case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML})
    (path / "templates/reports").mkdir(parents=True)
    (path / "templates/reports/standard.md.j2").symlink_to("/etc/hostname")
    refused = invoke_caseflow("--repo", path, "--as", "sam", "report", "caseload")
    assert refused.exit_code == 1 and "was not found" in refused.stderr and refused.stdout == ""
