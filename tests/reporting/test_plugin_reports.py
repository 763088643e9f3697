"""Plugin reports: every format through the standard templates unless the report ships its own,
short names when unambiguous, and what a template receives."""

from __future__ import annotations

import csv
import importlib
import io
import re
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow import CaseflowError, Report, ReportInputs, Table, hookimpl
from caseflow.reporting.run import TEMPLATE_VARIABLES, run_report
from caseflow.testing import Result, registered_plugin
from tests.samples import CLIENT, CLIENT_YAML

#: Clients with a housing assessment in October 2026 (opaque ids; fictional people).
ASSESSED = {
    "C-1A2B3C": ("unsheltered", True),
    "C-4D5E6F": ("renting", True),
    "C-7G8H9J": ("renting", False),
}


def assessment(client: str, situation: str, eviction: bool) -> str:
    return (
        f"form: riverbend.housing-assessment\nclient: {client}\ndate: 2026-10-14\nassessor: casey\n"
        f"living_situation: {situation}\neviction_notice: {str(eviction).lower()}\n"
    )


@pytest.fixture
def housing_repo(case_repo: Callable[..., Path]) -> Path:
    files: dict[str, str | bytes] = {}
    for client, (situation, eviction) in ASSESSED.items():
        record = CLIENT_YAML.replace(CLIENT, client).replace("Ana Example", f"Person {client[-3:]}")
        files[f"clients/{client}/client.yaml"] = record
        files[f"clients/{client}/evaluation/2026-10-14-housing-assessment.yaml"] = assessment(
            client, situation, eviction
        )
    return case_repo(files)


def test_the_riverbend_report_runs_by_its_short_name_in_every_format(
    housing_repo: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    def report(fmt: str) -> str:
        args = ("--repo", housing_repo, "--as", "sam", "report", "monthly-housing", "--period", "2026-10")
        return invoke_caseflow(*args, "--format", fmt).assert_success().stdout

    markdown = report("md")  # riverbend's own Markdown template
    assert markdown.startswith("# Housing assessments, October 2026 — ")
    assert "Fewer than 11 clients assessed" in markdown
    assert "| renting | <11 | <11 |" in markdown and "| all | <11 | <11 |" in markdown
    html = report("html")  # no HTML of its own: caseflow's standard page
    assert html.startswith("<!doctype html>") and "<h1>Housing assessments, October 2026</h1>" in html
    assert "Clients by living situation" in html and "&lt;11" in html
    rows = list(csv.reader(io.StringIO(report("csv"))))  # the standard CSV, from the tables
    assert rows[1] == ["living situation", "clients", "eviction notice"]
    assert rows[2:] == [["renting", "<11", "<11"], ["unsheltered", "<11", "<11"], ["all", "<11", "<11"]]
    for text in (markdown, html):
        assert not any(client in text for client in ASSESSED)


def test_an_agency_copy_of_a_plugin_template_comes_first(
    housing_repo: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    (housing_repo / "templates/riverbend").mkdir(parents=True)
    (housing_repo / "templates/riverbend/monthly-housing.html.j2").write_text("<p>{{ title }} for {{ agency }}</p>\n")
    args = ("--repo", housing_repo, "--as", "sam", "report", "riverbend.monthly-housing", "--period", "2026-10")
    html = invoke_caseflow(*args, "--format", "html").assert_success().stdout
    assert re.fullmatch(r"<p>Housing assessments, October 2026 for .+</p>\n", html)


def build(inputs: ReportInputs) -> dict[str, object]:
    return {"title": "Counted", "notes": ["a note"], "tables": [Table("t", ["g", "n"], [["x", 20]], counts=["n"])]}


class Summaries:
    """Two plugins' reports with the same short name, and one whose only template is HTML."""

    @hookimpl
    def register_reports(self) -> list[Report]:
        folder = Path(__file__).parent / "plugin_templates"
        return [
            Report("alpha.summary", "Alpha", "Alpha's summary.", build),
            Report("beta.summary", "Beta", "Beta's summary.", build),
            Report("beta.html-only", "HTML only", "Its own HTML.", build, template="beta/own", template_dir=folder),
            Report("beta.broken", "Broken", "Returns rows, not tables.", lambda inputs: {"tables": [["x", 1]]}),
        ]


def test_an_ambiguous_short_name_is_refused_naming_the_candidates(case_repo: Callable[..., Path]) -> None:
    repo = registered_plugin(case_repo(), Summaries())
    with pytest.raises(CaseflowError) as refused:
        run_report(repo, repo.actor("sam"), "summary")
    assert str(refused.value) == "report 'summary' is ambiguous: alpha.summary, beta.summary (give the full id)"
    assert run_report(repo, repo.actor("sam"), "alpha.summary").report.id == "alpha.summary"
    assert run_report(repo, repo.actor("sam"), "caseload").report.id == "core.caseload"  # still unambiguous


def test_a_report_with_only_its_own_html_renders_markdown_through_the_standard_one(
    case_repo: Callable[..., Path],
) -> None:
    repo = registered_plugin(case_repo(), Summaries())
    own = run_report(repo, repo.actor("sam"), "html-only", fmt="html").text
    assert own.startswith("<section>") and "every variable:" in own
    standard = run_report(repo, repo.actor("sam"), "html-only", fmt="md").text
    assert standard.startswith("# Counted\n") and "| x | 20 |" in standard


def test_every_documented_variable_reaches_a_report_template(case_repo: Callable[..., Path]) -> None:
    repo = registered_plugin(case_repo(), Summaries())
    text = run_report(repo, repo.actor("sam"), "beta.html-only", fmt="html").text
    shown = dict(re.findall(r"<li>(\w+)=([^<]*)</li>", text))
    assert sorted(shown) == sorted(TEMPLATE_VARIABLES)
    assert shown["title"] == "Counted" and shown["identified"] == "False" and shown["small_cell"] == "11"


def test_a_builder_returning_something_else_than_tables_is_named(case_repo: Callable[..., Path]) -> None:
    repo = registered_plugin(case_repo(), Summaries())
    with pytest.raises(CaseflowError, match=r"report beta.broken's builder returned list in tables, not a Table"):
        run_report(repo, repo.actor("sam"), "broken")


PLUGIN = """
from caseflow import Report, Table, hookimpl

@hookimpl
def register_reports():
    build = lambda inputs: {{"tables": [Table("t", ["g", "n"], [["x", 30]], counts=["n"])]}}
    return [Report("{namespace}.summary", "Summary", "A summary.", build)]
"""


def test_the_command_refuses_an_ambiguous_name_in_one_line(
    case_repo: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    invoke_caseflow: Callable[..., Result],
) -> None:
    site = tmp_path / "site"
    tag = tmp_path.name.replace("-", "_").lower()[-10:]
    for namespace in ("north", "south"):
        name = f"{namespace}{tag}"
        (site / f"caseflow_{name}.py").parent.mkdir(exist_ok=True)
        (site / f"caseflow_{name}.py").write_text(textwrap.dedent(PLUGIN.format(namespace=namespace)))
        dist = site / f"caseflow_{name}-1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: caseflow-{name}\nVersion: 1.0\n")
        (dist / "entry_points.txt").write_text(f"[caseflow]\n{name} = caseflow_{name}\n")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    path = case_repo()
    refused = invoke_caseflow("--repo", path, "--as", "sam", "report", "summary").assert_refused(1)
    assert refused.stderr == "error: report 'summary' is ambiguous: north.summary, south.summary (give the full id)\n"
    shown = invoke_caseflow("--repo", path, "--as", "sam", "report", "north.summary").assert_success().stdout
    assert shown.startswith("# Summary\n")
