"""*Forms*: documents made and changed from their JSON Schemas in the browser, each write the
commit the CLI would make (``caseflow new``, ``caseflow set``, ``caseflow visit``)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from caseflow.core.case import blob_id
from caseflow.repo import open_repo
from tests.web.conftest import Browser

CLIENT = "C-4HX8TB"  # a demo client in planning, with a plan (fictional)


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def commits_since(root: Path, before: str) -> list[str]:
    return git(root, "log", "--format=%an|%s", f"{before}..HEAD").splitlines()


def form_values(html: str) -> list[tuple[str, str]]:
    """What a browser would post from the page's form: inputs, selects and textareas as they are."""
    values: list[tuple[str, str]] = []
    for tag in re.finditer(r"<input ([^>]*)>", html):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag.group(1)))
        if "name" not in attrs or attrs["name"] == "csrftoken" or attrs.get("type") == "submit":
            continue
        if attrs.get("type") == "checkbox" and " checked" not in tag.group(1):
            continue
        values.append((attrs["name"], unescape(attrs.get("value", ""))))
    for select in re.finditer(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', select.group(2))
        values.append((select.group(1), unescape(chosen.group(1)) if chosen else ""))
    for area in re.finditer(r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        values.append((area.group(1), unescape(area.group(2).removeprefix("\n"))))  # as browsers read it
    return values


def unescape(text: str) -> str:
    import html

    return html.unescape(text)


def replace(values: list[tuple[str, str]], **changes: str) -> list[tuple[str, str]]:
    named = {key.replace("__", "."): value for key, value in changes.items()}
    return [(k, named.get(k, v)) for k, v in values]


def test_the_forms_a_person_can_start_include_plugin_forms_and_not_managed_ones(web) -> None:
    browser: Browser = web("robin")
    page = browser.get(f"/clients/{CLIENT}/new")
    assert page.status_code == 200
    assert f'href="/clients/{CLIENT}/new/riverbend.housing-assessment"' in page.text  # a plugin's form
    assert f'href="/clients/{CLIENT}/edit/plan.yaml"' in page.text  # one per client, and there already
    assert "core.approvals" not in page.text and "/new/core.client" not in page.text
    plugin = browser.get(f"/clients/{CLIENT}/new/riverbend.housing-assessment")
    assert plugin.status_code == 200
    assert '<select id="f-living_situation" name="living_situation"' in plugin.text  # enum: a choice
    assert '<input type="date" id="f-date" name="date"' in plugin.text
    assert '<input type="number" id="f-months_at_current_address"' in plugin.text
    assert '<input type="checkbox" id="f-eviction_notice"' in plugin.text
    assert '<label for="f-living_situation">Living situation' in plugin.text  # the schema's title


def test_a_new_document_from_its_form_is_the_commit_caseflow_new_makes(web) -> None:
    browser: Browser = web("robin")
    before = head(browser.root)
    page = browser.get(f"/clients/{CLIENT}/new/riverbend.housing-assessment")
    assert 'value="renting" selected' in page.text  # the skeleton's values, as `caseflow new` starts
    values = replace(form_values(page.text), months_at_current_address="7", barriers="No photo ID\nDeposit")
    made = browser.post(f"/clients/{CLIENT}/new/riverbend.housing-assessment", values)
    assert made.status_code == 303, made.text
    assert commits_since(browser.root, before) == [f"Robin Okafor|new {CLIENT}"]
    changed = git(browser.root, "show", "--name-only", "--format=", "HEAD").split()
    named = rf"clients/{CLIENT}/evaluation/\d{{4}}-\d\d-\d\d-housing-assessment(-\w+)?\.yaml"
    assert len(changed) == 1 and re.fullmatch(named, changed[0])
    text = (browser.root / changed[0]).read_text()
    assert "# Riverbend housing assessment" in text  # the skeleton's comment kept
    assert "months_at_current_address: 7\n" in text and "- No photo ID\n" in text and "- Deposit\n" in text
    assert "eviction_notice: false" in text
    assert not list(browser.root.glob(".caseflow/drafts/*"))  # the draft went into the repository


def test_unknown_form_and_path_like_names_are_refused(web) -> None:
    browser: Browser = web("robin")
    assert browser.get(f"/clients/{CLIENT}/new/agency.no-such-form").status_code == 404
    assert browser.get(f"/clients/{CLIENT}/new/..%2Fcaseflow.yaml").status_code in (400, 404)
    assert browser.get(f"/clients/{CLIENT}/new/core.approvals").status_code == 403
    assert browser.get(f"/clients/{CLIENT}/edit/nothing-here.yaml").status_code == 404
    before = head(browser.root)
    for bad in ("../client.yaml", "..%2F..%2Fcaseflow.yaml", ".git/config", "consents/../../C-7K2M9Q/plan.yaml"):
        assert browser.get(f"/clients/{CLIENT}/edit/{bad}").status_code in (400, 404), bad
        assert browser.post(f"/clients/{CLIENT}/edit/{bad}", {"review_date": "2027-01-01"}).status_code in (400, 404)
    assert head(browser.root) == before


def test_editing_the_plan_with_two_goals_is_one_set_commit_that_keeps_the_comments(web) -> None:
    browser: Browser = web("robin")
    plan = browser.root / "clients" / CLIENT / "plan.yaml"
    old = plan.read_text()
    before = head(browser.root)
    page = browser.get(f"/clients/{CLIENT}/edit/plan.yaml")
    assert page.status_code == 200
    assert 'name="goals.1.objectives.0.target_date" value="2026-11-20"' in page.text  # nested, pre-filled
    assert f'name="_base" value="{blob_id(plan.read_bytes())}"' in page.text
    values = replace(
        form_values(page.text),
        goals__0__title="Stay sober, one day at a time",
        goals__1__objectives__0__target_date="2026-12-04",
    )
    saved = browser.post(f"/clients/{CLIENT}/edit/plan.yaml", values)
    assert saved.status_code == 303, saved.text
    assert commits_since(browser.root, before) == [f"Robin Okafor|set {CLIENT}"]  # as `caseflow set`
    new = plan.read_text()
    assert "title: Stay sober, one day at a time\n" in new and "target_date: 2026-12-04\n" in new
    changed = [
        line
        for line in git(browser.root, "diff", "-U0", "HEAD~1", "--", str(plan)).splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert len(changed) == 4  # two lines out, two in: every other byte (comments, order) as it was
    assert new.splitlines()[:4] == old.splitlines()[:4]  # the comment block at the top
    assert "# No goal target date yet" in new and "# Lakeview's first new-patient opening" in new


def test_invalid_values_come_back_at_their_fields_with_everything_typed_and_nothing_written(web) -> None:
    browser: Browser = web("robin")
    plan = browser.root / "clients" / CLIENT / "plan.yaml"
    old = plan.read_bytes()
    before = head(browser.root)
    page = browser.get(f"/clients/{CLIENT}/edit/plan.yaml")
    values = replace(
        form_values(page.text),
        review_date="next week",
        goals__0__title="Typed and kept",
        goals__1__objectives__1__statement="",
    )
    refused = browser.post(f"/clients/{CLIENT}/edit/plan.yaml", values)
    assert refused.status_code == 400
    assert head(browser.root) == before and plan.read_bytes() == old
    html = refused.text
    assert re.search(
        r'id="f-review_date" name="review_date" value="next week" aria-invalid="true" '
        r'aria-describedby="f-review_date-error"',
        html,
    )
    assert re.search(r'<p class="field-error" id="f-review_date-error">[^<]*not a date', html)
    assert 'aria-describedby="f-goals-1-objectives-1-statement-error"' in html  # the emptied required one
    assert 'id="f-goals-1-objectives-1-statement-error">missing required field' in html
    assert 'value="Typed and kept"' in html
    assert 'id="problems"' in html and 'href="#f-review_date"' in html  # the summary links to the fields


def test_a_stale_edit_shows_both_versions_and_writes_nothing_until_the_person_chooses(web) -> None:
    browser: Browser = web("robin")
    plan = browser.root / "clients" / CLIENT / "plan.yaml"
    page = browser.get(f"/clients/{CLIENT}/edit/plan.yaml")
    # Meanwhile, someone else changes the plan, at the command line.
    other = open_repo(browser.root, environ={"CASEFLOW_USER": "casey"})
    other.records.set_fields(other.config.staff_member("casey"), CLIENT, "plan.yaml", ["review_date=2026-11-25"])
    theirs = plan.read_text()
    before = head(browser.root)
    mine = replace(form_values(page.text), goals__0__title="Mine, as typed")
    stale = browser.post(f"/clients/{CLIENT}/edit/plan.yaml", mine)
    assert stale.status_code == 409
    assert head(browser.root) == before and plan.read_text() == theirs
    html = stale.text
    assert "Changed since you opened it" in html
    assert "2026-11-25" in html and "2026-11-18" in html  # their review date and the one in my form
    assert 'value="Mine, as typed"' in html
    assert f'href="/clients/{CLIENT}/edit/plan.yaml">Keep theirs' in html
    assert f'name="_base" value="{blob_id(plan.read_bytes())}"' in html  # saving now means: mine over theirs
    over = browser.post(f"/clients/{CLIENT}/edit/plan.yaml", form_values(html))
    assert over.status_code == 303
    assert commits_since(browser.root, before) == [f"Robin Okafor|set {CLIENT}"]
    assert "title: Mine, as typed" in plan.read_text() and "review_date: 2026-11-18" in plan.read_text()


def test_add_another_goal_keeps_everything_typed_and_writes_nothing(web) -> None:
    browser: Browser = web("robin")
    before = head(browser.root)
    page = browser.get(f"/clients/{CLIENT}/edit/plan.yaml")
    assert 'name="_add" value="goals"' in page.text and 'name="_remove" value="goals.2"' in page.text
    values = replace(form_values(page.text), goals__0__title="Typed before adding")
    more = browser.post(f"/clients/{CLIENT}/edit/plan.yaml", [*values, ("_add", "goals")])
    assert more.status_code == 200 and head(browser.root) == before
    assert 'value="Typed before adding"' in more.text
    assert 'name="goals.3.id" value="g4"' in more.text  # a fourth goal, its id suggested
    assert 'name="goals.3.objectives.0.id"' not in more.text and 'name="_add" value="goals.3.objectives"' in more.text
    fewer = browser.post(f"/clients/{CLIENT}/edit/plan.yaml", [*form_values(more.text), ("_remove", "goals.1")])
    assert fewer.status_code == 200 and head(browser.root) == before
    assert 'name="goals.1.id" value="g3"' in fewer.text and 'value="g2"' not in fewer.text
    values = replace(form_values(fewer.text), goals__2__title="Keep my photo ID safe", goals__2__status="active")
    saved = browser.post(f"/clients/{CLIENT}/edit/plan.yaml", values)
    assert saved.status_code == 303, saved.text
    text = (browser.root / "clients" / CLIENT / "plan.yaml").read_text()
    assert "- id: g4\n    title: Keep my photo ID safe\n    status: active\n" in text
    assert "id: g2\n" not in text and "id: g3\n" in text


def test_a_contact_note_is_the_commit_caseflow_visit_makes(web, invoke_caseflow) -> None:
    browser: Browser = web("robin")
    before = head(browser.root)
    page = browser.get(f"/clients/{CLIENT}/visit")
    assert page.status_code == 200
    assert '<option value="video">' in page.text and '<option value="hospital">' in page.text  # the form's enum
    assert 'hx-post="/preview" hx-trigger="keyup changed delay:400ms" hx-target="#preview"' in page.text
    note = "Talked through the **sober-living** tours.\n\n- Next: call the housing authority"
    made = browser.post(
        f"/clients/{CLIENT}/visit",
        [("date", "2026-11-16"), ("type", "phone"), ("duration", "25"), ("goals", "g2"), ("note", note)],
    )
    assert made.status_code == 303, made.text
    log = commits_since(browser.root, before)
    assert log == [f"Robin Okafor|visit {CLIENT}"]
    path = git(browser.root, "show", "--name-only", "--format=", "HEAD").split()[0]
    assert re.fullmatch(rf"clients/{CLIENT}/visits/2026-11-16-phone(-\w+)?\.md", path)
    text = (browser.root / path).read_text()
    assert "type: phone\n" in text and "duration_minutes: 25\n" in text and "- g2\n" in text
    assert note in text and "author: robin\n" in text
    cli = invoke_caseflow("--repo", str(browser.root), "--as", "robin", "visit", CLIENT, "--type", "phone",
                          "--date", "2026-11-16", "--note", "x").assert_success()  # fmt: skip
    assert cli is not None
    assert git(browser.root, "log", "-1", "--format=%an|%s").strip() == log[0]  # the CLI's own message


def test_a_refused_contact_shows_the_reason_at_its_field_and_keeps_the_note(web) -> None:
    browser: Browser = web("robin")
    before = head(browser.root)
    browser.get(f"/clients/{CLIENT}/visit")
    note = "Home visit; everything typed here must survive."
    refused = browser.post(f"/clients/{CLIENT}/visit", {"date": "2099-01-01", "type": "home", "note": note})
    assert refused.status_code == 400 and head(browser.root) == before
    assert re.search(r'id="v-date" name="date" value="2099-01-01" aria-invalid="true"', refused.text)
    assert 'id="v-date-error">' in refused.text and "in the future" in refused.text
    assert note in refused.text
    # Riverbend's plugin rule (home visits record their length) is checked as the CLI checks it.
    policy = browser.post(f"/clients/{CLIENT}/visit", {"date": "2026-11-16", "type": "home", "note": note})
    assert policy.status_code == 400 and head(browser.root) == before
    assert 'id="v-duration-error">' in policy.text and "lone-worker" in policy.text


def test_the_preview_renders_markdown_and_drops_script(web) -> None:
    browser: Browser = web("robin")
    browser.get(f"/clients/{CLIENT}/visit")
    answer = browser.post("/preview", {"note": "**bold** <script>alert(1)</script> <img src=x onerror=alert(1)>"})
    assert answer.status_code == 200
    assert "<strong>bold</strong>" in answer.text
    assert "<script" not in answer.text and "<img" not in answer.text  # shown as text at most, never as HTML
    assert browser.post("/preview", {"note": "x"}, csrf=False).status_code == 403


def test_a_markdown_note_is_edited_with_its_front_matter_and_body(web) -> None:
    browser: Browser = web("robin")
    name = "evaluation/2026-10-15-intake-interview.md"
    note = browser.root / "clients" / CLIENT / name
    old = note.read_text()
    before = head(browser.root)
    page = browser.get(f"/clients/{CLIENT}/edit/{name}")
    assert page.status_code == 200 and 'name="_body"' in page.text and 'id="preview"' in page.text
    values = form_values(page.text)
    unchanged = browser.post(f"/clients/{CLIENT}/edit/{name}", values)
    assert unchanged.status_code == 303 and head(browser.root) == before  # as opened: nothing to commit
    plan_page = browser.get(f"/clients/{CLIENT}/edit/plan.yaml")
    assert browser.post(f"/clients/{CLIENT}/edit/plan.yaml", form_values(plan_page.text)).status_code == 303
    assert head(browser.root) == before and note.read_text() == old
    body = dict(values)["_body"]
    values = replace(values, _body=body + "\n## Added in the browser\n\nA new paragraph.\n")
    saved = browser.post(f"/clients/{CLIENT}/edit/{name}", values)
    assert saved.status_code == 303, saved.text
    assert commits_since(browser.root, before) == [f"Robin Okafor|set {CLIENT}"]
    new = note.read_text()
    assert new.startswith(old.split("\n---\n", 1)[0])  # the front matter as it was
    assert new.endswith("## Added in the browser\n\nA new paragraph.\n")


def test_a_refused_new_note_keeps_a_draft_and_every_value_typed(web) -> None:
    browser: Browser = web("robin")
    before = head(browser.root)
    page = browser.get(f"/clients/{CLIENT}/new/core.intake-interview")
    assert page.status_code == 200
    values = replace(form_values(page.text), duration_minutes="ninety", referral_source="Typed source")
    refused = browser.post(f"/clients/{CLIENT}/new/core.intake-interview", values)
    assert refused.status_code == 400 and head(browser.root) == before
    assert re.search(
        r'id="f-duration_minutes" name="duration_minutes" value="ninety" step="1" aria-invalid="true"', refused.text
    )
    assert 'value="Typed source"' in refused.text
    drafts = list(browser.root.glob(".caseflow/drafts/*"))
    assert len(drafts) == 1 and "Typed source" in drafts[0].read_text()  # as `caseflow new --edit` keeps one
    again = browser.post(f"/clients/{CLIENT}/new/core.intake-interview", form_values(refused.text))
    assert again.status_code == 400
    assert len(list(browser.root.glob(".caseflow/drafts/*"))) == 1  # the newer draft replaces the older
    fixed = replace(form_values(again.text), duration_minutes="90")
    assert browser.post(f"/clients/{CLIENT}/new/core.intake-interview", fixed).status_code == 303
    assert commits_since(browser.root, before) == [f"Robin Okafor|new {CLIENT}"]
    told = browser.get(f"/clients/{CLIENT}").text  # the headings alone: saved, and said not to count yet
    assert "it counts for nothing until something is written in it" in told
    assert not list(browser.root.glob(".caseflow/drafts/*"))
    for url in (f"/clients/{CLIENT}/new/core.intake-interview", f"/clients/{CLIENT}/visit"):
        html = browser.get(url).text
        assert "<script>" not in html and "style=" not in html and " on" + "keyup=" not in html


def test_every_form_and_every_document_of_a_client_renders(web) -> None:
    browser: Browser = web("robin")
    repo = open_repo(browser.root, environ={"CASEFLOW_USER": "robin"})
    for form_id in repo.forms:
        answer = browser.get(f"/clients/{CLIENT}/new/{form_id}", follow_redirects=False)
        expected = (403,) if form_id in ("core.approvals", "core.client") else (200, 303)
        assert answer.status_code in expected, (form_id, answer.status_code)
    folder = browser.root / "clients" / CLIENT
    for path in sorted(folder.rglob("*.*")):
        name = path.relative_to(folder).as_posix()
        answer = browser.get(f"/clients/{CLIENT}/edit/{name}")
        assert answer.status_code in ((403,) if name == "approvals.yaml" else (200,)), (name, answer.status_code)


def test_save_document_refuses_a_stale_base_under_the_lock_and_writes_nothing(demo_repo) -> None:
    import pytest

    from caseflow.records.actions import StaleDocument

    root = demo_repo()
    repo = open_repo(root, environ={"CASEFLOW_USER": "robin"})
    plan = root / "clients" / CLIENT / "plan.yaml"
    old, before = plan.read_bytes(), head(root)
    data = {"form": "core.plan", "client": CLIENT, "review_date": "2026-12-01", "goals": []}
    with pytest.raises(StaleDocument):
        repo.records.save_document(repo.config.staff_member("robin"), CLIENT, "plan.yaml", data, base_blob="0" * 40)
    assert plan.read_bytes() == old and head(root) == before
