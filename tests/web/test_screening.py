"""Screening in the browser: one item a step, the skip logic, the review, one commit, the result."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from caseflow.core.documents import load_plain
from tests.web.conftest import Browser

CLIENT = "C-9PZQ2F"  # casey's demo client in evaluation, no risk flag yet (fictional)
PHQ9 = f"/clients/{CLIENT}/screen/instruments.phq9"
CSSRS = f"/clients/{CLIENT}/screen/instruments.cssrs"


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def hidden(page: str) -> list[tuple[str, str]]:
    """The fields a step carries (the answers so far, the step), as the browser would send them."""
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return [(name, value) for name, value in fields if name != "csrftoken"]


def answer(browser: Browser, url: str, page: str, value: str | None, go: str = "next"):  # type: ignore[no-untyped-def]
    """Choose ``value`` for the item shown (None: no choice) and press a button."""
    step = dict(hidden(page))["step"]
    form = [*hidden(page), ("go", go)]
    if value is not None:
        form.append((f"answer.{step}", value))
    reply = browser.post(url, form)
    return reply


def read(path: Path) -> dict:  # type: ignore[type-arg]
    return load_plain(path.name, path.read_bytes())[0]


def step_of(page: str) -> str:
    return dict(hidden(page))["step"]


def test_the_instruments_are_listed_with_their_licences(web) -> None:
    browser = web("casey")
    page = browser.get(f"/clients/{CLIENT}/screen")
    assert page.status_code == 200
    for name in ("PHQ-9", "GAD-7", "C-SSRS screener", "AUDIT-C"):
        assert name in page.text
    assert f'href="{PHQ9}"' in page.text
    assert "Pfizer" in page.text and "not for commercial use" in page.text
    assert browser.get("/clients/C-ZZZZZZ/screen").status_code == 404
    assert browser.get(f"/clients/{CLIENT}/screen/instruments.nothing").status_code == 404


def test_a_phq9_given_item_by_item_is_one_commit_and_the_result_shows_at_once(web) -> None:
    browser = web("casey")
    before = git(browser.root, "rev-parse", "HEAD").strip()
    page = browser.get(PHQ9).text
    assert 'name="answer.q1"' in page and "<legend>1. Little interest" in page
    for value in ("1", "2", "1", "2", "1", "1", "1", "0"):  # q1..q8
        reply = answer(browser, PHQ9, page, value)
        assert reply.status_code == 200, reply.text
        page = reply.text
    assert step_of(page) == "q9"
    page = answer(browser, PHQ9, page, "0").text  # item 9: not at all
    assert step_of(page) == "difficulty"
    page = answer(browser, PHQ9, page, None).text  # optional: may be left out
    assert step_of(page) == "review" and "Save and score" in page
    back = answer(browser, PHQ9, page, None, go="back").text
    assert step_of(back) == "difficulty"
    assert git(browser.root, "rev-parse", "HEAD").strip() == before  # nothing written on the way
    saved = browser.post(PHQ9, [*hidden(page), ("go", "submit")])
    assert saved.status_code == 303, saved.text
    log = git(browser.root, "log", "--format=%an|%s", f"{before}..HEAD").splitlines()
    assert log == [f"Casey Rivera|screen {CLIENT}"]
    changed = git(browser.root, "show", "--name-only", "--format=", "HEAD").split()
    assert len(changed) == 1 and changed[0].startswith(f"clients/{CLIENT}/evaluation/")
    data = read(browser.root / changed[0])
    assert data["answers"] == {"q1": 1, "q2": 2, "q3": 1, "q4": 2, "q5": 1, "q6": 1, "q7": 1, "q8": 0, "q9": 0}
    assert data["result"] == {"total": 9, "band": "mild", "flags": []}
    assert data["administered_by"] == "casey"
    result = browser.get(saved.headers["location"])
    assert result.status_code == 200
    text = result.text
    assert '<dd class="figure">9</dd>' in text and '<dd class="figure">mild</dd>' in text
    assert "Below the threshold for major depression" in text
    assert "Suicide risk" not in text and "none" in text
    assert "every 30 days" in text  # the low-risk contact cadence stays


def test_phq9_item_9_raises_the_risk_flag_and_the_cadence_shown(web) -> None:
    browser = web("casey")
    page = browser.get(PHQ9).text
    for value in ("0", "0", "0", "0", "0", "0", "0", "0", "1", "1"):
        page = answer(browser, PHQ9, page, value).text
    saved = browser.post(PHQ9, [*hidden(page), ("go", "submit")])
    assert saved.status_code == 303
    result = browser.get(saved.headers["location"]).text
    assert "Suicide risk: C-9PZQ2F screened positive on PHQ-9. Assess safety today." in result
    assert "raised the risk flag" in result and "every 7 days" in result
    assert "item 9 positive" in result
    record = read(browser.root / "clients" / CLIENT / "client.yaml")
    assert [f["flag"] for f in record["risk_flags"]] == ["Suicide risk"]


def test_a_missing_answer_is_shown_at_the_item_and_nothing_is_written(web) -> None:
    browser = web("casey")
    before = git(browser.root, "rev-parse", "HEAD").strip()
    page = browser.get(PHQ9).text
    page = answer(browser, PHQ9, page, "1").text
    refused = answer(browser, PHQ9, page, None)  # q2 left unanswered
    assert refused.status_code == 400
    assert step_of(refused.text) == "q2" and 'class="field-error" id="err-q2"' in refused.text
    assert 'name="answer.q1" value="1"' in refused.text  # what was answered is kept
    out_of_range = answer(browser, PHQ9, page, "7")
    assert out_of_range.status_code == 400 and "is not an answer" in out_of_range.text
    # a review forged without q5..q9 is sent back to the first gap, not saved
    forged = browser.post(PHQ9, [("step", "review"), ("go", "submit"), *((f"answer.q{n}", "1") for n in range(1, 5))])
    assert forged.status_code == 400 and step_of(forged.text) == "q5"
    assert git(browser.root, "rev-parse", "HEAD").strip() == before
    assert git(browser.root, "status", "--porcelain") == ""


def test_cssrs_skip_logic_and_a_positive_screen_raises_the_flag(web) -> None:
    browser = web("casey")
    page = browser.get(CSSRS).text
    page = answer(browser, CSSRS, page, "1").text  # q1 yes
    page = answer(browser, CSSRS, page, "0").text  # q2 no: q3-q5 are not asked
    assert step_of(page) == "q6"
    back = answer(browser, CSSRS, page, None, go="back").text
    assert step_of(back) == "q2"
    page = answer(browser, CSSRS, back, "1").text  # q2 yes now: q3 is asked
    assert step_of(page) == "q3"
    for value in ("1", "0", "0"):  # q3 yes, q4 no, q5 no
        page = answer(browser, CSSRS, page, value).text
    assert step_of(page) == "q6"
    page = answer(browser, CSSRS, page, "0").text  # q6 no: its follow-up is not asked
    assert step_of(page) == "review"
    before = git(browser.root, "rev-parse", "HEAD").strip()
    saved = browser.post(CSSRS, [*hidden(page), ("go", "submit")])
    assert saved.status_code == 303, saved.text
    assert git(browser.root, "log", "--format=%an", f"{before}..HEAD").splitlines() == ["Casey Rivera"]
    result = browser.get(saved.headers["location"]).text
    assert '<dd class="figure">moderate</dd>' in result
    assert "Suicide risk: C-9PZQ2F screened positive on C-SSRS screener" in result
    assert "raised the risk flag" in result and "Suicide risk" in result and "every 7 days" in result
    access = (browser.root / ".caseflow" / "access.log").read_text().strip().splitlines()[-1]
    assert "screening result" in access and CLIENT in access
