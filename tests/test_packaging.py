"""A wheel built from the repository carries the templates and the example agency, and works."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("caseflow-*.whl")
    return built


def test_wheel_contains_templates_and_example_casefiles(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "templates").rglob("*.j2"):
        assert f"caseflow/templates/{template.relative_to(ROOT / 'templates').as_posix()}" in names
    assert "caseflow/example_casefiles/caseflow.yaml" in names
    scaffold = ROOT / "caseflow" / "scaffold" / "templates"  # `caseflow plugin new`'s package
    for template in scaffold.rglob("*.j2"):
        assert f"caseflow/scaffold/templates/{template.relative_to(scaffold).as_posix()}" in names
    assert not any(name.startswith("tests/") for name in names)


def test_installed_wheel_runs_the_demo_from_its_own_files(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site), "CASEFLOW_PLUGINS": ""}
    where = subprocess.run(
        [sys.executable, "-c", "import caseflow.core.resources as r; print(r.shipped_dir('templates'))"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.strip() == str(site / "caseflow" / "templates")
    demo = subprocess.run(
        [sys.executable, "-m", "caseflow", "demo", str(tmp_path / "demo")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert demo.returncode == 0, demo.stderr
    assert (tmp_path / "demo" / "clients").is_dir()
