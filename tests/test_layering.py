"""The layering rules of ARCHITECTURE §2, checked on every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*(ROOT / "caseflow").rglob("*.py"), *(ROOT / "plugins").rglob("*.py")])


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def where(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


#: the feature packages: each holds one capability's model, service, commands and built-in plugin
FEATURES = sorted(
    p.name for p in (ROOT / "caseflow").iterdir() if p.is_dir() and p.name not in ("core", "cli", "__pycache__")
)


# library -> the only place allowed to import it
OWNERS = {
    "git": ("caseflow/core/store.py",),
    "ruamel": ("caseflow/core/documents/",),
    "watchdog": ("caseflow/watch/settler.py",),
    "jinja2": ("caseflow/core/skeletons.py", "caseflow/reporting/render.py"),
}


@pytest.mark.parametrize("library", sorted(OWNERS))
def test_each_library_is_imported_in_one_place(library: str) -> None:
    offenders = [
        where(path)
        for path in SOURCES
        if any(name == library or name.startswith(library + ".") for name in imports(path))
        and not where(path).startswith(OWNERS[library])
    ]
    assert offenders == []


def test_the_core_never_imports_upwards() -> None:
    upward = ("click", "caseflow.cli", "caseflow.repo", *(f"caseflow.{feature}" for feature in FEATURES))
    offenders = {
        where(path): sorted(n for n in imports(path) if n.startswith(upward))
        for path in SOURCES
        if where(path).startswith("caseflow/core/")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_plugins_use_only_the_public_api() -> None:
    plugin_sources = [p for p in SOURCES if where(p).startswith("plugins/")]
    assert plugin_sources
    offenders = {}
    for path in plugin_sources:
        private = sorted(n for n in imports(path) if n.startswith("caseflow.") and n != "caseflow.testing")
        if private:
            offenders[where(path)] = private
    assert offenders == {}
