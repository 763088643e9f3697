"""Closing a case and risk flags on the client page (in process): the same services as
`caseflow discharge` and `caseflow flag`, one commit by the person acting, refusals that say what
is missing (in words, not commands), keep what was typed and write nothing."""

from __future__ import annotations

from pathlib import Path

from caseflow.core.documents import load_document
from caseflow.testing import git
from tests.web.conftest import Browser

#: Demo clients (fictional): Mariela Duarte Ochoa, active, casey's, with risk flags; and casey's client in evaluation.
MARIELA, EVALUATION = "C-7K2M9Q", "C-9PZQ2F"


def state(root: Path) -> tuple[str, str]:
    return git(root, "rev-parse", "HEAD"), git(root, "status", "--porcelain")


def record(root: Path, client_id: str) -> dict:  # type: ignore[type-arg]
    path = root / "clients" / client_id / "client.yaml"
    return dict(load_document(f"clients/{client_id}/client.yaml", path.read_bytes()).plain())


def last_commit(root: Path) -> str:
    return git(root, "log", "-1", "--format=%an|%s").strip()


def test_each_reason_shows_what_it_needs_and_a_transfer_closes_the_case(web) -> None:
    casey: Browser = web("casey")
    shown = casey.get(f"/clients/{EVALUATION}").text
    assert "Close the case" in shown and "2 attempts to reach the client within 30 days" in shown
    assert "to whom the client was transferred" in shown
    assert "Advance to discharged" not in shown  # closing has its own form, with a reason
    before = state(casey.root)
    typed = {"reason": "transferred", "date": "", "note": "Moving to a program near her family", "transferred_to": ""}
    refused = casey.post(f"/clients/{EVALUATION}/discharge", typed)
    assert refused.status_code == 400
    assert "Not closed" in refused.text and "needs to whom the client was transferred" in refused.text
    assert 'value="Moving to a program near her family"' in refused.text
    assert '<option value="transferred" selected>' in refused.text
    assert state(casey.root) == before
    closed = casey.post(f"/clients/{EVALUATION}/discharge", {**typed, "transferred_to": "Harbor County CMH"})
    assert closed.status_code == 303 and closed.headers["location"] == f"/clients/{EVALUATION}"
    assert git(casey.root, "rev-list", "--count", f"{before[0].strip()}..HEAD").strip() == "1"
    assert last_commit(casey.root).startswith("Casey Rivera|")
    assert record(casey.root, EVALUATION)["stage"] == "discharged"
    summary = (casey.root / "clients" / EVALUATION / "discharge.yaml").read_text()
    assert "reason: transferred" in summary and "Harbor County CMH" in summary
    after = casey.get(f"/clients/{EVALUATION}").text
    assert (
        f"{EVALUATION} is discharged (transferred)" in after
        and 'action="/clients/' + EVALUATION + '/discharge"' not in after
    )


def test_a_completed_refusal_says_how_in_words_and_keeps_the_goals_chosen(web) -> None:
    casey: Browser = web("casey")
    casey.get(f"/clients/{MARIELA}")
    before = state(casey.root)
    refused = casey.post(
        f"/clients/{MARIELA}/discharge",
        {"reason": "completed", "date": "", "note": "Housed, in school", "transferred_to": "", "goal:g1": "met"},
    )
    assert refused.status_code == 400
    text = refused.text
    assert "choose how goal g2 ended below" in text and "choose how goal g1" not in text
    assert "still in-progress" in text  # the open referral, as the service says it
    assert "a supervisor approves discharge.yaml on the Review page" in text
    assert "caseflow discharge" not in text.split('id="close-refused"')[1].split("</div>")[0]
    assert '<option value="met" selected>' in text and 'value="Housed, in school"' in text
    assert state(casey.root) == before
    unknown = casey.post(f"/clients/{MARIELA}/discharge", {"reason": "bored"})
    assert unknown.status_code == 400 and "unknown discharge reason" in unknown.text
    assert state(casey.root) == before


def test_two_unanswered_calls_from_the_contact_page_let_a_lost_contact_case_close(web) -> None:
    casey: Browser = web("casey")
    casey.get(f"/clients/{EVALUATION}")
    refused = casey.post(f"/clients/{EVALUATION}/discharge", {"reason": "lost-contact"})
    assert refused.status_code == 400 and "The client was not reached" in refused.text
    today = casey.get(f"/clients/{EVALUATION}/visit").text.split('id="v-date" name="date" value="')[1][:10]
    for note in ("Called, no answer", "Called again, voicemail full"):
        call = {"date": today, "type": "phone", "duration": "", "note": note, "not_reached": "yes"}
        assert casey.post(f"/clients/{EVALUATION}/visit", call).status_code == 303
    closed = casey.post(f"/clients/{EVALUATION}/discharge", {"reason": "lost-contact", "note": "No reply since"})
    assert closed.status_code == 303, closed.text
    assert record(casey.root, EVALUATION)["stage"] == "discharged"


def test_a_flag_is_cleared_kept_as_history_and_another_set(web) -> None:
    casey: Browser = web("casey")
    page = casey.get(f"/clients/{MARIELA}").text
    assert "Clear Suicide risk" in page
    cleared = casey.post(
        f"/clients/{MARIELA}/flags/clear", {"flag": "Suicide risk", "on": "", "note": "Stable 3 months"}
    )
    assert cleared.status_code == 303 and last_commit(casey.root).startswith("Casey Rivera|")
    flag = next(f for f in record(casey.root, MARIELA)["risk_flags"] if f["flag"] == "Suicide risk")
    assert flag["cleared_by"] == "casey" and flag["cleared_note"] == "Stable 3 months"
    page = casey.get(f"/clients/{MARIELA}").text
    assert "Risk: Suicide risk" not in page and "Clear Suicide risk" not in page
    assert f"cleared on {flag['cleared_on']} by casey: Stable 3 months" in page
    raised = casey.post(
        f"/clients/{MARIELA}/flags/set", {"flag": "Housing crisis", "since": "", "note": "Eviction notice"}
    )
    assert raised.status_code == 303
    assert "Risk: Housing crisis" in casey.get(f"/clients/{MARIELA}").text


def test_flag_refusals_say_why_in_one_line_and_write_nothing(web) -> None:
    casey: Browser = web("casey")
    casey.get(f"/clients/{MARIELA}")
    before = state(casey.root)
    again = casey.post(f"/clients/{MARIELA}/flags/set", {"flag": "suicide risk"})
    assert again.status_code == 400 and "already flagged" in again.text
    absent = casey.post(f"/clients/{MARIELA}/flags/clear", {"flag": "Gambling"})
    assert absent.status_code == 404 and "no risk flag &#39;Gambling&#39; in force" in absent.text
    future = casey.post(f"/clients/{MARIELA}/flags/set", {"flag": "Housing crisis", "since": "2999-01-01"})
    assert future.status_code == 400
    forged = casey.post(f"/clients/{MARIELA}/flags/clear", {"flag": "Suicide risk"}, csrf=False)
    assert forged.status_code == 403
    assert state(casey.root) == before
