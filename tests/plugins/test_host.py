"""The plugin host: loading, allow/block lists, attribution of failures, every hook."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow import DocumentView, Finding, Form, InvalidId, PluginError, hookimpl, open_repo
from caseflow.testing import ONLY_BUILTIN_PLUGINS, Recorder, Result, commit_files, git, registered_plugin


def install_fake_plugin(site: Path, name: str, module_source: str) -> dict[str, str]:
    """A real installed distribution (dist-info with an entry point) on a PYTHONPATH folder.

    Only a new process sees it, so the tests that install one run the real command in a subprocess.
    """
    module = f"caseflow_{name}"
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(module_source))
    dist = site / f"caseflow_{name}-1.2.3.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: caseflow-{name}\nVersion: 1.2.3\n")
    (dist / "entry_points.txt").write_text(f"[caseflow]\n{name} = {module}\n")
    return {"PYTHONPATH": str(site)}


def test_installed_agency_plugin_is_loaded_with_its_forms(case_repo: Callable[..., Path]) -> None:
    repo = open_repo(case_repo(), environ={})
    assert repo.host.form_owner("riverbend.housing-assessment") == "riverbend"
    assert repo.host.form_owner("core.plan") == "caseflow.records.plan_form"


def test_allow_and_block_lists(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    assert "riverbend.housing-assessment" not in open_repo(path, environ={"CASEFLOW_PLUGINS": ""}).forms
    assert "riverbend.housing-assessment" in open_repo(path, environ={"CASEFLOW_PLUGINS": "riverbend"}).forms
    config = (path / "caseflow.yaml").read_text().replace("staff:", "plugins:\n  block: [riverbend]\nstaff:", 1)
    commit_files(path, {"caseflow.yaml": config})
    assert "riverbend.housing-assessment" not in open_repo(path, environ={}).forms
    config = config.replace("block: [riverbend]", "allow: []")
    commit_files(path, {"caseflow.yaml": config})
    assert "riverbend.housing-assessment" not in open_repo(path, environ={}).forms


def test_plugin_that_fails_to_import_is_named_with_how_to_disable_it(
    case_repo: Callable[..., Path], tmp_path: Path, run_caseflow: Callable[..., Result]
) -> None:
    path = case_repo()
    env = install_fake_plugin(tmp_path / "site", "broken", "import caseflow_missing_dependency\n")
    result = run_caseflow("--repo", path, "validate", env=env).assert_refused()
    assert result.stderr.count("\n") == 1
    assert "plugin 'broken' failed to load (ModuleNotFoundError" in result.stderr
    assert "plugins: {block: [broken]}" in result.stderr
    run_caseflow("--repo", path, "validate", env={**env, "CASEFLOW_PLUGINS": "riverbend"}).assert_success()
    config = (path / "caseflow.yaml").read_text().replace("staff:", "plugins:\n  block: [broken]\nstaff:", 1)
    commit_files(path, {"caseflow.yaml": config})
    run_caseflow("--repo", path, "validate", env=env).assert_success()


def test_plugin_commands_and_listing(
    case_repo: Callable[..., Path], tmp_path: Path, run_caseflow: Callable[..., Result]
) -> None:
    path = case_repo()
    env = install_fake_plugin(
        tmp_path / "site",
        "hello",
        """
        import click
        from caseflow import hookimpl

        @hookimpl
        def register_commands(cli):
            @cli.command()
            def hello():
                "Say hello from a plugin."
                click.echo("hello from a plugin")
        """,
    )
    assert run_caseflow("--repo", path, "hello", env=env).assert_success().stdout == "hello from a plugin\n"
    assert "Say hello from a plugin." in run_caseflow("--help", env=env).stdout
    listed = json.loads(run_caseflow("--repo", path, "plugins", "--json", env=env).assert_success().stdout)
    by_name = {p["name"]: p for p in listed}
    assert by_name["hello"] == {
        "name": "hello",
        "version": "1.2.3",
        "default": False,
        "hooks": ["register_commands"],
        "contributes": {"commands": ["hello"]},
    }
    assert by_name["riverbend"]["contributes"] == {
        "forms": ["riverbend.housing-assessment"],
        "due rules": ["riverbend-housing-reassessment"],
        "reports": ["riverbend.monthly-housing"],
    }
    assert by_name["fhir"]["contributes"] == {"exporters": ["fhir"]}
    assert by_name["hsds"]["contributes"] == {"directory readers": ["hsds"]}
    assert by_name["riverbend"]["hooks"] == [
        "configure",
        "register_due_rules",
        "register_forms",
        "register_reports",
        "validate_document",
    ]
    assert not any(p["default"] for p in listed)
    everything = json.loads(run_caseflow("--repo", path, "plugins", "--all", "--json", env=env).stdout)
    assert {"caseflow.records.plan_form", "caseflow.records.client_ids"} <= {p["name"] for p in everything}


class FormPlugin:
    def __init__(self, form_id: str) -> None:
        self.form_id = form_id

    @hookimpl
    def register_forms(self) -> list[Form]:
        schema = {"type": "object", "properties": {"form": {"const": self.form_id}}}
        return [Form(self.form_id, "Test form", "yaml", "test.yaml", schema, "none.j2")]


def test_duplicate_form_ids_name_both_plugins(case_repo: Callable[..., Path]) -> None:
    repo = registered_plugin(case_repo(), FormPlugin("core.plan"))
    with pytest.raises(
        PluginError,
        match=r"form 'core.plan' is registered by both 'FormPlugin' and 'caseflow.records.plan_form'",
    ):
        repo.forms  # noqa: B018


def test_a_misspelled_hook_is_an_error_at_start_up(case_repo: Callable[..., Path]) -> None:
    class Misspelled:
        @hookimpl
        def register_from(self) -> list[Form]:
            return []

    with pytest.raises(PluginError, match="unknown hook"):
        registered_plugin(case_repo(), Misspelled())


class Raising:
    @hookimpl
    def validate_document(self, document: DocumentView) -> list[Finding]:
        raise ValueError("boom")


class Strict:
    @hookimpl
    def validate_document(self, document: DocumentView) -> list[Finding]:
        return [Finding("strict says no", ("stage",))] if document.form_id == "core.client" else []


def test_a_failing_validate_document_does_not_stop_the_others(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    casey = open_repo(path, environ=ONLY_BUILTIN_PLUGINS).actor("casey")
    client_id = open_repo(path, environ=ONLY_BUILTIN_PLUGINS).records.intake(
        casey, name="Ana Example", dob="1990-04-02"
    )
    repo = open_repo(path, environ=ONLY_BUILTIN_PLUGINS, plugins=[Raising(), Strict()])
    messages = [p.message for p in repo.validate().problems]
    assert "[Raising] plugin 'Raising' raised ValueError in validate_document: boom; disable it with" in " ".join(
        messages
    )
    assert any(m.endswith("strict says no") for m in messages)
    located = [p for p in repo.validate().problems if p.message.endswith("strict says no")]
    assert located[0].path == f"clients/{client_id}/client.yaml" and located[0].line == 7


def test_after_document_saved_fires_once_per_write_and_failures_only_warn(case_repo: Callable[..., Path]) -> None:
    class Failing:
        @hookimpl
        def after_document_saved(self, saved: object) -> None:
            raise RuntimeError("notification service down")

    recorder = Recorder()
    repo = registered_plugin(case_repo(), recorder, Failing())
    client_id = repo.records.intake(repo.actor("casey"), name="Ana Example", dob="1990-04-02")
    [saved] = recorder.named("after_document_saved")
    assert (saved.client_id, saved.form_id, saved.action) == (client_id, "core.client", "intake")
    assert saved.commit == git(repo.root, "rev-parse", "HEAD").strip()
    assert any("raised RuntimeError in after_document_saved" in w for w in repo.host.warnings)


def test_the_recorder_hears_every_lifecycle_hook_of_a_stage_change(case_repo: Callable[..., Path]) -> None:
    recorder = Recorder()
    repo = open_repo(case_repo(), environ=ONLY_BUILTIN_PLUGINS, plugins=[recorder])
    casey = repo.actor("casey")
    client_id = repo.records.intake(casey, name="Ana Example", dob="1990-04-02", phone="555-0100")
    consent = ("kind=treatment", "patient_name=Ana Example", "signed_by.name=Ana Example")
    repo.records.new_document(casey, client_id, "core.consent", fields=list(consent))
    recorder.calls.clear()
    repo.workflow.advance(casey, client_id)
    stage_hooks = [(hook, seen) for hook, seen in recorder.calls if hook.endswith("_stage_change")]
    [(before, asked), (after, change)] = stage_hooks
    assert (before, asked) == ("before_stage_change", (client_id, "intake", "evaluation"))
    assert after == "after_stage_change" and (change.client_id, change.target) == (client_id, "evaluation")
    assert recorder.named("after_document_saved") == []  # the stage change is one event, not a saved document


def test_new_client_id_can_be_overridden(case_repo: Callable[..., Path]) -> None:
    class AgencyIds:
        @hookimpl
        def new_client_id(self, taken: Callable[[str], bool]) -> str:
            assert not taken("RB-0001")
            return "RB-0001"

    repo = registered_plugin(case_repo(), AgencyIds())
    assert repo.records.intake(repo.actor("casey"), name="Ana Example", dob="1990-04-02") == "RB-0001"


def test_an_unsafe_id_from_a_plugin_is_refused(case_repo: Callable[..., Path]) -> None:
    class BadIds:
        @hookimpl
        def new_client_id(self, taken: Callable[[str], bool]) -> str:
            return "../../etc"

    repo = registered_plugin(case_repo(), BadIds())
    with pytest.raises(InvalidId, match="unusable id"):
        repo.records.intake(repo.actor("casey"), name="Ana Example", dob="1990-04-02")
    assert not (repo.root / "clients").exists()


def test_a_hook_with_a_misnamed_argument_is_named(case_repo: Callable[..., Path]) -> None:
    class WrongArgument:
        @hookimpl
        def validate_document(self, doc: DocumentView) -> list[Finding]:
            return []

    with pytest.raises(PluginError, match="plugin 'WrongArgument' does not fit the hook specification"):
        registered_plugin(case_repo(), WrongArgument())


def test_a_misspelled_allowed_plugin_is_pointed_out(
    case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    result = invoke_caseflow("--repo", case_repo(), "plugins", env={"CASEFLOW_PLUGINS": "riverbnd"}).assert_success()
    assert (
        "warning: plugin 'riverbnd' is allowed (caseflow.yaml or $CASEFLOW_PLUGINS) but not installed" in result.stderr
    )
    assert "(no plugins loaded" in result.stdout


def test_the_quick_look_through_a_modules_names_finds_what_pluggys_own_does() -> None:
    import importlib
    import types

    import pluggy

    from caseflow.plugins.manager import COMMAND_PLUGINS, DEFAULT_PLUGINS, PluginManager

    ours, theirs = PluginManager("caseflow"), pluggy.PluginManager("caseflow")
    odd = types.ModuleType("odd_plugin")  # what a module may hold besides functions
    odd.as_static = staticmethod(lambda: None)  # type: ignore[attr-defined]
    odd.value = 3  # type: ignore[attr-defined]
    modules = [importlib.import_module(name) for name in (*DEFAULT_PLUGINS, *COMMAND_PLUGINS)]
    found = 0
    for module in [*modules, odd]:
        for name in dir(module):
            assert ours.parse_hookimpl_opts(module, name) == theirs.parse_hookimpl_opts(module, name), (module, name)
            found += ours.parse_hookimpl_opts(module, name) is not None
    assert found >= len(modules)  # (each module implements a hook or more)
