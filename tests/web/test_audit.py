"""The Audit page (in process): the access record as `caseflow audit` lists it, newest first,
filtered by client, and the checks `caseflow audit --verify` and `caseflow verify` run."""

from __future__ import annotations

from caseflow.repo import open_repo
from caseflow.testing import git
from tests.web.conftest import Browser

MARIELA = "C-7K2M9Q"  # a demo client (fictional)


def test_the_audit_page_lists_who_saw_a_record_as_the_command_does(web) -> None:
    sam: Browser = web("sam")
    assert 'href="/audit"' in sam.get("/").text  # a supervisor's navigation links it
    sam.get(f"/clients/{MARIELA}")  # views the record keeps
    assert sam.get(f"/clients/{MARIELA}/documents/plan.yaml").status_code == 200
    page = sam.get(f"/audit?client={MARIELA.lower()}")
    assert page.status_code == 200
    entries = open_repo(sam.root, environ={"CASEFLOW_USER": "sam"}).authority.access_entries(MARIELA)
    assert entries and f"{len(entries)} entries naming {MARIELA}" in page.text
    newest = entries[-1]
    assert newest.who == "sam" and newest.what == "document plan.yaml"
    rows = page.text.split("<tbody>", 1)[1]
    assert rows.index("document plan.yaml") < rows.index("client page")  # newest first
    assert "Duarte" not in page.text  # ids, never names
    everyone = sam.get("/audit").text
    assert "Everyone&#39;s" not in everyone and "entries" in everyone


def test_the_checks_run_from_the_page_and_nothing_is_written(web) -> None:
    dana: Browser = web("dana")
    before = git(dana.root, "rev-parse", "HEAD"), git(dana.root, "status", "--porcelain")
    access = dana.get("/audit?check=access")
    assert access.status_code == 200 and "Intact:" in access.text
    history = dana.get("/audit?check=history")
    assert history.status_code == 200 and "commits keep every rule" in history.text
    assert (git(dana.root, "rev-parse", "HEAD"), git(dana.root, "status", "--porcelain")) == before


def test_bad_input_is_refused_in_one_line(web) -> None:
    casey: Browser = web("casey")
    assert 'href="/audit"' not in casey.get("/").text  # not a case manager's daily page
    assert casey.get("/audit?client=../../etc").status_code == 400
    assert casey.get("/audit?client=C-ZZZZZZ").status_code == 404
    assert casey.get("/audit?check=everything").status_code == 400
    assert casey.get("/audit?page=x").status_code == 400
