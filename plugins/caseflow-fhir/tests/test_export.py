"""Export the demo's fictional client C-7K2M9Q and read the Bundle back with the R4B models."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import caseflow_fhir
import pytest
from caseflow_fhir import export_bundle, register_exporters
from fhir.resources.R4B.bundle import Bundle

import caseflow
from caseflow import ExportInputs
from caseflow.testing import copy_repo, invoke, registered_plugin

CLIENT = "C-7K2M9Q"
#: The plugin, loaded as if installed under its name (and alone), installed or not.
PLUGIN = {"fhir": caseflow_fhir}


@pytest.fixture(scope="module")
def agency(tmp_path_factory: pytest.TempPathFactory, demo_template: tuple[Path, Any]) -> Path:
    """The demo agency (the shipped fictional example) as a real git case repository.

    Built with ``caseflow demo`` (once per session, by caseflow.testing's ``demo_template``) rather than
    by copying ``caseflow.agency.demo.example_dir()``: plugin code, tests included, may import only the
    public ``caseflow`` API (tests/test_layering.py).
    """
    return copy_repo(demo_template[0], tmp_path_factory.mktemp("fhir") / "agency")


@pytest.fixture(scope="module")
def case(agency: Path) -> caseflow.CaseView:
    return registered_plugin(agency, installed_as=PLUGIN).case(CLIENT)


@pytest.fixture(scope="module")
def bundle(agency: Path) -> dict[str, Any]:
    """The exported bytes, validated by the R4B Bundle model, as plain JSON."""
    repo = registered_plugin(agency, installed_as=PLUGIN)
    services = [s for d in repo.referrals.directories() for s in d.services]
    inputs = ExportInputs(
        case=repo.case(CLIENT),
        agency=repo.config.agency,
        staff={m.id: {"name": m.name, "email": m.email, "role": m.role} for m in repo.config.staff},
        services={s.id: {"name": s.name, "organization": s.organization} for s in services},
        today=repo.today(),
    )
    data = export_bundle(inputs)
    Bundle.model_validate_json(data)
    parsed: dict[str, Any] = json.loads(data)
    return parsed


def of_type(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type]


def data_of(case: caseflow.CaseView, prefix: str) -> list[dict[str, Any]]:
    return [dict(d.data) for d in case.documents if d.path.startswith(prefix)]


def references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from [item] if key == "reference" and isinstance(item, str) else references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def test_the_exporter_is_registered() -> None:
    (exporter,) = register_exporters()
    assert (exporter.id, exporter.media_type, exporter.suffix) == ("fhir", "application/fhir+json", ".json")


def test_a_collection_bundle(bundle: dict[str, Any]) -> None:
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    ids = [(e["resource"]["resourceType"], e["resource"]["id"]) for e in bundle["entry"]]
    assert len(ids) == len(set(ids))
    assert all(e["fullUrl"].startswith("urn:uuid:") for e in bundle["entry"])


def test_the_patient(bundle: dict[str, Any], case: caseflow.CaseView) -> None:
    (patient,) = of_type(bundle, "Patient")
    assert patient["birthDate"] == case.record["dob"] == "2002-05-18"
    official, usual = patient["name"]
    assert official["text"] == "Mariela Duarte Ochoa"
    assert (official["family"], official["given"]) == ("Duarte Ochoa", ["Mariela"])  # as the record gives them
    assert (usual["use"], usual["given"]) == ("usual", ["Mari"])
    assert patient["identifier"] == [{"system": "urn:caseflow:client", "value": CLIENT}]
    assert patient["address"][0]["postalCode"] == "63996"
    assert {"system": "phone", "value": "(573) 555-0151"} in patient["telecom"]
    assert "gender" not in patient  # the record has none, and none is made up


def test_a_name_alone_is_text_only_never_split() -> None:
    from caseflow_fhir.patient import names

    # "Tomas Reyes Vidal": the family name is "Reyes Vidal", which no split of the words can know
    assert names({"name": "Tomas Reyes Vidal"}) == [{"use": "official", "text": "Tomas Reyes Vidal"}]
    assert names({"name": "Tomas Reyes Vidal", "given_name": "Tomas", "family_name": "Reyes Vidal"}) == [
        {"use": "official", "text": "Tomas Reyes Vidal", "family": "Reyes Vidal", "given": ["Tomas"]}
    ]


def test_the_episode(bundle: dict[str, Any]) -> None:
    (episode,) = of_type(bundle, "EpisodeOfCare")
    assert episode["status"] == "active"
    assert episode["period"] == {"start": "2026-08-03"}
    assert episode["careManager"] == {"display": "Casey Rivera"}


def test_one_goal_per_plan_goal(bundle: dict[str, Any], case: caseflow.CaseView) -> None:
    (plan,) = data_of(case, "plan.yaml")
    goals = of_type(bundle, "Goal")
    assert [g["description"]["text"] for g in goals] == [g["title"] for g in plan["goals"]]
    assert {g["lifecycleStatus"] for g in goals} == {"active"}
    (care_plan,) = of_type(bundle, "CarePlan")
    assert (care_plan["intent"], care_plan["status"]) == ("plan", "active")
    assert len(care_plan["goal"]) == len(plan["goals"])


def test_one_task_per_referral_with_its_status(bundle: dict[str, Any], case: caseflow.CaseView) -> None:
    referrals = {r["id"]: r for r in data_of(case, "referrals/")}
    tasks = {t["identifier"][0]["value"]: t for t in of_type(bundle, "Task")}
    assert tasks.keys() == referrals.keys() == {"R-4Z60E0", "R-EF8SS3", "R-M3DV7A"}
    assert {k: t["status"] for k, t in tasks.items()} == {k: r["status"] for k, r in referrals.items()}
    requests = {s["id"]: s for s in of_type(bundle, "ServiceRequest")}
    assert {k: s["status"] for k, s in requests.items()} == {
        "ref-R-4Z60E0": "active",
        "ref-R-EF8SS3": "completed",
        "ref-R-M3DV7A": "draft",
    }
    assert requests["ref-R-EF8SS3"]["performer"][0]["display"] == "County Housing Authority"
    history = tasks["R-EF8SS3"]["note"]
    assert len(history) == len(referrals["R-EF8SS3"]["history"]) and history[-1]["time"] == "2026-11-13"


def test_phq9_totals_are_observations(bundle: dict[str, Any], case: caseflow.CaseView) -> None:
    totals = sorted(d["result"]["total"] for d in data_of(case, "evaluation/") if d.get("form") == "instruments.phq9")
    observations = [
        o for o in of_type(bundle, "Observation") if o["code"].get("coding", [{}])[0].get("code") == "44261-6"
    ]
    assert sorted(o["valueInteger"] for o in observations) == totals and len(totals) == 4
    responses = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    for o in observations:
        assert o["category"][0]["coding"][0]["code"] == "survey"
        (source,) = o["derivedFrom"]
        assert responses[source["reference"]]["resourceType"] == "QuestionnaireResponse"
    gad7 = [o for o in of_type(bundle, "Observation") if o["code"].get("coding", [{}])[0].get("code") == "70274-6"]
    assert len(gad7) == 3


def test_encounter_classes(bundle: dict[str, Any]) -> None:
    classes = {e["id"]: e["class"]["code"] for e in of_type(bundle, "Encounter")}
    assert classes == {
        "visit-2026-09-02-office": "AMB",
        "visit-2026-09-16-home": "HH",
        "visit-2026-10-01-phone": "VR",
        "visit-2026-10-19-hospital": "IMP",
        "visit-2026-10-21-home": "HH",
        "visit-2026-11-11-office": "AMB",
    }
    notes = [d for d in of_type(bundle, "DocumentReference") if d["id"].startswith("note-")]
    assert len(notes) == len(classes)
    assert all(n["content"][0]["attachment"]["contentType"] == "text/markdown" for n in notes)
    hospital = next(n for n in notes if "hospital" in n["content"][0]["attachment"]["title"])
    text = base64.b64decode(hospital["content"][0]["attachment"]["data"]).decode("utf-8")
    assert text.startswith("# Contact note") and "Discharge planning meeting" in text  # the note itself
    encounters = {e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Encounter"}
    assert {n["context"]["encounter"][0]["reference"] for n in notes} == encounters


def test_medications(bundle: dict[str, Any]) -> None:
    statements = {m["id"]: m for m in of_type(bundle, "MedicationStatement")}
    first = statements[f"med-{CLIENT}-m1"]
    assert first["medicationCodeableConcept"]["text"] == "sertraline 25 mg by mouth once a day"
    assert first["status"] == "completed"
    assert first["effectivePeriod"] == {"start": "2026-08-25", "end": "2026-09-08"}
    assert statements[f"med-{CLIENT}-m3"]["status"] == "active"


def test_a_consent_per_consent_file(bundle: dict[str, Any], case: caseflow.CaseView) -> None:
    files = {d["id"]: d for d in data_of(case, "consents/")}
    consents = {c["identifier"][0]["value"]: c for c in of_type(bundle, "Consent")}
    assert consents.keys() == files.keys() and len(files) == 4
    for consent_id, consent in consents.items():
        assert consent["scope"]["coding"][0]["code"] == "patient-privacy"
        expected = "59284-0" if files[consent_id]["kind"] == "treatment" else "IDSCL"
        assert consent["category"][0]["coding"][0]["code"] == expected
    actors = consents["CN-79G4B6"]["provision"]["actor"]
    assert [a["reference"]["display"] for a in actors] == ["County Housing Authority"]


def test_every_reference_resolves(bundle: dict[str, Any]) -> None:
    urls = {e["fullUrl"] for e in bundle["entry"]}
    found = [ref for e in bundle["entry"] for ref in references(e["resource"])]
    assert found and set(found) <= urls


def test_the_cli_exports_and_records_it(agency: Path, tmp_path: Path) -> None:
    cases, out = agency, tmp_path / "out"
    out.mkdir()
    invoke(
        "--repo", cases, "--as", "sam", "export", CLIENT, "--format", "fhir", "--out", out / "b.json"
    ).assert_success()
    bundle = Bundle.model_validate_json((out / "b.json").read_bytes())
    assert bundle.type == "collection" and bundle.entry
    audit = json.loads(invoke("--repo", cases, "audit", "--json").assert_success().stdout)
    exports = [e for e in audit["entries"] if e["action"] == "export fhir"]
    assert [(e["who"], e["clients"]) for e in exports] == [("sam", [CLIENT])]
