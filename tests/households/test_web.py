"""The household in the browser: the client page links it, its page, and recording a family contact."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from caseflow.testing import Result, git
from tests.households.conftest import OTHER, caseflow, new_household
from tests.samples import CLIENT
from tests.web.conftest import Browser, serve

Run = Callable[..., Result]


@pytest.fixture
def web() -> Iterator[Callable[..., Browser]]:
    """A signed-in browser on a given repository (not the demo's: these tests make their own)."""
    opened = []

    def make(acting: str, root: Path) -> Browser:
        client, sessions = serve(root, acting)
        opened.append(client)
        client.get(f"/?token={sessions.secret}")
        return Browser(client, root, sessions)

    yield make
    for client in opened:
        client.close()


@pytest.fixture
def household(invoke_caseflow: Run, agency: Path) -> str:
    made = new_household(invoke_caseflow, agency)
    caseflow(invoke_caseflow, agency, "household", "plan", made, "goals[+].id=g1", "goals[g1].title=Stable home",
             "goals[g1].status=active").assert_success()  # fmt: skip
    return made


def test_the_client_page_links_the_household_page(web: Callable[..., Browser], agency: Path, household: str) -> None:
    browser: Browser = web("casey", root=agency)
    client_page = browser.get(f"/clients/{CLIENT}")
    assert client_page.status_code == 200 and f'href="/households/{household}"' in client_page.text
    page = browser.get(f"/households/{household}")
    assert page.status_code == 200
    assert f'href="/clients/{OTHER}"' in page.text and "Cal Example" in page.text  # inside the agency: named
    assert "Stable home" in page.text and "awaiting approval" in page.text
    assert "no family contact since" in page.text  # a household due item
    assert browser.get("/households/..%2Fclients").status_code in (400, 404)


def test_a_family_contact_from_the_browser(
    web: Callable[..., Browser], agency: Path, household: str, invoke_caseflow: Run
) -> None:
    browser: Browser = web("casey", root=agency)
    assert browser.get(f"/households/{household}/contact").status_code == 200
    before = git(agency, "rev-parse", "HEAD").strip()
    refused = browser.post(f"/households/{household}/contact", {"date": "2026-03-09", "type": "phone", "note": "x"})
    assert refused.status_code == 400 and "tick at least one member" in refused.text
    assert git(agency, "rev-parse", "HEAD").strip() == before
    done = browser.post(
        f"/households/{household}/contact",
        [("date", "2026-03-09"), ("type", "phone"), ("duration", "20"), ("present", "m1"), ("present", "m2"),
         ("note", "Called the family about the school meeting.")],
    )  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == f"/households/{household}"
    page = browser.get(f"/households/{household}")
    assert "Called the family about the school meeting." in page.text
    assert len(git(agency, "log", "--format=%H", f"{before}..HEAD").split()) == 1  # one commit
    changed = git(agency, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(p.split("/")[1] for p in changed if p.startswith("clients/")) == sorted([CLIENT, OTHER])
    for path in (p for p in changed if p.startswith("clients/")):
        assert "school meeting" not in (agency / path).read_text()
    shown = json.loads(caseflow(invoke_caseflow, agency, "show", OTHER, "--json").stdout)
    assert "2026-03-09" in json.dumps(shown)  # Ben's last contact


def test_a_supervisor_approves_the_family_plan_from_the_queue(
    web: Callable[..., Browser], agency: Path, household: str
) -> None:
    sam = web("sam", root=agency)
    queue = sam.get("/review")
    assert f'href="/households/{household}#h-plan"' in queue.text
    page = sam.get(f"/households/{household}")
    assert "Approve the family plan" in page.text
    decided = sam.post(f"/households/{household}/decide", {"decision": "approve"})
    assert decided.status_code == 303
    assert "approved" in sam.get(f"/households/{household}").text
    assert f"/households/{household}" not in sam.get("/review").text
    casey = web("casey", root=agency)
    assert "Approve the family plan" not in casey.get(f"/households/{household}").text
