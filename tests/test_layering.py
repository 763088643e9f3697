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
    "git": ("caseflow/core/git/",),
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


#: Modules outside caseflow/core/git/ that may start a process, and why (never git).
PROCESS_STARTERS = {
    # runs the real `caseflow` binary for plugin authors' end-to-end tests (run_caseflow)
    "caseflow/testing.py",
    # opens the person's $EDITOR on a draft document (`caseflow new --edit`)
    "caseflow/records/actions.py",
}


def git_doors(path: Path) -> list[str]:
    """Where a module starts git itself: a command line whose first word is "git" (a list or
    tuple literal), or an import of subprocess (or of Popen and friends from it)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.List | ast.Tuple) and node.elts:
            first = node.elts[0]
            if isinstance(first, ast.Constant) and first.value == "git":
                found.append((node.lineno, "a git command line"))
        elif isinstance(node, ast.Import) and any(a.name == "subprocess" for a in node.names):
            found.append((node.lineno, "import subprocess"))
        elif isinstance(node, ast.ImportFrom) and node.module == "subprocess":
            found.append((node.lineno, "from subprocess import ..."))
    return [f"line {line}: {what}" for line, what in sorted(found)]


def test_only_the_git_package_starts_git() -> None:
    offenders = {
        where(path): doors
        for path in SOURCES
        if where(path).startswith("caseflow/")
        and not where(path).startswith("caseflow/core/git/")
        and (doors := git_doors(path))
    }
    allowed = {name: doors for name, doors in offenders.items() if name in PROCESS_STARTERS}
    assert {name: doors for name, doors in offenders.items() if name not in PROCESS_STARTERS} == {}
    # the exceptions start other programs: never a git command line
    assert all(not door.endswith("git command line") for doors in allowed.values() for door in doors)


def test_the_git_doors_check_sees_a_command_line(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('import subprocess\nsubprocess.run(["git", "status"])\nargs = ("git", "log")\n')
    assert git_doors(sample) == [
        "line 1: import subprocess",
        "line 2: a git command line",
        "line 3: a git command line",
    ]


def test_the_git_package_imports_no_feature_and_not_the_store() -> None:
    """git is the bottom of the core: the store builds on it, never the other way round."""
    below = ("caseflow.core.git", "caseflow.core.layout", "caseflow.core.safefiles", "caseflow.errors")
    offenders = {
        where(path): sorted(n for n in imports(path) if n.startswith("caseflow") and not n.startswith(below))
        for path in SOURCES
        if where(path).startswith("caseflow/core/git/")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
