"""*Reports*: the list, a de-identified report as the CLI writes it (its own CSP), downloads,
refusals, and identified reports only for the roles allowed, written to the access record."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from caseflow.repo import open_repo
from tests.web.conftest import Browser


def access_log(root: Path) -> str:
    log = root / ".caseflow" / "access.log"
    return log.read_text() if log.exists() else ""


def test_the_list_names_every_report_and_marks_those_naming_clients(web) -> None:
    browser: Browser = web("casey")
    shown = browser.get("/reports")
    assert shown.status_code == 200
    for title in ("core.caseload", "core.outcomes", "core.funder-summary", "core.caseload-list"):
        assert title in shown.text
    assert "names clients" in shown.text and "de-identified" in shown.text
    assert 'href="/reports/run?report=core.caseload-list' not in shown.text  # casey may not run it
    assert 'href="/reports/run?report=core.caseload&amp;action=view"' in shown.text


def test_a_de_identified_report_is_the_page_the_cli_writes_with_its_style_allowed_by_hash(web) -> None:
    browser: Browser = web("casey")
    shown = browser.get("/reports/run?report=core.caseload&month=2026-11&action=view")
    assert shown.status_code == 200
    repo = open_repo(browser.root, environ={"CASEFLOW_USER": "casey"})
    expected = repo.reporting.report(repo.actor(None), "core.caseload", fmt="html", month="2026-11").text
    assert shown.text == expected
    [style] = re.findall(r"<style>(.*?)</style>", shown.text, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = shown.headers["content-security-policy"]
    assert f"style-src 'sha256-{digest}'" in policy and "default-src 'none'" in policy
    assert "script" not in policy and "unsafe" not in policy and "x-caseflow-own-policy" not in shown.headers
    assert shown.headers["x-frame-options"] == "DENY" and shown.headers["cache-control"] == "no-store"
    assert "report core.caseload" not in access_log(browser.root)  # de-identified: no disclosure
    # every other page keeps the strict policy
    assert browser.get("/reports").headers["content-security-policy"].startswith("default-src 'none'; script-src")


def test_downloads_are_attachments_in_each_format(web) -> None:
    browser: Browser = web("sam")
    for fmt, media in (("html", "text/html"), ("md", "text/markdown"), ("csv", "text/csv")):
        got = browser.get(
            f"/reports/run?report=core.caseload&start=2026-11-01&end=2026-11-30&format={fmt}&action=download"
        )
        assert got.status_code == 200, fmt
        assert got.headers["content-type"].startswith(media)
        assert (
            got.headers["content-disposition"] == f'attachment; filename="core.caseload-2026-11-01-to-2026-11-30.{fmt}"'
        )
    assert got.text.splitlines()[1].count(",") >= 2  # a CSV table: its title, then its columns


def test_bad_choices_come_back_with_the_values_kept_and_the_error_at_its_field(web) -> None:
    browser: Browser = web("casey")
    both = browser.get("/reports/run?report=core.outcomes&month=2026-11&start=2026-11-03&action=view")
    assert both.status_code == 400 and 'id="rp-month-error"' in both.text
    assert 'value="2026-11-03"' in both.text and 'value="core.outcomes" selected' in both.text
    backwards = browser.get("/reports/run?report=core.outcomes&start=2026-11-20&end=2026-11-01&action=view")
    assert backwards.status_code == 400 and 'id="rp-end-error"' in backwards.text
    nobody = browser.get("/reports/run?report=core.outcomes&worker=nobody&action=view")
    assert nobody.status_code == 404 and 'id="rp-worker-error"' in nobody.text
    unknown = browser.get("/reports/run?report=core.nothing&action=view")
    assert unknown.status_code == 404 and "no report" in unknown.text


def test_an_identified_report_is_refused_to_casey_and_recorded_for_sam(web) -> None:
    casey: Browser = web("casey")
    refused = casey.get("/reports/run?report=core.caseload-list&action=view")
    assert refused.status_code == 403
    assert "core.caseload-list names clients; only supervisor, director may run it" in refused.text
    assert "core.caseload-list" not in access_log(casey.root)
    sam = web("sam", root=casey.root)
    shown = sam.get("/reports/run?report=core.caseload-list&action=view")
    assert shown.status_code == 200 and "C-4HX8TB" in shown.text
    assert '"who":"sam","action":"report core.caseload-list"' in access_log(sam.root)
    assert '"action":"report core.caseload-list"' not in access_log(sam.root).split('"who":"sam"')[0]


@pytest.mark.slow  # the whole demo served (150 clients): make test-all
def test_with_the_demo_s_year_of_caseload_the_director_s_summary_shows_figures_and_bars(web, demo_repo) -> None:
    """`make demo` builds 150 more clients behind the storied four: the funder summary a director
    opens shows their counts (not "<11" everywhere) and draws a bar for each."""
    root = demo_repo(caseload=True)
    browser: Browser = web("dana", root=root)
    url = "/reports/run?report=core.funder-summary&start=2025-11-17&end=2026-11-17&action=view"
    shown = browser.get(url)
    assert shown.status_code == 200
    [clients] = re.findall(r"<td>clients served</td>\s*<td>([^<]+)</td>", shown.text)
    assert clients.isdigit() and int(clients) >= 150
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', shown.text)]
    assert sum(1 for w in widths if w > 0) >= 8
    # The people's pages take the larger caseload in their stride.
    assert web("casey", root=root).get("/caseload").status_code == 200
    assert web("sam", root=root).get("/review").status_code == 200


def test_the_hmis_export_is_a_zip_download_for_the_roles_allowed_and_recorded_per_client(web) -> None:
    import csv
    import io
    import json
    import zipfile

    from caseflow.reporting import hmis_spec

    casey: Browser = web("casey")
    page = casey.get("/reports")
    assert "only supervisor, director may export" in page.text and 'action="/reports/export"' not in page.text
    period = "export_format=hmis&export_start=2026-01-01&export_end=2026-12-31"
    refused = casey.get(f"/reports/export?{period}")
    assert refused.status_code == 403 and "only supervisor, director may export" in refused.text
    assert "export hmis" not in access_log(casey.root)

    dana: Browser = web("dana", root=casey.root)
    assert 'action="/reports/export"' in dana.get("/reports").text
    got = dana.get(f"/reports/export?{period}")
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert got.headers["content-disposition"] == 'attachment; filename="hmis-2026-01-01-to-2026-12-31.zip"'
    archive = zipfile.ZipFile(io.BytesIO(got.content))
    assert archive.namelist() == list(hmis_spec.FILES)
    rows = list(csv.reader(io.StringIO(archive.read("Client.csv").decode())))
    assert tuple(rows[0]) == hmis_spec.CLIENT
    exported = sorted(row[0] for row in rows[1:])
    assert exported  # the demo's clients entered in 2026
    recorded = [json.loads(line) for line in access_log(casey.root).splitlines()]
    entries = [e for e in recorded if e["action"] == "export hmis"]
    assert sorted(c for e in entries for c in e["clients"]) == exported
    assert all(e["who"] == "dana" and len(e["clients"]) == 1 and e["what"] == "2026-01-01..2026-12-31" for e in entries)

    backwards = dana.get("/reports/export?export_format=hmis&export_start=2026-12-31&export_end=2026-01-01")
    assert backwards.status_code == 400 and "is after --to" in backwards.text
    missing = dana.get("/reports/export?export_format=hmis&export_start=2026-01-01")
    assert missing.status_code == 400 and "give the period&#39;s last day" in missing.text
