"""The frame every page sits in: the secret, the session cookie, CSRF, the headers, errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

from starlette.testclient import TestClient

from tests.web.conftest import BASE, Browser, serve

CLIENT = "C-4HX8TB"  # a demo client (fictional)


def head(root: Path) -> str:
    return subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True).stdout


def test_the_secret_opens_a_strict_httponly_session_and_leaves_the_url(demo_repo) -> None:
    client, sessions = serve(demo_repo(), "casey")
    first = client.get(f"/?token={sessions.secret}", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/"  # the secret does not stay in the address bar
    cookie = first.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert client.get("/").status_code == 200


def test_without_the_secret_nothing_is_served(demo_repo) -> None:
    client, _ = serve(demo_repo(), "casey")
    for url in ("/", "/caseload", f"/clients/{CLIENT}", "/calendar.ics"):
        refused = client.get(url)
        assert refused.status_code == 403, url
        assert "caseflow serve" in refused.text
    wrong = client.get("/?token=not-the-secret", follow_redirects=False)
    assert wrong.status_code == 403
    assert "set-cookie" not in wrong.headers
    forged = TestClient(client.app, base_url=BASE, cookies={"caseflow_session": "made-up"})
    assert forged.get("/").status_code == 403


def test_a_write_without_the_csrf_token_is_refused_and_changes_nothing(web) -> None:
    browser: Browser = web("casey")
    before = head(browser.root)
    refused = browser.post("/intake", {"name": "Tess Example", "dob": "1991-02-03", "worker": "casey"}, csrf=False)
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    wrong = browser.client.post(
        "/intake", data={"csrftoken": "forged", "name": "Tess Example", "dob": "1991-02-03"}, follow_redirects=False
    )
    assert wrong.status_code == 403
    assert head(browser.root) == before


def test_every_answer_carries_a_csp_without_inline_script(web) -> None:
    browser = web("casey")
    for url in ("/", f"/clients/{CLIENT}", "/nowhere"):
        headers = browser.get(url).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"
    page = browser.get(f"/clients/{CLIENT}").text
    assert "<script>" not in page and " on" + "click=" not in page and "style=" not in page


def test_intake_in_the_browser_is_one_commit_by_the_person_and_no_name_in_any_url(web) -> None:
    browser = web("casey")
    before = head(browser.root)
    browser.get("/intake")
    made = browser.post("/intake", {"name": "Tess Example", "dob": "1991-02-03", "worker": "casey"})
    assert made.status_code == 303
    client_id = made.headers["location"].rsplit("/", 1)[1]
    assert client_id.startswith("C-") and "Tess" not in made.headers["location"]
    log = subprocess.run(
        ["git", "-C", str(browser.root), "log", "--format=%an|%s", f"{before.strip()}..HEAD"],
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    assert len(log) == 1 and log[0].startswith("Casey")
    assert "Tess" not in log[0]
    shown = browser.get(made.headers["location"])
    assert "Tess Example" in shown.text and "is in intake" in shown.text


def test_a_refused_intake_keeps_what_was_typed(web) -> None:
    browser = web("casey")
    before = head(browser.root)
    browser.get("/intake")
    refused = browser.post("/intake", {"name": "Tess Example", "dob": "not a date", "worker": "casey"})
    assert refused.status_code == 400
    assert 'value="Tess Example"' in refused.text and "not a date" in refused.text
    assert head(browser.root) == before


def test_unknown_and_path_like_client_ids_are_refused(web) -> None:
    browser = web("casey")
    assert browser.get("/clients/C-ZZZZZZ").status_code == 404
    for bad in ("../caseflow.yaml", "..%2F..%2Fetc", "c-4hx8tb", "C-4HX8TB%00"):
        answer = browser.get(f"/clients/{bad}")
        assert answer.status_code in (400, 404), bad
    escaped = browser.get(f"/clients/{CLIENT}/documents/../../caseflow.yaml")
    assert escaped.status_code in (400, 404)


def test_an_oversized_request_is_refused_before_it_is_read(web) -> None:
    browser = web("casey")
    before = head(browser.root)
    big = browser.post("/intake", {"name": "x" * (3 * 1024 * 1024), "dob": "1991-02-03"})
    assert big.status_code == 413
    assert head(browser.root) == before


def test_a_client_page_view_is_in_the_access_record(web) -> None:
    browser = web("sam")
    assert browser.get(f"/clients/{CLIENT}").status_code == 200
    log = (browser.root / ".caseflow" / "access.log").read_text()
    last = log.strip().splitlines()[-1]
    assert '"who": "sam"' in last.replace('":"', '": "') and CLIENT in last


def test_advance_is_offered_only_when_nothing_is_missing(web) -> None:
    browser = web("casey")
    page = browser.get(f"/clients/{CLIENT}").text
    assert "not approved yet" in page
    assert "disabled" in page.split("Advance to")[0].rsplit("<button", 1)[1]
    before = head(browser.root)
    refused = browser.post(f"/clients/{CLIENT}/advance", {})
    assert refused.status_code == 400 and "approved" in refused.text
    assert head(browser.root) == before


def test_pages_answer(web) -> None:
    browser = web("casey")
    for url in ("/", "/caseload", "/caseload?stage=planning", "/intake", f"/clients/{CLIENT}/timeline"):
        assert browser.get(url).status_code == 200, url
    assert browser.get("/caseload?stage=bogus").status_code == 400
    calendar = browser.get("/calendar.ics")
    assert calendar.headers["content-type"].startswith("text/calendar") and b"BEGIN:VCALENDAR" in calendar.content


def test_find_a_client_by_name_is_a_post_and_shows_only_allowed_names(web) -> None:
    browser = web("sam")  # a supervisor: may see every name
    browser.get("/caseload")
    found = browser.post("/caseload/find", {"name": "bethany", "dob": ""})
    assert found.status_code == 200 and CLIENT in found.text and "Bethany" in found.text
    assert browser.get("/caseload/find").status_code == 405  # never a GET: a name never rides in a URL
