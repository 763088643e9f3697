"""The documentation site keeps up with the code (as datasette's docs tests do): a hook, a built-in
check or its parameter, a template variable, a public name or a command that the site leaves
out fails here. The command, public-name and hook references are made from the code at build
time (docs/hooks.py); these tests hold the hand-written pages to it."""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from jinja2 import Environment, meta

import caseflow
from caseflow import hookspecs
from caseflow.cli.reference import command_entries, markdown
from caseflow.records.actions import skeleton_context
from caseflow.workflow import checks

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def hook_names() -> list[str]:
    functions = inspect.getmembers(hookspecs, inspect.isfunction)
    return sorted(name for name, fn in functions if hasattr(fn, "caseflow_spec"))


# -- hooks ----------------------------------------------------------------------------------------


def test_every_hook_is_in_the_hooks_table() -> None:
    """The hooks page's table says, for each hook, what it is for; the reference under it is made
    from caseflow/hookspecs.py itself."""
    text = page("reference/hooks.md")
    assert "::: caseflow.hookspecs" in text
    listed = set(re.findall(r"^\| \[`(\w+)`\]", text, flags=re.MULTILINE))
    assert sorted(set(hook_names()) - listed) == [], "hooks missing from docs/reference/hooks.md's table"
    assert sorted(listed - set(hook_names())) == [], "the table names a hook that does not exist"


# -- public names ---------------------------------------------------------------------------------


def test_every_public_name_is_on_the_public_api_page() -> None:
    sys.path.insert(0, str(DOCS))
    try:
        from hooks import public_api_markdown  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(DOCS))
    rendered = public_api_markdown()
    for name in caseflow.__all__:
        if name == "__version__":
            continue
        target = re.search(rf"^::: ([\w.]+)\.{name}$", rendered, flags=re.MULTILINE)
        assert target, f"{name} is not on the public names page"
        module = importlib.import_module(target.group(1))
        assert getattr(module, name) is getattr(caseflow, name), name
    assert "<!-- caseflow:public-api -->" in page("reference/api.md")


def test_every_public_class_and_function_has_a_docstring() -> None:
    undocumented = []
    for name in caseflow.__all__:
        value = getattr(caseflow, name)
        if not (inspect.isclass(value) or inspect.isfunction(value)):
            continue
        doc = inspect.getdoc(value) or ""
        # a dataclass without a docstring gets its signature as one: that documents nothing
        if not doc or doc.startswith(f"{value.__name__}("):
            undocumented.append(name)
    assert undocumented == []


# -- built-in checks ------------------------------------------------------------------------------


def _docs_hooks() -> Any:
    sys.path.insert(0, str(DOCS))
    try:
        import hooks  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(DOCS))
    return hooks


def _check_sections() -> dict[str, str]:
    """The built-in checks' sections as the site shows them: made from the code (docs/hooks.py)."""
    assert "<!-- caseflow:checks -->" in page("reference/checks.md")
    text = _docs_hooks().checks_markdown()
    parts = re.split(r"^## `(\w+)`\s*$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _parameters_read(function: Callable[..., Any]) -> set[str]:
    """The parameters a check reads (``params.get("x")``, ``params["x"]``), through the helpers
    of its own module that it hands them to."""
    module = ast.parse(inspect.getsource(inspect.getmodule(function)))  # type: ignore[arg-type]
    functions = {node.name: node for node in module.body if isinstance(node, ast.FunctionDef)}
    found: set[str] = set()
    todo, seen = [function.__name__], set()
    while todo:
        name = todo.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        for node in ast.walk(functions[name]):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                todo.append(node.func.id)
            key = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
                if ast.unparse(node.func.value) in ("params", "p") and node.args:
                    key = node.args[0]
            elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("params", "p"):
                key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                found.add(key.value)
    return found


def test_every_built_in_check_and_its_parameters_are_documented() -> None:
    sections = _check_sections()
    assert sorted(check.id for check in checks.CHECKS) == sorted(sections), "docs/reference/checks.md"
    for check in checks.CHECKS:
        section = sections[check.id]
        assert check.doc, f"{check.id} says nothing of what it tests (Check.doc)"
        parameters = _parameters_read(check.evaluate) | set(check.needs)
        declared = {p.name for p in check.parameters}
        assert parameters <= declared, f"{check.id} reads parameters it does not declare: {parameters - declared}"
        for parameter in sorted(parameters):
            assert f"| `{parameter}` |" in section, f"{check.id}: parameter {parameter} is undocumented"
        for parameter in check.needs:
            assert re.search(rf"^\| `{parameter}` \|.*\*required\*", section, flags=re.MULTILINE), (
                f"{check.id}: {parameter} is required"
            )
        if not parameters:
            assert "No parameters." in section, check.id


def test_the_parameter_scan_sees_a_parameter() -> None:
    assert _parameters_read(checks._screened_within) >= {"days", "instruments", "since_stage_entry", "title"}


# -- template variables ---------------------------------------------------------------------------


def _documented_variables() -> set[str]:
    text = page("reference/templates.md")
    assert "<!-- caseflow:report-variables -->" in text
    text = text.replace("<!-- caseflow:report-variables -->", _docs_hooks().report_variables_markdown())
    return set(re.findall(r"^\| `(\w+)(?:\([^)]*\))?` \|", text, flags=re.MULTILINE))


def _template_variables(path: Path) -> set[str]:
    env = Environment()
    env.filters["yaml"] = str  # caseflow's own filter: the parse only needs to know it exists
    return meta.find_undeclared_variables(env.parse(path.read_text(encoding="utf-8")))


def test_every_variable_of_every_shipped_template_is_documented() -> None:
    templates = sorted((ROOT / "templates").rglob("*.j2"))
    assert len(templates) >= 10
    documented = _documented_variables()
    missing = {
        f"{path.relative_to(ROOT)}: {name}" for path in templates for name in _template_variables(path) - documented
    }
    assert sorted(missing) == []


def test_every_skeleton_variable_caseflow_passes_is_documented(case_repo: Callable[..., Path]) -> None:
    repo = caseflow.open_repo(case_repo())
    context = skeleton_context(repo, repo.actor("casey"), "C-7K2M9Q", ["type"])
    assert sorted(set(context) - _documented_variables()) == []
    assert "| `yaml` |" in page("reference/templates.md")  # the one filter of caseflow's own


# -- commands -------------------------------------------------------------------------------------


def test_every_command_has_help_and_is_on_the_reference_page() -> None:
    entries = command_entries()
    assert len(entries) >= 80
    rendered = markdown(entries)
    for entry in entries:
        assert entry.help.strip(), f"{entry.name} has no help text"
        assert f"## `{entry.name}` {{#{entry.anchor}}}" in rendered
    assert "<!-- caseflow:cli -->" in page("reference/cli.md")


def _mapping() -> dict[str, str]:
    rows = re.findall(r"^\| `(caseflow[\w -]*)` \| (.+) \|$", page("reference/python-api.md"), flags=re.MULTILINE)
    return dict(rows)


def test_every_command_is_on_the_python_api_page() -> None:
    listed = _mapping()
    # a group that only holds sub-commands (`caseflow staff`) does nothing of its own
    names = [
        entry.name
        for entry in command_entries()
        if not isinstance(entry.command, click.Group) or entry.command.invoke_without_command
    ]
    assert sorted(set(names) - set(listed)) == [], "commands missing from docs/reference/python-api.md"
    assert sorted(set(listed) - set(names)) == [], "the page names a command that does not exist"


def _resolve(repo: caseflow.CaseRepo, dotted: str) -> object:
    if dotted.startswith("repo."):
        value: object = repo
        for part in dotted.split(".")[1:]:
            value = getattr(value, part)
        return value
    module_name, _, rest = dotted.partition(".")
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):  # the longest importable module, then attributes
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            value = getattr(value, part)
        return value
    raise AssertionError(f"{dotted}: no such module ({module_name}.{rest})")


def test_every_call_the_python_api_page_names_exists_and_is_documented(case_repo: Callable[..., Path]) -> None:
    repo = caseflow.open_repo(case_repo())
    calls = sorted({call for cell in _mapping().values() for call in re.findall(r"`((?:repo|caseflow)\.[\w.]+)", cell)})
    assert len(calls) >= 70
    untyped_or_undocumented = []
    for dotted in calls:
        value = _resolve(repo, dotted)  # AttributeError or ImportError: the page names a call that is gone
        function = callable(value) and not isinstance(value, type)
        if function and (not inspect.getdoc(value) or "return" not in getattr(value, "__annotations__", {})):
            untyped_or_undocumented.append(dotted)
    assert untyped_or_undocumented == []


# -- the site builds ------------------------------------------------------------------------------


def test_the_site_builds_without_a_warning(tmp_path: Path) -> None:
    """``mkdocs build --strict`` (about 3 s): a broken link, a page missing from the nav, or a
    reference to a name that is gone fails it (never with --quiet, which stops mkdocs counting
    warnings). Skipped where the `docs` extra is not installed (`make docs` installs it; .ci/run
    runs it first, so CI builds the site here too)."""
    pytest.importorskip("mkdocs", reason="the docs extra is not installed (make docs installs it)")
    pytest.importorskip("mkdocstrings", reason="the docs extra is not installed (make docs installs it)")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "site" / "reference" / "cli" / "index.html").exists()
