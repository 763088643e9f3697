"""*Review*: the queue, the semantic diff before and after, approve and send back as the CLI does."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.web.conftest import Browser

CLIENT = "C-4HX8TB"  # a demo client (fictional) in planning, her plan awaiting approval
PLAN = f"/review/{CLIENT}/plan.yaml"


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def access_log(root: Path) -> str:
    log = root / ".caseflow" / "access.log"
    return log.read_text() if log.exists() else ""


def test_the_queue_lists_the_demo_plan_awaiting_sam(web) -> None:
    browser: Browser = web("sam")
    shown = browser.get("/review")
    assert shown.status_code == 200
    assert f'href="{PLAN}"' in shown.text and "robin" in shown.text and "never approved" in shown.text
    assert "review queue" in access_log(browser.root)
    unknown = browser.get("/review?worker=nobody")
    assert unknown.status_code == 400 and "no staff member" in unknown.text


def test_the_diff_shows_each_field_before_and_after_and_is_recorded(web) -> None:
    browser: Browser = web("sam")
    shown = browser.get(PLAN)
    assert shown.status_code == 200
    assert ">Before<" in shown.text and ">After<" in shown.text
    assert "Plan review date" in shown.text and "2026-11-18" in shown.text
    assert "Stay sober and build a recovery routine" in shown.text  # a goal, shown whole
    assert "style=" not in shown.text
    assert "review plan.yaml" in access_log(browser.root) and CLIENT in access_log(browser.root)
    assert browser.get(f"/review/{CLIENT}/goals/%2E%2E/%2E%2E/%2E%2E/caseflow.yaml").status_code == 400
    assert browser.get("/review/C-NOPE99/plan.yaml").status_code in (400, 404)


def test_sam_approves_with_a_comment_in_one_commit_by_sam(web) -> None:
    browser: Browser = web("sam")
    before = head(browser.root)
    browser.get(PLAN)
    done = browser.post(PLAN, {"decision": "approve", "comment": "Clear goals, good work."})
    assert done.status_code == 303 and done.headers["location"] == "/review"
    log = git(browser.root, "log", "--format=%an|%s|%(trailers:key=Caseflow-Action,valueonly)", f"{before}..HEAD")
    assert log.strip().splitlines()[0].startswith("Sam Whitfield|approve C-4HX8TB|approve")
    assert len(log.strip().splitlines()) == 1
    approvals = (browser.root / f"clients/{CLIENT}/approvals.yaml").read_text()
    assert "decision: approved" in approvals and "by: sam" in approvals and "Clear goals, good work." in approvals
    after = browser.get("/review")
    assert "Approved plan.yaml of C-4HX8TB" in after.text and f'href="{PLAN}"' not in after.text


def test_casey_may_not_approve_and_nothing_is_written(web) -> None:
    browser: Browser = web("casey")
    before = head(browser.root)
    shown = browser.get(PLAN)
    assert shown.status_code == 200 and "only supervisor, director may approve" in shown.text
    refused = browser.post(PLAN, {"decision": "approve", "comment": ""})
    assert refused.status_code == 403
    assert "casey is a case_manager; only supervisor, director may approve or reject" in refused.text
    assert head(browser.root) == before and not (browser.root / f"clients/{CLIENT}/approvals.yaml").exists()


def test_sending_back_needs_a_comment_then_is_one_commit(web) -> None:
    browser: Browser = web("sam")
    before = head(browser.root)
    browser.get(PLAN)
    refused = browser.post(PLAN, {"decision": "reject", "comment": "  "})
    assert refused.status_code == 400 and "a rejection needs a comment" in refused.text
    assert 'aria-invalid="true"' in refused.text and head(browser.root) == before
    sent = browser.post(PLAN, {"decision": "reject", "comment": "Add a date to goal 3."})
    assert sent.status_code == 303
    assert git(browser.root, "log", "--format=%an|%s", f"{before}..HEAD").splitlines() == [
        "Sam Whitfield|reject C-4HX8TB"
    ]


def test_a_version_changed_since_the_page_was_read_is_not_decided(web) -> None:
    browser: Browser = web("sam")
    before = head(browser.root)
    browser.get(PLAN)
    stale = browser.post(PLAN, {"decision": "approve", "blob": "0" * 40})
    assert stale.status_code == 409 and "changed since you opened it" in stale.text
    assert head(browser.root) == before
