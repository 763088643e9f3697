"""`caseflow plugins` shows everything each plugin contributes, and each plugin's version."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

import caseflow
from caseflow import (
    Check,
    CheckParameter,
    DirectoryLoad,
    DueRule,
    Exporter,
    Form,
    Report,
    Requirement,
    Stage,
    Transition,
    Workflow,
    WorkflowExtension,
    hookimpl,
)
from caseflow.testing import registered_plugin


class Everything:
    """A plugin that contributes one of every kind (instruments come from caseflow's own)."""

    @hookimpl
    def register_forms(self) -> list[Form]:
        schema = {"type": "object", "properties": {"form": {"const": "every.form"}}}
        return [Form("every.form", "A form", "yaml", "every.yaml", schema, "none.j2")]

    @hookimpl
    def register_checks(self) -> list[Check]:
        parameter = CheckParameter("days", int, "how many days")
        return [Check("every.check", lambda p: "a check", lambda case, p: [], parameters=(parameter,))]

    @hookimpl
    def register_workflows(self) -> list[Workflow | WorkflowExtension]:
        stages = (
            Stage("open", "Open", (Requirement("every.check", {"days": 3}),)),
            Stage("closed", "Closed", final=True),
        )
        return [
            Workflow("every.workflow", "A workflow", stages, (Transition("open", "closed"),)),
            WorkflowExtension("core.behavioral-health", monitoring={"plan_review_days": 60}),
        ]

    @hookimpl
    def register_due_rules(self) -> list[DueRule]:
        return [DueRule("every-due", "A due rule", lambda case, monitoring: [])]

    @hookimpl
    def register_reports(self) -> list[Report]:
        return [Report("every.report", "A report", "Counts.", lambda inputs: {"tables": []})]

    @hookimpl
    def register_exporters(self) -> list[Exporter]:
        return [Exporter("every-export", "An export", "text/plain", ".txt", export=lambda inputs: b"")]

    @hookimpl
    def read_provider_directory(self, source: Path, directory_id: str) -> DirectoryLoad | None:
        return None

    @hookimpl
    def register_commands(self, cli: click.Group) -> None:
        cli.add_command(click.Command("every-command", callback=lambda: None, help="A command."))


def test_every_kind_of_contribution_is_listed(case_repo: Callable[..., Path]) -> None:
    infos = {info.name: info for info in registered_plugin(case_repo(), Everything(), installed=True).host.describe()}
    assert infos["Everything"].as_json()["contributes"] == {
        "forms": ["every.form"],
        "checks": ["every.check"],
        "workflows": ["every.workflow"],
        "workflow extensions": ["core.behavioral-health"],
        "due rules": ["every-due"],
        "reports": ["every.report"],
        "exporters": ["every-export"],
        "directory readers": ["Everything"],
        "commands": ["every-command"],
    }
    assert infos["Everything"].version is None  # code of no installed distribution (a test's own)
    mood = infos["caseflow.evaluation.mood"]
    assert "instruments.phq9" in mood.contributes["instruments"] and mood.version == caseflow.__version__
    assert infos["riverbend"].version == "0.1.0"  # an installed plugin: its distribution's version
    assert infos["riverbend"].contributes["reports"] == ("riverbend.monthly-housing",)


def test_a_plugin_module_registered_as_an_object_has_its_distributions_version(case_repo: Callable[..., Path]) -> None:
    import caseflow_fhir

    repo = caseflow.open_repo(case_repo(), environ={"CASEFLOW_PLUGINS": ""}, plugins=[caseflow_fhir])
    infos = {info.name: info for info in repo.host.describe()}
    assert "fhir" not in infos  # not loaded through its entry point ...
    assert infos["caseflow_fhir"].version == "0.1.0"  # ... yet its distribution is found from its module
