"""*Import*: a director uploads a CSV and a mapping, sees the dry run, then imports (one commit per
client); nobody else may, nothing is written by the dry run or by a refused import."""

from __future__ import annotations

import re

from caseflow.repo import open_repo
from caseflow.testing import git
from tests.importing.test_import import CSV, MAPPING
from tests.web.conftest import Browser


def upload(browser: Browser, csv_text: str, mapping: str):  # type: ignore[no-untyped-def]
    browser.get("/import")
    return browser.client.post(
        "/import/check",
        data={"csrftoken": browser.token},
        files={"csv": ("clients.csv", csv_text.encode(), "text/csv"), "mapping": ("map.yaml", mapping.encode())},
        follow_redirects=False,
    )


def state(browser: Browser) -> tuple[str, str]:
    return git(browser.root, "rev-parse", "HEAD"), git(browser.root, "status", "--porcelain")


def test_a_director_sees_the_dry_run_then_imports(web) -> None:
    browser: Browser = web("dana")
    assert 'href="/import"' in browser.get("/").text  # in the navigation for a director
    assert browser.get("/import").status_code == 200
    before = state(browser)
    shown = upload(browser, CSV, MAPPING)
    assert shown.status_code == 200, shown.text
    assert "2 clients would be created" in shown.text
    assert "clients.csv rows 2, 3" in shown.text and "core.visit" in shown.text
    assert "Ana Example" not in shown.text
    assert state(browser) == before  # the dry run wrote nothing
    found = re.search(r'name="upload" value="([^"]+)"', shown.text)
    assert found is not None
    key = found.group(1)
    done = browser.post("/import/run", {"upload": key})
    assert done.status_code == 303 and done.headers["location"] == "/caseload"
    after = git(browser.root, "log", "--format=%an|%s", f"{before[0].strip()}..HEAD").splitlines()
    assert len(after) == 2 and all(line.startswith("Dana Mbeki|import C-") for line in after)
    assert "Imported 2 clients, one commit each" in browser.get("/caseload").text
    assert open_repo(browser.root, environ={}).validate().ok
    again = browser.post("/import/run", {"upload": key})  # the files were used: not imported twice
    assert again.status_code == 400 and "upload them again" in again.text


def test_a_record_that_does_not_fit_is_shown_and_nothing_can_be_imported(web) -> None:
    browser: Browser = web("dana")
    before = state(browser)
    shown = upload(browser, CSV.replace("12/24/1985", "02/30/1985"), MAPPING)
    assert shown.status_code == 400
    assert "clients.csv:4:3: row 4, column &#39;DOB&#39;: not a date in the format %m/%d/%Y" in shown.text
    assert 'action="/import/run"' not in shown.text
    bad_mapping = upload(browser, CSV, MAPPING.replace("core.visit", "core.nothing"))
    assert bad_mapping.status_code == 400 and "map.yaml:11:11: unknown form" in bad_mapping.text
    assert state(browser) == before


def test_only_directors_and_admins_import(web) -> None:
    browser: Browser = web("casey")
    assert 'href="/import"' not in browser.get("/").text
    assert browser.get("/import").status_code == 403
    before = state(browser)
    assert upload(browser, CSV, MAPPING).status_code == 403
    assert state(browser) == before


def test_an_upload_without_the_csrf_token_is_refused(web) -> None:
    browser: Browser = web("dana")
    refused = browser.client.post(
        "/import/check",
        files={"csv": ("clients.csv", CSV.encode(), "text/csv"), "mapping": ("map.yaml", MAPPING.encode())},
    )
    assert refused.status_code == 403
