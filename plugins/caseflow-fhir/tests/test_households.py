"""The household in a client's FHIR export: a Group, the family plan's CarePlan, and the consent rule."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from caseflow.testing import Result

ANA, BEN = "C-7K2M9Q", "C-4T8M2Q"
CLIENT_YAML = """form: core.client
id: {id}
name: {name}
dob: 1990-04-02
assigned_worker: casey
intake_date: 2026-01-05
stage: active
"""
PROVIDER = """form: core.provider
id: eastside-counseling
name: Eastside Counseling (fictional)
services:
  - {id: eastside-cbt, name: Family therapy, categories: [family-therapy]}
"""
NEXT_YEAR = (dt.date.today() + dt.timedelta(days=365)).isoformat()
PURPOSE = "Coordination of family therapy"
Run = Callable[..., Result]


@pytest.fixture
def agency(case_repo: Callable[..., Path], invoke_caseflow: Run) -> tuple[Path, str]:
    path = case_repo(
        {
            f"clients/{ANA}/client.yaml": CLIENT_YAML.format(id=ANA, name="Ana Example"),
            f"clients/{BEN}/client.yaml": CLIENT_YAML.format(id=BEN, name="Ben Example"),
            "providers/eastside-counseling.yaml": PROVIDER,
        }
    )
    made = invoke_caseflow(
        "--repo", path, "--as", "casey", "household", "new", "--member", f"{ANA}:head", "--member", f"{BEN}:child",
        "--person", "Cal Example:child:2016", "--json",
    )  # fmt: skip
    household = str(json.loads(made.assert_success().stdout)["id"])
    invoke_caseflow(
        "--repo", path, "--as", "casey", "household", "plan", household,
        "goals[+].id=g1", "goals[g1].title=Stable home",
        "goals[g1].status=active", "goals[g1].objectives[+].id=o1", "goals[g1].objectives[o1].statement=Ana applies",
        "goals[g1].objectives[o1].target_date=2026-06-01", "goals[g1].objectives[o1].responsible=Ana",
        "goals[g1].objectives[o1].member=m1", "goals[g1].objectives[+].id=o2",
        "goals[g1].objectives[o2].statement=Ben goes to school", "goals[g1].objectives[o2].target_date=2026-06-01",
        "goals[g1].objectives[o2].responsible=Ben", "goals[g1].objectives[o2].member=m2",
    ).assert_success()  # fmt: skip
    return path, household


def export(run: Run, path: Path, tmp_path: Path, *extra: str) -> dict[str, Any]:
    out = tmp_path / f"bundle-{len(list(tmp_path.iterdir()))}.json"
    run("--repo", path, "--as", "sam", "export", ANA, "--format", "fhir", "--out", out, *extra).assert_success()
    Bundle.model_validate_json(out.read_bytes())
    bundle: dict[str, Any] = json.loads(out.read_text())
    return bundle


def of_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def consent(run: Run, path: Path, client: str, information: str) -> None:
    run(
        "--repo", path, "--as", "casey", "consent", client, "--to", "eastside-counseling", "--purpose", PURPOSE,
        "--information", information, "--expires", NEXT_YEAR,
    ).assert_success()  # fmt: skip


def test_the_group_and_the_family_plan(agency: tuple[Path, str], invoke_caseflow: Run, tmp_path: Path) -> None:
    path, household = agency
    bundle = export(invoke_caseflow, path, tmp_path)
    (group,) = of_type(bundle, "Group")
    assert group["identifier"] == [{"system": "urn:caseflow:household", "value": household}]
    assert group["quantity"] == 3 and group["type"] == "person" and group["actual"] is True
    urls = {e["resource"]["resourceType"]: e["fullUrl"] for e in bundle["entry"]}
    assert [m["entity"] for m in group["member"]] == [{"reference": urls["Patient"]}]  # the client only
    family = [p for p in of_type(bundle, "CarePlan") if p.get("title") == "Family plan"]
    assert len(family) == 1 and family[0]["status"] == "draft"  # not approved yet
    assert family[0]["subject"] == {"reference": urls["Group"]}
    assert [a["detail"]["description"] for a in family[0]["activity"]] == ["Ana applies"]  # not Ben's objective
    text = json.dumps(bundle)
    assert BEN not in text and "Cal" not in text and "Ben goes" not in text


def test_another_client_appears_only_under_a_consent_covering_the_recipient(
    agency: tuple[Path, str], invoke_caseflow: Run, tmp_path: Path
) -> None:
    path, _ = agency
    consent(invoke_caseflow, path, ANA, "The whole case record")
    to = ("--to", "eastside-counseling", "--purpose", PURPOSE)
    without = export(invoke_caseflow, path, tmp_path, *to)
    assert BEN not in json.dumps(without)  # Ben has no release to Eastside
    consent(invoke_caseflow, path, BEN, "Household membership")
    covered = export(invoke_caseflow, path, tmp_path, *to)
    (group,) = of_type(covered, "Group")
    assert {"identifier": {"system": "urn:caseflow:client", "value": BEN}, "type": "Patient"} in [
        m["entity"] for m in group["member"]
    ]
    family = next(p for p in of_type(covered, "CarePlan") if p.get("title") == "Family plan")
    assert [a["detail"]["description"] for a in family["activity"]] == ["Ana applies", "Ben goes to school"]
    assert "Cal" not in json.dumps(covered) and group["quantity"] == 3  # a non-client: counted only
    inside = export(invoke_caseflow, path, tmp_path)  # inside the agency, no recipient: no one else
    assert BEN not in json.dumps(inside)
