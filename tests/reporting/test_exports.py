"""Exports: the format a plugin registers, roles, the consent gate for outside recipients, the record."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from caseflow import AgencyExport, AgencyExportInputs, Exporter, ExportInputs, NotAllowed, hookimpl
from caseflow.core.access_record import entries
from caseflow.referrals.lifecycle import ConsentRequired
from caseflow.reporting.exports import export
from caseflow.testing import registered_plugin
from tests.samples import CLIENT, CLIENT_YAML

PROVIDER = (
    "form: core.provider\nid: eastside\nname: Eastside (fictional)\nservices:\n  - {id: eastside-cbt, name: CBT}\n"
)


class ToyExporter:
    @hookimpl
    def register_exporters(self) -> list[Exporter]:
        def dump(inputs: ExportInputs) -> bytes:
            return json.dumps({"client": inputs.case.client_id, "agency": inputs.agency}).encode()

        return [Exporter("toy", "Toy JSON", "application/json", ".json", dump)]


@pytest.fixture
def repo_path(case_repo: Callable[..., Path]) -> Path:
    return case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML, "providers/eastside.yaml": PROVIDER})


def test_an_export_is_recorded_and_needs_a_role(repo_path: Path) -> None:
    repo = registered_plugin(repo_path, ToyExporter())
    assert json.loads(export(repo, repo.actor("sam"), CLIENT, "toy")) == {"client": CLIENT, "agency": "Test Agency"}
    assert [(e.who, e.action, e.what, e.clients) for e in entries(repo_path)] == [
        ("sam", "export toy", "inside the agency", (CLIENT,))
    ]
    with pytest.raises(NotAllowed):
        export(repo, repo.actor("casey"), CLIENT, "toy")


def test_an_export_to_an_outside_recipient_passes_the_consent_gate(repo_path: Path) -> None:
    repo = registered_plugin(repo_path, ToyExporter())
    with pytest.raises(ConsentRequired) as refused:
        export(
            repo, repo.actor("sam"), CLIENT, "toy", to="eastside", purpose="Care coordination", information=["Record"]
        )
    assert refused.value.lines()[0] == f"export of {CLIENT} cannot go to eastside: no consent on file covers it:"
    assert entries(repo_path) == []


def test_the_gate_checks_what_the_export_carries_not_only_what_is_typed(repo_path: Path) -> None:
    expires = "2099-01-01"
    consent = (
        f"form: core.consent\nid: CN-2Q4W6E\nclient: {CLIENT}\nkind: release\nregulation: hipaa\n"
        "patient_name: Ana Example\ndisclosing_party: Test Agency\ninformation_covered: [Demographics]\n"
        "recipients:\n  - {name: Eastside, provider: eastside}\npurposes: [Care coordination]\n"
        f"right_to_revoke: In writing.\nexpires_on: {expires}\nsigned_by: {{name: Ana Example, relationship: self}}\n"
        "signed_on: 2026-01-05\nredisclosure_notice: true\nconditioning_statement: true\nstatus: active\n"
    )
    from caseflow.testing import commit_files

    commit_files(repo_path, {f"clients/{CLIENT}/consents/CN-2Q4W6E.yaml": consent})
    repo = registered_plugin(repo_path, ToyExporter())
    with pytest.raises(ConsentRequired) as refused:
        export(
            repo,
            repo.actor("sam"),
            CLIENT,
            "toy",
            to="eastside",
            purpose="Care coordination",
            information=["Demographics"],
        )
    assert "does not cover this information: The whole case record" in refused.value.lines()[1]


def test_an_exporter_is_for_one_client_or_for_the_agency_never_both() -> None:
    def dump(inputs: ExportInputs) -> bytes:
        return b""

    def whole(inputs: AgencyExportInputs) -> AgencyExport:
        return AgencyExport({}, ())

    assert not Exporter("one", "One", "text/plain", ".txt", dump).agency_wide
    assert Exporter("all", "All", "application/zip", ".zip", export_agency=whole).agency_wide
    with pytest.raises(ValueError, match="exactly one"):
        Exporter("none", "None", "text/plain", ".txt")
    with pytest.raises(ValueError, match="exactly one"):
        Exporter("both", "Both", "text/plain", ".txt", dump, export_agency=whole)


def test_a_client_export_names_its_client_and_an_agency_export_none(
    repo_path: Path, invoke_caseflow: Callable[..., Any]
) -> None:
    as_sam = ("--repo", repo_path, "--as", "sam", "export")
    assert "name the client" in invoke_caseflow(*as_sam, "--format", "fhir").assert_refused(2).stderr
    assert "leave out" in invoke_caseflow(*as_sam, "--format", "hmis", CLIENT).assert_refused(2).stderr
    assert entries(repo_path) == []
