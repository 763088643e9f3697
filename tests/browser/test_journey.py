"""Issue 17 item 4: one new client's whole journey through the web app, two people, two clones,
two servers, real browsers (see the test's docstring)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest

from tests.browser.conftest import Person, head, new_commits

pytestmark = [pytest.mark.slow, pytest.mark.browser]

NAME = "Wren Halvorsen Example"  # fictional
WHO = {"casey": ("Casey Rivera", "casey@riverbend.example"), "sam": ("Sam Whitfield", "sam@riverbend.example")}


def one_commit(person: Person, before: str, *words: str) -> str:
    """Exactly one new commit in this person's clone, by this person, naming no client; returns the new HEAD."""
    commits = new_commits(person.root, before)
    assert len(commits) == 1, commits
    author, email, subject = commits[0]
    assert (author, email) == WHO[person.name], commits
    for part in NAME.split():
        assert part not in subject, subject
    for word in words:
        assert word in subject, subject
    return head(person.root)


def hub_head(hub: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(hub), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


def administer(person: Person, client: str, instrument: str) -> None:
    """Give an instrument item by item: the lowest answer to each question, Next, then save on the review page."""
    page = person.page
    person.visit(f"/clients/{client}/screen/{instrument}", instrument)
    asked = 0
    while page.locator("fieldset.question").count():
        asked += 1
        question = page.locator("fieldset.question")
        question.locator("input[type=radio]").first.check()
        person.click_to(page.get_by_role("button", name="Next"), f"{instrument}-q{asked}")
    assert asked > 1
    assert page.get_by_role("heading", name="Review the answers").is_visible()
    person.click_to(page.get_by_role("button", name="Save and score"), f"{instrument}-result")


def test_a_new_clients_journey_from_intake_to_a_sent_referral(app, shared_demo) -> None:
    """casey, in her browser on her own clone: intake of a new (fictional) client, a treatment
    consent, the intake interview, PHQ-9 and C-SSRS item by item, evaluation -> planning, a plan with
    two goals, sync. sam, on her own clone and server: sync, the review queue, the plan's diff,
    approve, sync. casey: sync, nothing missing, active; a contact takes the overdue item off Today;
    a referral drafted from a provider search is refused without a release (the reason shown), the
    release is recorded from the offered link, and the referral is sent. Every write is one commit by
    the acting person in her own clone, with no client name in its message."""
    clones = shared_demo("casey", "sam")
    casey = app("casey", root=clones["casey"])
    page = casey.page
    head_before = head(casey.root)
    casey.visit("/intake", "intake")
    page.get_by_label("Full name").fill(NAME)
    page.get_by_label("Birth date").fill("1990-04-05")
    page.get_by_label("Phone (optional)").fill("(573) 555-0142")
    casey.click_to(page.get_by_role("button", name="Start intake"), "new-client")
    client = page.url.rsplit("/", 1)[1]
    before = one_commit(casey, head_before, "intake")
    assert page.get_by_role("button", name="Advance to evaluation").is_disabled()
    assert page.locator("main li", has_text="treatment consent").locator(".badge", has_text="missing").count() == 1

    # A treatment consent (what `caseflow consent --treatment` records): intake needs it to move on.
    casey.visit(f"/clients/{client}/consents/new", "treatment-consent")
    page.get_by_label("Consent to services (treatment), not a release").check()
    casey.click_to(page.get_by_role("button", name="Record the consent"), "consent-recorded")
    before = one_commit(casey, before, "consent")
    casey.visit(f"/clients/{client}", "client-intake-ready")
    assert page.get_by_role("button", name="Advance to evaluation").is_enabled()
    casey.click_to(page.get_by_role("button", name="Advance to evaluation"), "client-evaluation")
    before = one_commit(casey, before)
    assert page.locator("main p.lead .badge").inner_text() == "evaluation"

    # The intake interview note.
    casey.visit(f"/clients/{client}/new/core.intake-interview", "interview")
    # Dated 40 days back (low risk: a contact every 30 days), so that a contact is overdue once active.
    today = dt.date.fromisoformat(page.get_by_label("Interview date").input_value())
    page.get_by_label("Interview date").fill((today - dt.timedelta(days=40)).isoformat())
    page.get_by_label("Referral source").fill("primary care")
    page.get_by_label("Presenting concerns").fill("low mood\npoor sleep")
    page.get_by_label("Note (Markdown)").fill("# Intake interview\n\nFictional client; talked about sleep and work.\n")
    casey.click_to(page.get_by_role("button", name="Save Intake interview note").last, "interview-saved")
    before = one_commit(casey, before)

    # PHQ-9 and C-SSRS, one question a page.
    administer(casey, client, "phq9")
    before = one_commit(casey, before)
    administer(casey, client, "cssrs")
    before = one_commit(casey, before)
    casey.visit(f"/clients/{client}", "client-evaluation-ready")
    assert page.get_by_role("button", name="Advance to planning").is_enabled()
    casey.click_to(page.get_by_role("button", name="Advance to planning"), "client-planning")
    before = one_commit(casey, before)
    casey.visit(f"/clients/{client}/edit/plan.yaml", "plan")
    for n in (1, 2):
        casey.click_to(page.get_by_role("button", name="Add another Goal"), f"plan-goal-{n}")
    for n in (0, 1):
        objectives = page.locator(f"#f-goals-{n}-objectives")
        casey.click_to(objectives.get_by_role("button", name="Add another Objective"), f"plan-goal-{n + 1}-objective")
    goals = [
        ("Sleep through most nights", "Keep a sleep diary for four weeks", "client"),
        ("Return to part-time work", "Meet the job coach twice", "casey"),
    ]
    for n, (goal, objective, responsible) in enumerate(goals):
        page.locator(f"#f-goals-{n}-title").fill(goal)
        page.locator(f"#f-goals-{n}-status").select_option("active")
        page.locator(f"#f-goals-{n}-target_date").fill("2027-03-01")
        page.locator(f"#f-goals-{n}-objectives-0-statement").fill(objective)
        page.locator(f"#f-goals-{n}-objectives-0-target_date").fill("2027-02-01")
        page.locator(f"#f-goals-{n}-objectives-0-responsible").fill(responsible)
    casey.click_to(page.get_by_role("button", name="Save changes").last, "plan-saved")
    before = one_commit(casey, before)
    casey.visit(f"/clients/{client}", "client-plan-awaits-approval")
    assert page.get_by_role("button", name="Advance to active").is_disabled()

    # casey sends her work out from the Sync page.
    casey.visit("/sync", "casey-sync")
    casey.click_to(page.get_by_role("button", name="Sync now"), "casey-synced")
    assert page.get_by_role("status").filter(has_text="Sent 8 commits to origin/main.").is_visible()
    assert head(clones["casey"]) == hub_head(clones["hub"])

    # sam, in her own browser on her own clone: sync, the review queue, the plan's diff, approve.
    sam = app("sam", root=clones["sam"])
    spage = sam.page
    sam.visit("/sync", "sam-sync")
    sam.click_to(spage.get_by_role("button", name="Sync now"), "sam-synced")
    assert head(clones["sam"]) == before
    assert spage.get_by_role("status").filter(has_text=f"Came in for {client}").is_visible()
    sam.visit("/forms", "forms")  # every form and who defines it (checked for accessibility as every page)
    assert spage.locator("main table tbody tr", has_text="agency.hmis-ude").count() == 1
    sam.visit(f"/audit?check=access&client={client}", "audit")  # who saw this client's record; the record intact
    assert spage.get_by_role("status").filter(has_text="Intact").is_visible()
    sam.visit("/review", "review-queue")
    row = spage.locator("main table tbody tr", has_text=client)
    assert row.count() == 1 and "plan.yaml" in row.inner_text()
    sam.click_to(row.get_by_role("link", name=re.compile("Review plan.yaml")), "review-plan")
    diff = spage.locator("table.review-diff")
    for goal, objective, _ in goals:
        assert goal in diff.inner_text() and objective in diff.inner_text()
    sam_before = head(sam.root)
    sam.click_to(spage.get_by_role("button", name="Approve plan.yaml"), "plan-approved")
    one_commit(sam, sam_before)
    sam.visit("/sync", "sam-sync-again")
    sam.click_to(spage.get_by_role("button", name="Sync now"), "sam-synced-again")
    assert head(clones["sam"]) == hub_head(clones["hub"])

    # casey takes sam's approval in; nothing is missing any more: active.
    casey.visit("/sync", "casey-sync-again")
    casey.click_to(page.get_by_role("button", name="Sync now"), "casey-synced-again")
    assert head(clones["casey"]) == head(clones["sam"])
    before = head(clones["casey"])
    casey.visit(f"/clients/{client}", "client-plan-approved")
    assert page.locator("main .badge", has_text="missing").count() == 0
    assert page.get_by_text("Everything active needs is here.").is_visible()
    assert page.get_by_role("button", name="Advance to active").is_enabled()
    casey.click_to(page.get_by_role("button", name="Advance to active"), "client-active")
    before = one_commit(casey, before)
    assert page.locator("main p.lead .badge").inner_text() == "active"

    # A contact is overdue on Today; recording one takes it off the next two weeks.
    casey.visit("/", "today-before-visit")
    due = page.locator("main table tbody tr", has_text=client).filter(has_text="contact (low risk")
    assert due.count() == 1 and "overdue" in due.inner_text()
    casey.click_to(due.get_by_role("link", name=re.compile("Record")), "visit")
    assert page.url.endswith(f"/clients/{client}/visit")
    page.get_by_label("Contact date").fill(today.isoformat())
    page.get_by_label("Contact type").select_option("office")
    page.get_by_label("Duration (minutes)").fill("45")
    page.get_by_label("g1: Sleep through most nights").check()
    page.get_by_label("Note (Markdown)").fill("Reviewed the sleep diary together.")
    casey.click_to(page.get_by_role("button", name="Record the contact"), "visit-recorded")
    before = one_commit(casey, before)
    casey.visit("/", "today-after-visit")
    assert page.locator("main table tbody tr", has_text=client).filter(has_text="contact (").count() == 0

    # A referral: search, draft, refused to send without a consent (the reason shown), consent, send.
    casey.visit(f"/clients/{client}/referrals", "referrals")
    casey.click_to(page.get_by_role("button", name="Search"), "providers-found")
    found = page.locator("#search table tbody tr")
    assert found.count() > 0
    casey.click_to(found.first.get_by_role("link", name=re.compile("^Refer")), "refer")
    page.get_by_label("Purpose").fill("Referral for counseling")
    page.get_by_label("Information sent").fill("Contact information")
    page.get_by_label("Plan goal it serves (optional)").select_option("g1")
    casey.click_to(page.get_by_role("button", name="Draft the referral"), "referral-drafted")
    before = one_commit(casey, before)
    referral = page.locator("article.referral")
    assert referral.count() == 1 and "draft" in referral.locator(".badge").first.inner_text()
    referral_id = referral.get_attribute("id")
    referral.get_by_label("Move to").select_option("requested")
    casey.click_to(referral.get_by_role("button", name="Update status"), "send-refused")
    refusal = page.locator(f"#refused-{referral_id}")
    assert refusal.get_by_role("listitem").filter(has_text="no release of information is on file").is_visible()
    assert head(casey.root) == before  # nothing written
    casey.click_to(refusal.get_by_role("link", name="Record a consent that covers it"), "release-consent")
    assert page.get_by_label("Release of information (to the recipients below)").is_checked()
    assert page.get_by_label("Purposes, one a line").input_value() == "Referral for counseling"
    assert page.get_by_label("Information covered, one item a line").input_value() == "Contact information"
    assert page.locator("input[name=recipient]:checked").count() == 1  # the referral's provider
    page.get_by_label("Expiry date").fill((today + dt.timedelta(days=365)).isoformat())
    casey.click_to(page.get_by_role("button", name="Record the consent"), "release-recorded")
    before = one_commit(casey, before, "consent")
    referral = page.locator(f"#{referral_id}")
    assert "covers sending it" in referral.inner_text()
    referral.get_by_label("Move to").select_option("requested")
    casey.click_to(referral.get_by_role("button", name="Update status"), "referral-sent")
    before = one_commit(casey, before)
    assert page.locator(f"#{referral_id} .badge").first.inner_text() == "requested"
    assert page.get_by_role("status").filter(has_text=f"Referral {referral_id} is now requested").is_visible()
