"""How an agency tests its plugin: a real case repository, the real command, caseflow.testing.

The plugin is loaded as if installed under its name (``installed_as``, ``plugins=``), so these
tests run the same whether or not the package is pip-installed, and no other plugin is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import caseflow_riverbend

from caseflow.testing import Result, commit_files, make_client, registered_plugin, set_plugin_settings

TODAY = "2026-11-02"
PLUGIN = {"riverbend": caseflow_riverbend}


def test_housing_assessment_form_is_registered_and_has_a_skeleton(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    repo = registered_plugin(path, installed_as=PLUGIN, today=TODAY)
    client = make_client(repo, "evaluation", worker="robin")
    saved = repo.records.new_document(
        repo.actor("robin"),
        client,
        "riverbend.housing-assessment",
        fields=["living_situation=staying-with-family-or-friends"],
    )
    assert saved.path.startswith(f"clients/{client}/evaluation/{TODAY}-housing-assessment-")  # a short id
    assert saved.path.endswith(".yaml")
    assert "living_situation: staying-with-family-or-friends" in (path / saved.path).read_text()
    assert repo.validate().ok


def test_home_visits_must_record_their_length(
    case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    path = case_repo()
    client = make_client(registered_plugin(path, today=TODAY), "evaluation", worker="robin")
    visit = f"---\nform: core.visit\nclient: {client}\ndate: {TODAY}\ntype: home\nauthor: robin\n---\nVisited.\n"
    commit_files(path, {f"clients/{client}/visits/{TODAY}-home.md": visit})  # as written by hand
    result = invoke_caseflow("--repo", path, "validate", plugins=PLUGIN).assert_refused(1)
    assert result.stdout == (
        f"clients/{client}/visits/{TODAY}-home.md:5:7: "
        "[riverbend] Riverbend policy: a home visit records duration_minutes (lone-worker safety)\n"
    )
    invoke_caseflow("--repo", path, "validate", plugins={}).assert_success()  # without the plugin: valid


def test_the_housing_reassessment_follows_the_agencys_setting(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    set_plugin_settings(path, "riverbend", {"housing_reassessment_days": 90})
    repo = registered_plugin(path, installed_as=PLUGIN, today=TODAY)
    client = make_client(repo, "evaluation", worker="robin")
    repo.records.new_document(
        repo.actor("robin"), client, "riverbend.housing-assessment", fields=["living_situation=renting"]
    )
    due = [entry.item for entry in repo.due(worker="robin", within_days=120) if entry.client == client]
    assert [(item.rule, item.due) for item in due if item.rule.startswith("riverbend")] == [
        ("riverbend-housing-reassessment", "2027-01-31")
    ]


def test_a_setting_it_does_not_know_refuses_the_repository(
    case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    path = case_repo()
    set_plugin_settings(path, "riverbend", {"housing_reassesment_days": 90})
    invoke_caseflow("--repo", path, "validate", plugins=PLUGIN).assert_refused(
        "unknown setting 'housing_reassesment_days'"
    )
