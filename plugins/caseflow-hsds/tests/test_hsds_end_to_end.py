"""A case manager's whole path through an HSDS directory, with the real `caseflow` command.

Import the directory, find a Spanish-speaking outpatient service near a postal code, refer, be
stopped for lack of consent, record the consent, send, and track the referral to completion.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.testing import Result, git

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CLIENT = "C-7K2M9Q"
CLIENT_YAML = f"""form: core.client
id: {CLIENT}
name: Ana Example
dob: 1990-04-02
assigned_worker: casey
intake_date: 2026-01-05
stage: intake
"""
Run = Callable[..., Result]


def caseflow(run: Run, repo: Path, *args: str | Path) -> Result:
    return run("--repo", repo, "--as", "casey", *args)


@pytest.mark.parametrize("source", ["springfield-211.json", "springfield-211-csv"])
def test_find_refer_consent_send_and_complete(
    case_repo: Callable[..., Path], invoke_caseflow: Run, source: str
) -> None:
    repo = case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML})
    imported = json.loads(
        caseflow(invoke_caseflow, repo, "providers", "import", EXAMPLES / source, "--id", "county-211", "--json")
        .assert_success()
        .stdout
    )
    assert (imported["services"], imported["skipped"], imported["reader"]) == (14, [], "hsds")

    found = json.loads(
        caseflow(
            invoke_caseflow,
            repo,
            "providers",
            "search",
            "--service",
            "outpatient-mental-health",
            "--language",
            "es",
            "--near",
            "62702",
            "--accepting",
            "--json",
        )
        .assert_success()
        .stdout
    )
    assert [s["name"] for s in found] == [
        "Casa Puente Family Counseling",
        "Prairie Lantern Outpatient Counseling",
        "Northfield Teen Counseling",
    ]
    best = found[0]
    assert best["directory"] == "county-211" and best["distance_km"] < found[1]["distance_km"]
    assert "category outpatient-mental-health" in best["why"] and best["distance_km"] < 1
    broader = caseflow(invoke_caseflow, repo, "providers", "search", "--service", "mental-health", "--language", "es")
    names = broader.assert_success().stdout
    assert "Prairie Lantern 24/7 Crisis Line" in names and "Casa Puente Family Counseling" in names
    assert "category outpatient-mental-health (under mental-health)" in names

    referral_id = (
        caseflow(
            invoke_caseflow,
            repo,
            "refer",
            CLIENT,
            "--service",
            best["id"],
            "--purpose",
            "Referral for counseling",
            "--information",
            "Contact information",
        )
        .assert_success()
        .stdout.strip()
    )
    head = git(repo, "rev-parse", "HEAD")
    stopped = caseflow(invoke_caseflow, repo, "referral", CLIENT, referral_id, "--status", "requested").assert_refused()
    assert "no release of information is on file for this client" in stopped.stderr
    assert git(repo, "rev-parse", "HEAD") == head

    expires = (dt.date.today() + dt.timedelta(days=365)).isoformat()
    consent = ("--purpose", "Referral for counseling", "--information", "Contact information", "--expires", expires)
    caseflow(invoke_caseflow, repo, "consent", CLIENT, "--to", best["organization_id"], *consent).assert_success()
    for status in ("requested", "accepted", "in-progress", "completed"):
        caseflow(invoke_caseflow, repo, "referral", CLIENT, referral_id, "--status", status).assert_success()
    late = caseflow(invoke_caseflow, repo, "referral", CLIENT, referral_id, "--status", "requested").assert_refused()
    assert "it can move to nothing (it is closed)" in late.stderr

    listed = json.loads(caseflow(invoke_caseflow, repo, "referrals", CLIENT, "--json").stdout)
    assert [(r["id"], r["status"], r["provider"], r["service"]) for r in listed] == [
        (referral_id, "completed", best["organization_id"], best["id"])
    ]


def test_import_keeps_the_valid_records_and_names_the_invalid_ones(
    case_repo: Callable[..., Path], invoke_caseflow: Run, tmp_path: Path
) -> None:
    data = json.loads((EXAMPLES / "springfield-211.json").read_text())
    broken = data[0]["services"][0]
    broken["status"] = "open"
    bad = tmp_path / "county.json"
    bad.write_text(json.dumps(data))
    repo = case_repo()
    imported = json.loads(caseflow(invoke_caseflow, repo, "providers", "import", bad, "--json").assert_success().stdout)
    assert imported["services"] == 13
    status_line, link_line = imported["skipped"]  # the service, then its link to a location
    assert status_line.startswith("county.json:0/services/0: ")
    assert f"service {broken['id']}: status: 'open' is not one of" in status_line
    assert f"service {broken['id']} is missing or was skipped" in link_line


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("county.json", '[{"id": "x",', "county.json:1:13:"),
        ("county.json", '{"a": "plain JSON, not a directory"}', "no installed plugin reads this directory format"),
        ("county.csv", "id,name\n1,x\n", "no installed plugin reads this directory format"),
    ],
)
def test_import_refuses_what_is_not_an_hsds_directory_and_writes_nothing(
    case_repo: Callable[..., Path], invoke_caseflow: Run, tmp_path: Path, name: str, content: str, message: str
) -> None:
    repo = case_repo()
    head = git(repo, "rev-parse", "HEAD")
    (tmp_path / name).write_text(content)
    refused = caseflow(invoke_caseflow, repo, "providers", "import", tmp_path / name).assert_refused()
    assert message in refused.stderr
    assert git(repo, "rev-parse", "HEAD") == head and not (repo / "directories").exists()
