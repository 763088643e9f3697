"""caseflow.yaml: validated on open, located problems, and re-checked whenever it changes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow import DocumentError, open_repo
from caseflow.testing import ONLY_BUILTIN_PLUGINS, git


def test_an_invalid_setting_is_located(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    config = path / "caseflow.yaml"
    open_repo(path, environ=ONLY_BUILTIN_PLUGINS)  # a valid file: its digest is remembered locally
    config.write_text(config.read_text().replace("role: case_manager", "role: wizard", 1))
    with pytest.raises(DocumentError) as caught:
        open_repo(path, environ=ONLY_BUILTIN_PLUGINS)
    [problem] = caught.value.problems
    line = config.read_text().splitlines().index("    role: wizard") + 1  # (init's comments come first)
    assert str(problem) == f"caseflow.yaml:{line}:11: Role: 'wizard' is not one of case_manager, supervisor, director"
    assert git(path, "status", "--porcelain") == " M caseflow.yaml\n", "the remembered digest stays local"


def test_a_missing_agency_is_refused(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    config = path / "caseflow.yaml"
    config.write_text(config.read_text().replace("agency: Test Agency\n", ""))
    with pytest.raises(DocumentError, match=r"caseflow.yaml:2:1: missing required field 'agency' \(Agency\)"):
        open_repo(path, environ=ONLY_BUILTIN_PLUGINS)


def test_staff_ids_and_emails_are_unique_and_the_time_zone_exists(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    config = path / "caseflow.yaml"
    original = config.read_text()
    config.write_text(original.replace("id: robin", "id: casey"))
    with pytest.raises(DocumentError, match="staff id 'casey' is already used by staff entry"):
        open_repo(path, environ=ONLY_BUILTIN_PLUGINS)
    config.write_text(original.replace("timezone: UTC", "timezone: Mars/Olympus"))
    with pytest.raises(DocumentError, match=r"caseflow.yaml:5:11: Time zone: 'Mars/Olympus' is not an IANA time zone"):
        open_repo(path, environ=ONLY_BUILTIN_PLUGINS)


def test_today_is_the_agency_s_day(case_repo: Callable[..., Path]) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    path = case_repo()
    config = path / "caseflow.yaml"
    config.write_text(config.read_text().replace("timezone: UTC", "timezone: Pacific/Kiritimati"))
    assert (
        open_repo(path, environ=ONLY_BUILTIN_PLUGINS).today() == dt.datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    )


def test_an_unknown_workflow_is_reported_by_validate(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    config = path / "caseflow.yaml"
    config.write_text(config.read_text().replace("workflow: core.behavioral-health", "workflow: core.nope"))
    [problem] = open_repo(path, environ=ONLY_BUILTIN_PLUGINS).validate().problems
    assert str(problem) == "caseflow.yaml: workflow 'core.nope' is not provided by any plugin"
