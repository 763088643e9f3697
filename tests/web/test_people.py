"""Finding people, the duplicate warning of New client, and merging, in the web app (in process)."""

from __future__ import annotations

from caseflow.core import access_record

#: The demo's storied clients (fictional): Bethany Rose Korhonen is robin's; Mariela Duarte Ochoa casey's.
BETHANY, MARIELA = "C-4HX8TB", "C-7K2M9Q"


def test_find_uses_the_shared_search_and_shows_names_only_where_allowed(web) -> None:
    casey = web("casey")
    casey.get("/caseload")
    found = casey.post("/caseload/find", {"name": "korhonen betany", "dob": ""})  # order and a typo
    assert found.status_code == 200 and BETHANY in found.text
    assert "Korhonen" not in found.text.split("Found", 1)[1]  # robin's client: id, stage and worker only
    sam = web("sam", root=casey.root)
    sam.get("/caseload")
    assert "Bethany Rose Korhonen" in sam.post("/caseload/find", {"name": "Bethany", "dob": ""}).text
    entries = [e for e in access_record.entries(casey.root) if e.what.startswith("find by")]
    assert [(e.who, e.action, e.clients) for e in entries] == [("casey", "web", (BETHANY,)), ("sam", "web", (BETHANY,))]


def test_new_client_warns_about_a_likely_duplicate_and_keeps_what_was_typed(web) -> None:
    casey = web("casey")
    casey.get("/intake")
    typed = {"name": "Mariela Duarte", "dob": "2002-05-18", "phone": "", "worker": "casey"}
    warned = casey.post("/intake", typed)
    assert warned.status_code == 409 and MARIELA in warned.text and "Mariela Duarte Ochoa" in warned.text
    assert 'value="Mariela Duarte"' in warned.text and 'name="new_person"' in warned.text
    made = casey.post("/intake", {**typed, "new_person": "yes"})
    assert made.status_code == 303 and made.headers["location"] != f"/clients/{MARIELA}"


def test_a_supervisor_merges_from_the_client_page(web) -> None:
    casey = web("casey")
    assert "Merge a duplicate record" not in casey.get(f"/clients/{MARIELA}").text  # not a case manager's
    casey.post("/intake", {"name": "Mariela Duarte", "dob": "2002-05-18", "worker": "casey", "new_person": "yes"})
    other = next(
        p.name for p in (casey.root / "clients").iterdir() if p.name not in (BETHANY, MARIELA, "C-9PZQ2F", "C-N3RW5D")
    )
    sam = web("sam", root=casey.root)
    assert "Merge a duplicate record" in sam.get(f"/clients/{MARIELA}").text
    unconfirmed = sam.post(f"/clients/{MARIELA}/merge", {"other": other, "reason": ""})
    assert unconfirmed.status_code == 400 and (casey.root / "clients" / other).exists()
    merged = sam.post(f"/clients/{MARIELA}/merge", {"other": other, "reason": "entered twice", "confirm": "yes"})
    assert merged.status_code == 303 and merged.headers["location"] == f"/clients/{MARIELA}"
    assert not (casey.root / "clients" / other).exists()
    assert (casey.root / "clients" / MARIELA / "merged-from" / other / "client.yaml").exists()
