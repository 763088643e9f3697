"""docs/tutorial.md, run: its files written into a package `caseflow plugin new` made, the
package's tests run, and the commands it ends with run with the plugin loaded.

A fenced block with ``title="PATH"`` is a file to write; ``title="PATH (excerpt)"`` must match
lines of that file as generated; ``title="PATH (add at the end)"`` is appended to it."""

from __future__ import annotations

import importlib
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from caseflow.testing import Result

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial.md"
FENCE = re.compile(r'^```(\w+)(?: title="([^"]+)")?\n(.*?)^```$', re.MULTILINE | re.DOTALL)


def blocks() -> Iterator[tuple[str, str | None, str]]:
    """(language, title, text) of every fenced block of the tutorial, in order."""
    for match in FENCE.finditer(TUTORIAL.read_text(encoding="utf-8")):
        yield match.group(1), match.group(2), match.group(3)


def build(target: Path) -> None:
    """Write the tutorial's files into the package at ``target``; check its excerpts."""
    for _, title, text in blocks():
        if title is None:
            continue
        if title.endswith(" (excerpt)"):
            generated = (target / title.removesuffix(" (excerpt)")).read_text(encoding="utf-8")
            assert text in generated, f"the tutorial's excerpt of {title} is not what caseflow plugin new writes"
        elif title.endswith(" (add at the end)"):
            with (target / title.removesuffix(" (add at the end)")).open("a", encoding="utf-8") as file:
                file.write(text)
        else:
            path = target / title
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


def commands(first_word: str) -> list[list[str]]:
    """The tutorial's ``sh`` lines that run ``first_word``, split as the shell would (comments off)."""
    found = []
    for language, _, text in blocks():
        for line in text.splitlines() if language == "sh" else ():
            words = shlex.split(line, comments=True)
            if words and words[0] == first_word:
                found.append(words[1:])
    return found


def test_the_tutorial_has_the_five_contributions() -> None:
    titles = [title for _, title, _ in blocks() if title]
    assert "caseflow_riverside/directory.py" in titles
    assert any(title.startswith("caseflow_riverside/__init__.py") for title in titles)
    assert commands("caseflow")[0] == ["plugin", "new", "riverside"]


@pytest.fixture
def package(tmp_path: Path, invoke_caseflow: Callable[..., Result]) -> Iterator[Path]:
    """The tutorial's package, built, and importable in this process (for the commands)."""
    target = tmp_path / "caseflow-riverside"
    [new] = [words for words in commands("caseflow") if words[:2] == ["plugin", "new"]]
    invoke_caseflow(*new, "--dir", target).assert_success()
    build(target)
    sys.path.insert(0, str(target))
    try:
        yield target
    finally:
        sys.path.remove(str(target))
        for name in [name for name in sys.modules if name.startswith("caseflow_riverside")]:
            del sys.modules[name]


def test_the_tutorial_builds_a_plugin_whose_tests_pass(package: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "CASEFLOW_"))}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={tmp_path / 'basetemp'}"],
        cwd=package,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "9 passed" in done.stdout  # as the tutorial says
    assert time.monotonic() - started < 60
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "E,F,I,UP", "--line-length", "120", "."],
        cwd=package,
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout


def test_the_tutorials_commands_run_with_the_plugin(
    package: Path, case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    plugins = {"riverside": importlib.import_module("caseflow_riverside")}
    path = case_repo()
    ran = 0
    for words in commands("caseflow"):
        if words[:2] == ["plugin", "new"]:
            continue
        words = [str(package / word) if word.startswith("tests/data/") else word for word in words]
        result = invoke_caseflow("--repo", path, "--as", "sam", *words, plugins=plugins, today="2026-11-20")
        result.assert_success()
        ran += 1
        if words[0] == "plugins":
            assert "riverside" in result.stdout
        if words[0] == "forms":
            assert "riverside.needs-assessment" in result.stdout
        if words[:2] == ["providers", "search"]:
            assert "Walk-in clinic" in result.stdout
        if words[0] == "report":
            assert "# Needs found" in result.stdout
    assert ran == 5
