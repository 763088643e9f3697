"""*Sync*: the state of the clone, a sync through a bare remote, conflicts settled by "theirs" and
by a new value, refusals shown with nothing written."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from caseflow.testing import Result
from tests.web.conftest import Browser

CLIENT = "C-4HX8TB"  # a demo client (fictional), robin's
PLAN = f"clients/{CLIENT}/plan.yaml"


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout.strip()


def shared(browser: Browser, tmp_path: Path) -> Path:
    hub = tmp_path / "hub.git"
    branch = git(browser.root, "branch", "--show-current")
    subprocess.run(["git", "init", "-q", "--bare", "-b", branch, str(hub)], check=True)
    git(browser.root, "remote", "add", "origin", str(hub))
    return hub


def test_without_a_remote_the_page_says_so_and_a_sync_is_refused(web) -> None:
    browser: Browser = web("robin")
    shown = browser.get("/sync")
    assert shown.status_code == 200 and "no remote" in shown.text and "Nothing is left to settle" in shown.text
    before = git(browser.root, "rev-parse", "HEAD")
    refused = browser.post("/sync")
    assert refused.status_code == 400 and "no remote &#39;origin&#39;" in refused.text
    assert git(browser.root, "rev-parse", "HEAD") == before


def test_a_sync_pushes_to_the_bare_remote_and_reports_it_in_words(web, tmp_path: Path) -> None:
    browser: Browser = web("robin")
    hub = shared(browser, tmp_path)
    assert "never synced" in browser.get("/sync").text
    browser.get("/sync")
    done = browser.post("/sync")
    assert done.status_code == 303
    assert git(hub, "rev-parse", "HEAD") == git(browser.root, "rev-parse", "HEAD")
    after = browser.get("/sync")
    assert "commits to origin/" in after.text and "nothing to send" in after.text
    assert browser.post("/sync").status_code == 303
    assert "Up to date with origin/" in browser.get("/sync").text


def test_a_conflict_from_two_clones_is_listed_and_settled_by_theirs_and_by_a_new_value(
    web, tmp_path: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    browser: Browser = web("robin")
    hub = shared(browser, tmp_path)
    browser.get("/sync")
    assert browser.post("/sync").status_code == 303
    laptop = tmp_path / "laptop"
    invoke_caseflow("clone", hub, laptop).assert_success()
    shutil.copytree(browser.root / ".caseflow" / "keys", laptop / ".caseflow" / "keys")  # the demo's signing keys

    def edit(root: Path, *assignments: str) -> None:
        invoke_caseflow("--repo", root, "--as", "robin", "set", CLIENT, "plan.yaml", *assignments).assert_success()

    edit(laptop, "review_date=2026-12-01", "goals[g1].title=Sober and steady")
    invoke_caseflow("--repo", laptop, "--as", "robin", "sync").assert_success()
    edit(browser.root, "review_date=2026-12-15", "goals[g1].title=Stay sober, one day at a time")
    hub_head = git(hub, "rev-parse", "HEAD")

    browser.get("/sync")
    stopped = browser.post("/sync")
    assert stopped.status_code == 409 and f"Conflict in {PLAN}" in stopped.text
    listed = browser.get("/sync")
    assert "merge in progress" in listed.text
    assert "2026-12-01" in listed.text and "2026-12-15" in listed.text
    assert 'value="review_date"' in listed.text and 'value="goals[g1].title"' in listed.text
    assert "sync conflicts" in (browser.root / ".caseflow" / "access.log").read_text()

    # a new value that is empty, or that reads as a side, is refused with nothing written
    before = (browser.root / PLAN).read_bytes()
    empty = browser.post("/sync/resolve", {"path": PLAN, "field": "goals[g1].title", "take": "new", "value": " "})
    assert empty.status_code == 400 and "type the new value" in empty.text
    assert (browser.root / PLAN).read_bytes() == before
    unknown = browser.post("/sync/resolve", {"path": PLAN, "field": "nothing", "take": "mine"})
    assert unknown.status_code == 404

    theirs = browser.post("/sync/resolve", {"path": PLAN, "field": "review_date", "take": "theirs"})
    assert theirs.status_code == 303
    assert "review_date: 2026-12-01" in (browser.root / PLAN).read_text()
    new = browser.post(
        "/sync/resolve", {"path": PLAN, "field": "goals[g1].title", "take": "new", "value": "Stay sober together"}
    )
    assert new.status_code == 303
    assert "every conflict settled" in browser.get("/sync").text
    assert "title: Stay sober together" in (browser.root / PLAN).read_text()
    assert git(hub, "rev-parse", "HEAD") == hub_head  # settling writes no commit; the next sync does

    browser.get("/sync")
    assert browser.post("/sync").status_code == 303
    on_hub = git(hub, "show", f"HEAD:{PLAN}")
    assert "review_date: 2026-12-01" in on_hub and "title: Stay sober together" in on_hub
    assert git(hub, "log", "-1", "--format=%an") == "Robin Okafor"
