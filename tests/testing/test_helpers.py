"""caseflow.testing's helpers, one test each: what a plugin author's tests can lean on."""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click
import pytest

from caseflow import hookspecs
from caseflow.hookspecs import hookimpl
from caseflow.testing import (
    Recorder,
    Result,
    git,
    installed_plugins,
    make_client,
    registered_plugin,
    set_plugin_settings,
)
from caseflow.testing.clients import STAGES


def test_the_recorder_implements_every_hook_but_the_registrations() -> None:
    specs = {name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(_, "caseflow_spec")}
    lifecycle = {name for name in specs if not name.startswith("register_")}
    recorded = {name for name, member in inspect.getmembers(Recorder) if hasattr(member, "caseflow_impl")}
    assert lifecycle == recorded
    assert {"configure", "validate_document", "after_document_saved", "new_client_id"} <= recorded


def test_the_recorder_sees_an_intake_in_order(case_repo: Callable[..., Path], recorder: Recorder) -> None:
    repo = registered_plugin(case_repo(), recorder, today="2026-11-02")
    client = repo.records.intake(repo.actor("robin"), name="Ada Example", dob="1990-01-01")
    hooks = [name for name, _ in recorder.calls]
    assert hooks[0] == "configure"  # before anything else asks the plugins
    assert hooks.index("new_client_id") < hooks.index("after_document_saved")
    assert recorder.named("after_document_saved")[0].path == f"clients/{client}/client.yaml"


def test_registered_plugin_fixes_today_and_loads_no_installed_plugin(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    repo = registered_plugin(path, today="2026-11-02")
    assert repo.today().isoformat() == "2026-11-02"
    assert not any(form.startswith("riverbend.") for form in repo.host.forms())
    everything = registered_plugin(path, installed=True)
    assert any(form.startswith("riverbend.") for form in everything.host.forms())


def test_registered_plugin_honours_caseflow_today_from_the_environment(
    case_repo: Callable[..., Path], monkeypatch: Any
) -> None:
    monkeypatch.setenv("CASEFLOW_TODAY", "2027-01-15")
    assert registered_plugin(case_repo()).today().isoformat() == "2027-01-15"


class Settled:
    """A plugin that keeps its settings, and refuses a bad one."""

    __name__ = "settled"

    def __init__(self) -> None:
        self.settings: Mapping[str, Any] = {}

    @hookimpl
    def configure(self, settings: Mapping[str, Any]) -> list[str] | None:
        self.settings = settings
        return None if isinstance(settings.get("days", 0), int) else ["days must be a whole number"]


def test_plugin_settings_reach_the_plugin(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    set_plugin_settings(path, "settled", {"days": 30})
    plugin = Settled()
    registered_plugin(path, plugin)
    assert plugin.settings == {"days": 30}


def _hello_plugin() -> types.ModuleType:
    module = types.ModuleType("hello_plugin")

    @hookimpl
    def register_commands(cli: click.Group) -> None:
        @cli.command()
        def hello() -> None:
            """Say hello."""
            click.echo("hello from a plugin that is not installed")

    module.register_commands = register_commands  # type: ignore[attr-defined]
    return module


def test_a_plugin_not_installed_adds_its_command_to_an_in_process_run(
    case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    path = case_repo()
    result = invoke_caseflow("--repo", path, "hello", plugins={"hello": _hello_plugin()}).assert_success()
    assert result.stdout == "hello from a plugin that is not installed\n"
    invoke_caseflow("--repo", path, "hello").assert_refused(2)  # gone again after the run


def test_installed_plugins_are_honoured_by_the_allow_list(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    with installed_plugins({"hello": _hello_plugin()}):
        repo = registered_plugin(path, installed=True)
        assert "hello" in [info.name for info in repo.host.describe()]
        blocked = registered_plugin(path, installed=True, environ={"CASEFLOW_PLUGINS": "riverbend"})
        assert "hello" not in [info.name for info in blocked.host.describe()]


def test_a_result_lists_the_commits_a_command_made(
    case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    path = case_repo()
    head = git(path, "rev-parse", "HEAD").strip()
    result = invoke_caseflow(
        "--repo", path, "--as", "robin", "intake", "--name", "Ada Example", "--dob", "1990-01-01", today="2026-11-02"
    ).assert_success()
    result.assert_commits(1)
    assert result.commits[0].sha == git(path, "rev-parse", "HEAD").strip() != head
    assert invoke_caseflow("--repo", path, "validate").assert_success().commits == []


def test_assert_refused_checks_the_reason(
    case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    path = case_repo()
    refused = invoke_caseflow("--repo", path, "--as", "robin", "show", "C-0000000")
    refused.assert_refused("C-0000000")
    try:
        refused.assert_refused("a reason it did not give")
    except AssertionError:
        pass
    else:
        raise AssertionError("assert_refused accepted a reason that was not given")


@pytest.mark.parametrize("stage", STAGES)
def test_make_client_builds_a_valid_client_in_each_stage(case_repo: Callable[..., Path], stage: str) -> None:
    repo = registered_plugin(case_repo(), today="2026-11-02")
    client = make_client(repo, stage)
    assert repo.workflow.current_stage(client) == stage
    assert repo.validate().ok


def test_make_client_refuses_a_stage_it_cannot_build(case_repo: Callable[..., Path]) -> None:
    with pytest.raises(ValueError, match="not 'discharged'"):
        make_client(registered_plugin(case_repo()), "discharged")


def test_the_developers_git_config_and_caseflow_variables_stay_out(
    case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result], tmp_path: Path, monkeypatch: Any
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # what would break every commit: signing with a key that does not exist, hooks that refuse
    (home / ".gitconfig").write_text("[commit]\n\tgpgsign = true\n[user]\n\tsigningkey = nope\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CASEFLOW_USER", "nobody")
    monkeypatch.setenv("CASEFLOW_PLUGINS", "not-a-plugin")
    path = case_repo()
    result = invoke_caseflow("--repo", path, "--as", "robin", "intake", "--name", "Ada Example", "--dob", "1990-01-01")
    result.assert_success().assert_commits(1)


def test_a_command_honours_caseflow_today_the_test_set(
    case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result], monkeypatch: Any
) -> None:
    monkeypatch.setenv("CASEFLOW_TODAY", "2027-01-15")
    path = case_repo()
    invoke_caseflow("--repo", path, "--as", "robin", "intake", "--name", "Ada Example", "--dob", "1990-01-01")
    result = invoke_caseflow("--repo", path, "--as", "robin", "clients", "--json").assert_success()
    assert "2027-01-15" in result.stdout  # the intake date
    assert "CASEFLOW_TODAY is set: today is 2027-01-15" in result.stderr
