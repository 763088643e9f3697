"""Referrals: the status lifecycle, and the consent gate on sending (standards §4.4)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow import CaseflowError, CaseRepo, NotAllowed, open_repo
from caseflow.referrals.lifecycle import ConsentRequired, change_status
from caseflow.testing import ONLY_BUILTIN_PLUGINS, Result, git
from tests.samples import CLIENT, CLIENT_YAML

REFERRAL = f"""form: core.referral
id: R-AAAAAA
client: {CLIENT}
provider: eastside-counseling
service: Individual counseling in Spanish
category: counseling
purpose: coordinating counseling
information: [contact details]
status: draft
history:
  - status: draft
    on: 2026-01-05
    by: casey
"""


def consent(expires: str = "2099-01-31", **extra: str) -> str:
    lines = "".join(f"{k}: {v}\n" for k, v in extra.items())
    return (
        f"form: core.consent\nid: CN-2Q4W6E\nclient: {CLIENT}\nkind: release\nregulation: hipaa\n"
        "patient_name: Ana Example\ndisclosing_party: Test Agency\ninformation_covered: [contact details]\n"
        "recipients:\n  - name: Eastside Counseling\n    provider: eastside-counseling\n"
        "purposes: [coordinating counseling]\n"
        f"right_to_revoke: In writing.\nexpires_on: {expires}\nsigned_by: {{name: Ana Example, relationship: self}}\n"
        "signed_on: 2026-01-05\nredisclosure_notice: true\nconditioning_statement: true\n"
        + lines
        + ("" if "status" in extra else "status: active\n")
    )


def repo_with(case_repo: Callable[..., Path], consent_text: str | None = None) -> CaseRepo:
    files = {f"clients/{CLIENT}/client.yaml": CLIENT_YAML, f"clients/{CLIENT}/referrals/R-AAAAAA.yaml": REFERRAL}
    if consent_text is not None:
        files[f"clients/{CLIENT}/consents/CN-2Q4W6E.yaml"] = consent_text
    return open_repo(case_repo(files), environ=ONLY_BUILTIN_PLUGINS)


def test_sending_without_consent_is_refused_with_the_reason(case_repo: Callable[..., Path]) -> None:
    repo = repo_with(case_repo)
    head = git(repo.root, "rev-parse", "HEAD")
    with pytest.raises(ConsentRequired) as caught:
        change_status(repo, repo.actor("casey"), CLIENT, "R-AAAAAA", "requested")
    assert caught.value.lines() == [
        "referral R-AAAAAA cannot be sent: no consent on file covers it:",
        "  - no release of information is on file for this client",
    ]
    assert git(repo.root, "rev-parse", "HEAD") == head


def test_an_expired_consent_is_named_with_what_is_wrong(case_repo: Callable[..., Path]) -> None:
    repo = repo_with(case_repo, consent(expires="2026-02-01"))
    with pytest.raises(ConsentRequired) as caught:
        change_status(repo, repo.actor("casey"), CLIENT, "R-AAAAAA", "requested")
    assert caught.value.check.refusal() == ["consent CN-2Q4W6E expired on 2026-02-01"]


def test_a_covered_referral_is_sent_and_tracked_to_completion(case_repo: Callable[..., Path]) -> None:
    path = case_repo(
        {
            f"clients/{CLIENT}/client.yaml": CLIENT_YAML,
            f"clients/{CLIENT}/referrals/R-AAAAAA.yaml": REFERRAL,
            f"clients/{CLIENT}/consents/CN-2Q4W6E.yaml": consent(),
        }
    )
    repo = open_repo(path, environ=ONLY_BUILTIN_PLUGINS)
    casey = repo.actor("casey")
    change_status(repo, casey, CLIENT, "R-AAAAAA", "requested", note="Asked for late-afternoon times")
    record = repo.case(CLIENT).by_form("core.referral")[0].data
    assert record["consent"] == "CN-2Q4W6E" and record["history"][-1]["consent"] == "CN-2Q4W6E"
    assert "Caseflow-Referral: R-AAAAAA draft -> requested" in git(path, "log", "-1", "--format=%B")
    for status in ("accepted", "in-progress", "completed"):
        change_status(repo, casey, CLIENT, "R-AAAAAA", status)
    with pytest.raises(CaseflowError, match="it can move to nothing \\(it is closed\\), not in-progress"):
        change_status(repo, casey, CLIENT, "R-AAAAAA", "in-progress")
    assert repo.validate().ok


def test_illegal_transitions_are_refused(case_repo: Callable[..., Path]) -> None:
    repo = repo_with(case_repo)
    with pytest.raises(
        CaseflowError, match="referral R-AAAAAA is draft; it can move to cancelled, requested, not completed"
    ):
        change_status(repo, repo.actor("casey"), CLIENT, "R-AAAAAA", "completed")


def test_emergency_disclosure_only_for_allowed_roles_and_recorded(case_repo: Callable[..., Path]) -> None:
    repo = repo_with(case_repo)
    with pytest.raises(NotAllowed, match="may not disclose without consent in an emergency"):
        change_status(repo, repo.actor("casey"), CLIENT, "R-AAAAAA", "requested", emergency="overdose risk")
    change_status(repo, repo.actor("sam"), CLIENT, "R-AAAAAA", "requested", emergency="overdose risk tonight")
    entry = repo.case(CLIENT).by_form("core.referral")[0].data["history"][-1]
    assert entry["emergency"] == "overdose risk tonight" and entry["by"] == "sam"
    assert "Caseflow-Emergency: disclosure without consent" in git(repo.root, "log", "-1", "--format=%B")


def test_referral_commands(case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]) -> None:
    path = case_repo(
        {f"clients/{CLIENT}/client.yaml": CLIENT_YAML, f"clients/{CLIENT}/referrals/R-AAAAAA.yaml": REFERRAL}
    )
    env = {"CASEFLOW_USER": "casey", "CASEFLOW_PLUGINS": ""}
    refused = invoke_caseflow(
        "referral", CLIENT, "R-AAAAAA", "--status", "requested", cwd=path, env=env
    ).assert_refused(1)
    assert "no release of information is on file" in refused.stderr
    import json

    [row] = json.loads(invoke_caseflow("referrals", CLIENT, "--open", "--json", cwd=path).assert_success().stdout)
    assert (row["id"], row["status"], row["provider"]) == ("R-AAAAAA", "draft", "eastside-counseling")
    invoke_caseflow(
        "referral", CLIENT, "R-AAAAAA", "--status", "cancelled", "--reason", "client moved", cwd=path, env=env
    ).assert_success()
    assert json.loads(invoke_caseflow("referrals", "--open", "--json", cwd=path).stdout) == []
