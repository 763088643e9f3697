"""`caseflow plugin new`: a plugin package whose own tests pass as generated, quickly."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.scaffold import PluginNames
from caseflow.testing import Result

EXPECTED = [
    "README.md",
    "caseflow_acme_housing/__init__.py",
    "caseflow_acme_housing/templates/acme-housing/needs-assessment.yaml.j2",
    "caseflow_acme_housing/templates/reports/acme-housing-needs.md.j2",
    "pyproject.toml",
    "tests/conftest.py",
    "tests/test_plugin.py",
]


def test_the_generated_package_passes_its_own_tests_in_seconds(
    tmp_path: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    target = tmp_path / "caseflow-acme-housing"
    result = invoke_caseflow("plugin", "new", "acme-housing", "--dir", target).assert_success()
    assert result.stdout.startswith(f"created {target}/ (7 files): plugin 'acme-housing', module caseflow_acme_housing")
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == EXPECTED
    pyproject = (target / "pyproject.toml").read_text()
    assert '[project.entry-points.caseflow]\nacme-housing = "caseflow_acme_housing"' in pyproject

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "CASEFLOW_"))}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={tmp_path / 'basetemp'}"],
        cwd=target,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    took = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 passed" in done.stdout
    assert took < 30, f"the generated tests took {took:.1f} s (the aim: under 10 s on an idle machine)"


def test_the_generated_code_is_lint_clean(tmp_path: Path, invoke_caseflow: Callable[..., Result]) -> None:
    target = tmp_path / "plugin"
    invoke_caseflow("plugin", "new", "acme", "--dir", target).assert_success()
    ruff = [sys.executable, "-m", "ruff"]
    check = subprocess.run([*ruff, "check", "--select", "E,F,I,UP", "--line-length", "120", "."], cwd=target)
    assert check.returncode == 0
    assert subprocess.run([*ruff, "format", "--check", "--line-length", "120", "."], cwd=target).returncode == 0


def test_an_empty_folder_is_used(tmp_path: Path, invoke_caseflow: Callable[..., Result]) -> None:
    invoke_caseflow("plugin", "new", "acme", "--dir", tmp_path).assert_success()
    assert (tmp_path / "caseflow_acme" / "__init__.py").is_file()


def test_the_default_folder_is_named_after_the_distribution(
    tmp_path: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    invoke_caseflow("plugin", "new", "acme", cwd=tmp_path).assert_success()
    assert (tmp_path / "caseflow-acme" / "pyproject.toml").is_file()


def test_a_folder_with_something_in_it_is_refused(tmp_path: Path, invoke_caseflow: Callable[..., Result]) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    refused = invoke_caseflow("plugin", "new", "acme", "--dir", tmp_path).assert_refused(1)
    assert refused.stderr.count("\n") == 1 and "already exists and is not empty" in refused.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("name", ["Acme", "acme_housing", "1acme", "acme-", "core", "caseflow-x", "a b"])
def test_an_invalid_name_is_refused(name: str, tmp_path: Path, invoke_caseflow: Callable[..., Result]) -> None:
    refused = invoke_caseflow("plugin", "new", name, "--dir", tmp_path / "x").assert_refused(1)
    assert refused.stderr.count("\n") == 1 and "is not a plugin name" in refused.stderr
    assert not (tmp_path / "x").exists()


def test_the_names_of_a_plugin() -> None:
    names = PluginNames.of("acme-housing")
    assert (names.name, names.distribution, names.module) == (
        "acme-housing",
        "caseflow-acme-housing",
        "caseflow_acme_housing",
    )
