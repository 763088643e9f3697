"""The generic registry behind every ``register_*`` hook, through real plugins on a real repository."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from caseflow import CaseRepo, CaseView, Check, PluginError, WorkflowExtension, hookimpl, open_repo
from caseflow.plugins import Kind, Registry
from caseflow.testing import ONLY_BUILTIN_PLUGINS, registered_plugin


def a_check(check_id: str) -> Check:
    def evaluate(case: CaseView, params: Mapping[str, Any]) -> list[str]:
        return []

    return Check(check_id, lambda params: f"{check_id} holds", evaluate)


class First:
    calls = 0

    @hookimpl
    def register_checks(self) -> list[Check]:
        type(self).calls += 1
        return [a_check("test.first"), a_check("test.first-again")]


class Second:
    @hookimpl
    def register_checks(self) -> list[Check]:
        return [a_check("test.second")]


class AlsoFirst:
    @hookimpl
    def register_checks(self) -> list[Check]:
        return [a_check("test.first")]


def open_with(case_repo: Callable[..., Path], *plugins: object) -> CaseRepo:
    repo = registered_plugin(case_repo(), *plugins)
    assert isinstance(repo, CaseRepo)
    return repo


def test_a_duplicate_id_names_both_plugins(case_repo: Callable[..., Path]) -> None:
    repo = open_with(case_repo, First(), AlsoFirst())
    # pluggy calls the newest registered plugin first, so it is the one found holding the id
    with pytest.raises(PluginError, match=r"^check 'test.first' is registered by both 'AlsoFirst' and 'First'; rename"):
        repo.host.checks()


def test_a_wrong_type_names_the_plugin(case_repo: Callable[..., Path]) -> None:
    class Sloppy:
        @hookimpl
        def register_checks(self) -> list[object]:
            return [a_check("test.fine"), {"id": "test.dict"}]

    repo = open_with(case_repo, Sloppy())
    with pytest.raises(PluginError) as caught:
        repo.host.checks()
    assert str(caught.value) == "plugin 'Sloppy' returned {'id': 'test.dict'} from register_checks, not a Check"


def test_a_plugin_raising_in_a_registration_hook_is_named(case_repo: Callable[..., Path]) -> None:
    class Exploding:
        @hookimpl
        def register_reports(self) -> list[object]:
            raise RuntimeError("boom")

    repo = open_with(case_repo, Exploding())
    with pytest.raises(PluginError) as caught:
        repo.host.reports()
    assert str(caught.value).startswith(
        "plugin 'Exploding' raised RuntimeError in register_reports: boom; "
        "disable it with 'plugins: {block: [Exploding]}' in caseflow.yaml"
    )


def test_items_come_in_the_order_plugins_are_called_and_owners_are_remembered(
    case_repo: Callable[..., Path],
) -> None:
    repo = open_with(case_repo, First(), Second())
    checks = list(repo.host.checks())
    # the order pluggy calls plugins: newest registered first (a plugin's own list in its order),
    # caseflow's defaults (trylast) at the end
    assert checks[:3] == ["test.second", "test.first", "test.first-again"]
    assert "document_valid" in checks[3:]
    registry = Registry(repo.host.calls, Kind("register_checks", Check, "check"))
    assert registry.owners["test.first"] == "First"
    assert registry.owners["test.second"] == "Second"
    assert registry.owners["document_valid"] == "caseflow.workflow.checks"
    assert [(owner, check.id) for owner, check in registry.owned()][:2] == [
        ("Second", "test.second"),
        ("First", "test.first"),
    ]


def test_each_registry_is_collected_once(case_repo: Callable[..., Path]) -> None:
    First.calls = 0
    repo = open_with(case_repo, First())
    assert repo.host.checks() is repo.host.checks()
    repo.host.workflows()  # checking workflows needs the checks again
    repo.host.describe()
    assert First.calls == 1


class Weekly:
    @hookimpl
    def register_workflows(self) -> list[WorkflowExtension]:
        return [WorkflowExtension("core.behavioral-health", monitoring={"plan_review_days": 7})]


class Monthly:
    @hookimpl
    def register_workflows(self) -> list[WorkflowExtension]:
        return [WorkflowExtension("core.behavioral-health", monitoring={"plan_review_days": 30})]


@pytest.mark.parametrize("plugins", [(Weekly, Monthly), (Monthly, Weekly)])
def test_workflow_extensions_combine_by_plugin_name_whatever_the_registration_order(
    case_repo: Callable[..., Path], plugins: tuple[type, type]
) -> None:
    repo = registered_plugin(case_repo(), *(plugin() for plugin in plugins))
    workflow = repo.host.workflows()["core.behavioral-health"]
    assert workflow.monitoring["plan_review_days"] == 30  # "Monthly" comes first by name, and wins
    assert [c.plugins for c in repo.host.workflow_conflicts()] == [("Monthly", "Weekly")]
    listed = {info.name: info.contributes for info in repo.host.describe()}
    assert listed["Weekly"] == listed["Monthly"] == {"workflow extensions": ("core.behavioral-health",)}


def test_an_instrument_brings_its_form_owned_by_the_instruments_plugin(case_repo: Callable[..., Path]) -> None:
    host = open_repo(case_repo(), environ=ONLY_BUILTIN_PLUGINS).host
    assert host.forms()["instruments.phq9"].id == "instruments.phq9"
    assert host.form_owner("instruments.phq9") == "caseflow.evaluation.mood"
    listed = {info.name: info.contributes for info in host.describe()}
    assert "instruments.phq9" in listed["caseflow.evaluation.mood"]["instruments"]
    assert "forms" not in listed["caseflow.evaluation.mood"]
