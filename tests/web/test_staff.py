"""The Staff page (in process): the list with open clients, someone leaving and coming back,
reassigning clients, through the same services as `caseflow staff deactivate|reactivate` and
`caseflow reassign`; shown only to those allowed; refusals in one line, nothing written."""

from __future__ import annotations

import re
from pathlib import Path

from caseflow.repo import open_repo
from caseflow.testing import git
from tests.web.conftest import Browser


def state(root: Path) -> tuple[str, str]:
    return git(root, "rev-parse", "HEAD"), git(root, "status", "--porcelain")


def workers(root: Path) -> dict[str, str]:
    repo = open_repo(root, environ={"CASEFLOW_USER": "dana"})
    return {row["id"]: str(row.get("assigned_worker")) for row in repo.clients()}


def test_the_staff_page_is_for_supervisors_directors_and_admins_only(web) -> None:
    casey: Browser = web("casey")
    assert 'href="/staff"' not in casey.get("/").text
    assert casey.get("/staff").status_code == 403
    before = state(casey.root)
    assert casey.post("/staff/reassign", {"from": "robin", "to": "casey"}).status_code == 403
    assert state(casey.root) == before
    dana = web("dana", root=casey.root)
    assert 'href="/staff"' in dana.get("/").text
    listing = dana.get("/staff").text
    open_count = len(open_repo(casey.root, environ={}).agency.open_clients("casey"))
    row = re.search(r'<th scope="row">casey</th>(.*?)</tr>', listing, re.S)
    assert row is not None and "Casey Rivera" in row.group(1) and f">{open_count}</a>" in row.group(1)
    assert "Deactivate robin" in listing and "Deactivate dana" not in listing  # nobody deactivates themselves


def test_an_admin_deactivates_and_reactivates_and_an_inactive_person_gets_no_clients(web) -> None:
    dana: Browser = web("dana")
    dana.get("/staff")
    left = dana.post("/staff/deactivate", {"staff": "robin", "reason": "left the agency"})
    assert left.status_code == 303 and left.headers["location"] == "/staff"
    assert git(dana.root, "log", "-1", "--format=%an").strip() == "Dana Mbeki"
    assert "active: false" in (dana.root / "caseflow.yaml").read_text()
    page = dana.get("/staff").text
    assert "robin is inactive" in page and "open client(s): reassign them below" in page
    assert "Reactivate robin" in page
    before = state(dana.root)
    refused = dana.post("/staff/reassign", {"from": "casey", "to": "robin"})
    assert refused.status_code == 403 and "robin is no longer active" in refused.text
    again = dana.post("/staff/deactivate", {"staff": "robin"})
    assert again.status_code == 400 and "robin is already inactive" in again.text
    assert state(dana.root) == before
    assert dana.post("/staff/reactivate", {"staff": "robin"}).status_code == 303
    assert "active: false" not in (dana.root / "caseflow.yaml").read_text()


def test_a_supervisor_reassigns_the_clients_ticked_and_may_not_deactivate(web) -> None:
    sam: Browser = web("sam")
    page = sam.get("/staff?from=casey").text
    ticked = re.findall(r'name="clients" value="(C-[0-9A-Z]+)"', page)
    assert len(ticked) >= 2 and "Deactivate" not in page  # not an admin
    before = state(sam.root)
    same = sam.post("/staff/reassign", {"from": "casey", "to": "casey"})
    assert same.status_code == 400 and "both casey" in same.text
    not_allowed = sam.post("/staff/deactivate", {"staff": "robin"})
    assert not_allowed.status_code == 403 and "made by an admin" in not_allowed.text
    assert state(sam.root) == before
    moved = sam.post(
        "/staff/reassign", [("from", "casey"), ("to", "robin"), ("clients", ticked[0]), ("clients", ticked[1])]
    )
    assert moved.status_code == 303
    assert git(sam.root, "rev-list", "--count", f"{before[0].strip()}..HEAD").strip() == "1"
    assigned = workers(sam.root)
    assert assigned[ticked[0]] == assigned[ticked[1]] == "robin"
    assert all(assigned[c] == "casey" for c in ticked[2:])
    assert "2 client(s)" in sam.get("/staff").text
