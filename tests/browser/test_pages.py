"""The pages that exist, in a real browser: Today, Caseload, finding a client, the client page,
intake, the keyboard path through the frame, and the secret. Every page seen is screenshotted and
passes the accessibility scan (see conftest)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from caseflow.repo import open_repo
from tests.browser.conftest import head, new_commits

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PLANNING = "C-4HX8TB"  # demo client (fictional), in planning, robin's: her plan awaits approval
OWN = "C-7K2M9Q"  # demo client (fictional), casey's


def service(root: Path, person: str = "casey"):  # type: ignore[no-untyped-def]
    """The same repository through caseflow's own services: what the page should agree with."""
    return open_repo(root, environ={"CASEFLOW_USER": person})


def test_today_lists_the_persons_due_items(app) -> None:
    casey = app("casey")  # signing in lands on Today
    repo = service(casey.root)
    # Her clients' items and her households' (a household's id where a client's would be).
    due = repo.due(worker="casey")
    assert due, "the demo gives casey something due"
    page = casey.page
    assert page.get_by_role("heading", level=1).inner_text().startswith("Today")
    rows = page.locator("main table tbody tr")
    assert rows.count() == len(due)
    assert page.locator("main p.lead").inner_text().count(f"{len(due)} item") == 1
    clients = set(rows.locator("td:nth-child(2) a").all_inner_texts())
    assert clients == {entry.client for entry in due}
    overdue = sum(1 for entry in due if entry.days_overdue > 0)
    assert overdue and f"{overdue} overdue" in page.locator("main p.lead").inner_text()
    assert rows.locator("td:first-child .badge.bad", has_text="overdue").count() == overdue  # a word, not a colour
    assert page.get_by_role("link", name="Today").get_attribute("aria-current") == "page"


def test_caseload_filters_by_stage(app) -> None:
    casey = app("casey")
    casey.visit("/caseload", "caseload")
    page = casey.page
    everyone = service(casey.root).clients()
    assert page.locator("main table tbody tr").count() == len(everyone)

    page.get_by_label("Stage").select_option("planning")
    casey.click_to(page.get_by_role("button", name="Filter"), "caseload-planning")
    assert "stage=planning" in page.url
    planning = [row["id"] for row in service(casey.root).clients(stage="planning")]
    assert 0 < len(planning) < len(everyone)
    rows = page.locator("main table tbody tr")
    assert rows.locator("td:first-child").all_inner_texts() == planning
    assert set(rows.locator("td:nth-child(3)").all_inner_texts()) == {"planning"}
    assert page.get_by_label("Stage").input_value() == "planning"  # the filter stays chosen


def test_finding_a_client_by_name_posts_it_and_shows_the_client(app) -> None:
    casey = app("casey")
    casey.visit("/caseload", "caseload")
    page = casey.page
    page.get_by_label("Name or phone").fill("duarte")
    with page.expect_request(lambda request: request.method == "POST") as sent:
        casey.click_to(page.get_by_role("button", name="Find"), "found")
    assert "duarte" in (sent.value.post_data or "").lower()  # the name went in the body...
    assert "duarte" not in page.url.lower()  # ...and never in the address
    assert page.get_by_role("heading", name="Found 1").is_visible()
    row = page.locator("main table tbody tr")
    assert row.count() == 1 and "Mariela Duarte Ochoa" in row.inner_text()
    casey.click_to(row.get_by_role("link", name=OWN), "client")
    assert page.url.endswith(f"/clients/{OWN}")
    assert "Mariela Duarte Ochoa" in page.get_by_role("heading", level=1).inner_text()


def test_the_client_page_shows_what_is_missing_and_advance_is_disabled(app) -> None:
    casey = app("casey")
    casey.visit(f"/clients/{PLANNING}", "client-planning")
    page = casey.page
    evaluation = service(casey.root).workflow.evaluate(PLANNING)
    assert not evaluation.ok and evaluation.missing()
    card = page.locator("section.card", has=page.get_by_role("heading", name=f"Next stage: {evaluation.target}"))
    missing = card.locator("li", has=page.locator(".badge", has_text="missing"))
    assert [re.sub(r"^missing\s+", "", text) for text in missing.all_inner_texts()] == evaluation.missing()
    advance = card.get_by_role("button", name=f"Advance to {evaluation.target}")
    assert advance.is_disabled()
    # Closing the case has its own form, labelled, with what each reason needs; flags can be set.
    assert page.get_by_label("Why the case closes").is_visible()
    assert page.get_by_role("button", name="Close the case").is_enabled()
    assert page.get_by_role("heading", name="Risk flags").is_visible()
    # The timeline came in after the page (htmx): the demo's own history of this client.
    assert page.get_by_role("table", name=re.compile("Changes to this client")).locator("tbody tr").count() > 1


def test_intake_lands_on_the_new_clients_page_as_one_commit_by_casey(app) -> None:
    casey = app("casey")
    before = head(casey.root)
    casey.visit("/intake", "intake")
    page = casey.page
    page.get_by_label("Full name").fill("Tessa Quill Example")
    page.get_by_label("Birth date").fill("1991-02-03")
    page.get_by_label("Phone (optional)").fill("(573) 555-0100")
    assert page.get_by_label("Case manager").input_value() == "casey"
    casey.click_to(page.get_by_role("button", name="Start intake"), "new-client")
    found = re.search(r"/clients/(C-[0-9A-Z]+)$", page.url)
    assert found, page.url
    client_id = found.group(1)
    assert "Tessa Quill Example" in page.get_by_role("heading", level=1).inner_text()
    assert page.get_by_role("status").filter(has_text=f"New client {client_id} is in intake.").is_visible()
    commits = new_commits(casey.root, before)
    assert len(commits) == 1, commits
    author, email, subject = commits[0]
    assert (author, email) == ("Casey Rivera", "casey@riverbend.example")
    assert client_id in subject and "Tessa" not in subject
    record = service(casey.root).client_record(client_id)
    assert record["name"] == "Tessa Quill Example" and record["assigned_worker"] == "casey"


def test_the_keyboard_reaches_the_skip_link_and_the_main_nav_with_a_visible_focus(app) -> None:
    casey = app("casey")
    page = casey.page
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["text"] == "Skip to content" and skip["visible"] and skip["outline"], skip
    casey.look("focus-skip-link")
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        now = focused(page)
        assert now["visible"] and now["outline"], now
        seen.append(now["text"])
        if now["text"] == "Sync":
            break
    assert seen[0].startswith("caseflow"), seen  # the brand: a link to Today
    assert seen[1:] == ["Today", "Caseload", "New client", "Review", "Reports", "Sync"], seen
    casey.look("focus-main-nav")
    # Back to the top: the skip link takes the focus past the header to the page's own content.
    for _ in range(len(seen)):
        page.keyboard.press("Shift+Tab")
    assert focused(page)["text"] == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    casey.look("skipped-to-main")


def focused(page) -> dict:  # type: ignore[no-untyped-def]
    """What has the keyboard focus: its text, whether it is on screen, and whether its focus ring shows."""
    return page.evaluate(
        """() => {
        const el = document.activeElement;
        const box = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        return {
            text: el.innerText.trim(),
            visible: box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0
                && box.left < innerWidth && box.top < innerHeight,
            outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
        };
    }"""
    )


def test_a_wrong_secret_is_refused(app, open_context) -> None:
    casey = app("casey")
    stranger = open_context().new_page()  # another browser profile: no session cookie
    refused = stranger.goto(casey.url("/?token=not-the-secret"))
    assert refused is not None and refused.status == 403
    assert "secret" in stranger.inner_text("body")
    assert not [c for c in stranger.context.cookies() if c["name"] == "caseflow_session"]
    nothing = stranger.goto(casey.url(f"/clients/{PLANNING}"))
    assert nothing is not None and nothing.status == 403
    assert "Korhonen" not in stranger.inner_text("body")
    # The refusal is plain text (security.py), not one of the app's pages: no accessibility scan here
    # (axe would ask a plain-text answer for a <title> and a lang), but its picture is kept.
    stranger.screenshot(path=casey.shots.next("stranger", "refused"))
    # casey's own session is untouched.
    casey.visit("/caseload", "caseload-still-signed-in")


def test_two_people_on_two_clones_each_with_their_own_server(app, shared_demo) -> None:
    """What the whole journey stands on: casey and sam each serve their own clone of one shared
    remote; what casey does in her browser reaches sam's through `caseflow sync`."""
    clones = shared_demo("casey", "sam")
    casey = app("casey", root=clones["casey"])
    sam = app("sam", root=clones["sam"])
    assert casey.server.base != sam.server.base
    assert "Sam Whitfield" in sam.page.locator(".who").inner_text()

    casey.visit("/intake", "intake")
    casey.page.get_by_label("Full name").fill("Orla Fenwick Example")
    casey.page.get_by_label("Birth date").fill("1988-07-09")
    casey.click_to(casey.page.get_by_role("button", name="Start intake"), "new-client")
    client_id = casey.page.url.rsplit("/", 1)[1]
    casey.caseflow("sync").assert_success()

    sam.visit("/caseload", "caseload-before-sync")
    assert sam.page.get_by_role("link", name=client_id).count() == 0
    sam.caseflow("sync").assert_success()
    sam.visit("/caseload", "caseload-after-sync")
    assert sam.page.get_by_role("row", name=re.compile(client_id)).inner_text().count("Orla Fenwick Example") == 1
    # A session opened on one server is nothing on the other.
    crossed = casey.page.goto(sam.url("/caseload"))
    assert crossed is not None and crossed.status == 403
    casey.look("casey-on-sams-server", accessible=False)  # the plain-text refusal (see the wrong-secret test)


def test_todays_read_the_report_link_opens_follow_up_where_it_is_marked_read(app) -> None:
    casey = app("casey")
    page = casey.page
    link = page.get_by_role("link", name="Read the report").first
    target = link.get_attribute("href")
    assert target and target.endswith("/followup#h-reports")
    casey.visit(target, "follow-up")  # screenshotted and scanned by axe
    before = head(casey.root)
    page.get_by_role("button", name="Mark read").first.click()
    casey.look("marked read")
    assert "marked read" in page.locator("main").inner_text()
    commits = new_commits(casey.root, before)
    assert len(commits) == 1 and commits[0][0] == "Casey Rivera" and "ack" in commits[0][2]
    assert page.get_by_role("button", name="Mark read").count() == 0
