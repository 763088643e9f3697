"""The layering rules of ARCHITECTURE §2, checked on every module's imports."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*(ROOT / "caseflow").rglob("*.py"), *(ROOT / "plugins").rglob("*.py")])


@functools.cache
def parsed(path: Path) -> ast.Module:
    """A module's syntax tree, parsed once per test process (every test here walks all of them)."""
    return ast.parse(path.read_text())


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def where(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


#: the feature packages: each holds one capability's model, service, commands and built-in plugin
FEATURES = sorted(
    p.name
    for p in (ROOT / "caseflow").iterdir()
    # the plugin machinery is the contract beneath the features, not one of them
    # the faces (the CLI's frame, the web app, the resident index that runs the CLI's commands)
    # sit above every feature
    if p.is_dir() and p.name not in ("core", "cli", "web", "resident", "plugins", "__pycache__")
)


# library -> the only place allowed to import it
OWNERS = {
    "git": ("caseflow/core/git/",),
    "ruamel": ("caseflow/core/documents/",),
    "watchdog": ("caseflow/watch/settler.py",),
    # (the scaffold renders only its own package's templates, into source files: no sandbox needed)
    "jinja2": (
        "caseflow/core/skeletons.py",
        "caseflow/core/render.py",
        "caseflow/web/render.py",
        "caseflow/scaffold/__init__.py",
    ),
    "starlette": ("caseflow/web/",),
    "uvicorn": ("caseflow/web/commands.py",),
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


def test_nothing_below_the_web_app_imports_it() -> None:
    """The web app is a face: features, the session and the core never reach it."""
    offenders = {
        where(path): sorted(n for n in imports(path) if n.startswith("caseflow.web"))
        for path in SOURCES
        if not where(path).startswith("caseflow/web/")
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


# -- no import cycles -------------------------------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path, name: str, modules: set[str]) -> set[str]:
    """The caseflow modules ``path`` imports when it runs: at the top or inside functions alike,
    but not under ``if TYPE_CHECKING:`` (names for the type checker only)."""
    tree = parsed(path)
    type_only = {
        id(node)
        for branch in ast.walk(tree)
        if isinstance(branch, ast.If) and ast.unparse(branch.test).endswith("TYPE_CHECKING")
        for statement in branch.body
        for node in ast.walk(statement)
    }
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from caseflow.x import y` imports the module caseflow.x.y when there is one
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    return {name: set(targets) for name, targets in _import_graph().items()}  # (a copy: callers may change it)


@functools.cache
def _import_graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in (ROOT / "caseflow").rglob("*.py")}
    modules = set(paths)
    return {name: _runtime_imports(path, name, modules) for name, path in paths.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
    return found


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


#: What plugins register (the types of the plugin contract): pure models, each in its feature's
#: package, which the plugin host checks contributions against. They import only the core and
#: the pure rules they are built on.
CONTRACT_MODELS = {
    "caseflow.workflow.model",
    "caseflow.evaluation.instruments",
    "caseflow.referrals.directory",
    "caseflow.reporting.model",
    "caseflow.followup.due_rules",
}
PURE_RULES = {
    "caseflow.workflow.monitoring",
    "caseflow.referrals.status",
    "caseflow.workflow.agency_rules",
    "caseflow.workflow.combining",
}


def _reach(graph: dict[str, set[str]], start: str) -> set[str]:
    reached, todo = set(), [start]
    while todo:  # everything a module pulls in, directly or not
        for module in graph[todo.pop()] - reached:
            reached.add(module)
            todo.append(module)
    return reached


def test_the_session_imports_no_feature() -> None:
    """The session (and the index and plugin host beneath it) reach no feature's services or
    commands: only the contract's models, which the host checks contributions against."""
    graph = import_graph()
    features = {f"caseflow.{feature}" for feature in FEATURES} - {"caseflow.index"}
    reached = _reach(graph, "caseflow.session") - CONTRACT_MODELS - PURE_RULES
    assert sorted(m for m in reached if m.rpartition(".")[0] in features or m in features) == []


@pytest.mark.parametrize("model", sorted(CONTRACT_MODELS))
def test_the_contract_models_import_only_the_core(model: str) -> None:
    outside = {m for m in _reach(import_graph(), model) if not m.startswith("caseflow.core")}
    assert outside - CONTRACT_MODELS - PURE_RULES - {"caseflow", "caseflow.errors"} == set()


#: The features from the bottom up: each may use those before it, never one after it.
FEATURE_ORDER = (
    "index",
    "watch",
    "records",
    "importing",
    "authority",
    "referrals",
    "workflow",
    "evaluation",
    "followup",
    "households",
    "review",
    "reporting",
    "sharing",
    "doctor",
    "scaffold",  # `caseflow plugin new`: writes a package, uses no feature
    "agency",
    "testing",  # for plugin authors' tests: may build anything
)


def test_the_feature_order_names_every_feature() -> None:
    assert sorted(FEATURE_ORDER) == FEATURES


def test_features_use_only_the_features_below_them() -> None:
    """Package by package, imports point down; the contract's models (what the plugin host knows)
    may be imported from anywhere."""

    def feature(module: str) -> str | None:
        parts = module.split(".")
        return parts[1] if len(parts) > 2 and parts[1] in FEATURE_ORDER else None

    upward = []
    for module, targets in import_graph().items():
        source = feature(module)
        for target in targets - CONTRACT_MODELS:
            goal = feature(target)
            if source and goal and FEATURE_ORDER.index(goal) > FEATURE_ORDER.index(source):
                upward.append(f"{module} -> {target}")
    assert sorted(upward) == []


#: Modules outside caseflow/core/git/ that may start a process, and why (never git).
PROCESS_STARTERS = {
    # runs the real `caseflow` binary for plugin authors' end-to-end tests (run_caseflow)
    "caseflow/testing/running.py",
    # opens the person's $EDITOR on a draft document (`caseflow new --edit`)
    "caseflow/records/actions.py",
    # runs ssh-keygen to read a public key from a private one and to make the demo's keys
    "caseflow/core/signing.py",
    # starts the resident index in the background (`caseflow daemon start`: caseflow itself)
    "caseflow/resident/commands.py",
}


def git_doors(path: Path) -> list[str]:
    """Where a module starts git itself: a command line whose first word is "git" (a list or
    tuple literal), or an import of subprocess (or of Popen and friends from it)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(parsed(path)):
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
    # (write_notes: the notes caseflow's writes leave beside git's index, read by the status started early)
    below = (
        "caseflow.core.git",
        "caseflow.core.layout",
        "caseflow.core.safefiles",
        "caseflow.core.write_notes",
        "caseflow.errors",
    )
    offenders = {
        where(path): sorted(n for n in imports(path) if n.startswith("caseflow") and not n.startswith(below))
        for path in SOURCES
        if where(path).startswith("caseflow/core/git/")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def _session_passed_to_functions(path: Path) -> list[str]:
    """Calls in a commands module that hand the repository to a function (``f(repo, ...)``)
    instead of calling a method of one of its services (``repo.followup.record_visit(...)``)."""
    found = []
    for node in ast.walk(parsed(path)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        first = ast.unparse(node.args[0])
        if first in ("repo", "settings.repo()") and ast.unparse(node.func) not in ALLOWED_HELPERS:
            found.append(f"line {node.lineno}: {ast.unparse(node.func)}({first}, ...)")
    return found


#: Command helpers that take the repository to check an option (never to change anything), and
#: the watcher, a long-running service of its own that ``caseflow watch`` builds and runs.
ALLOWED_HELPERS = {"refuse_inside", "Watcher"}


def test_every_command_works_through_the_services() -> None:
    commands = [p for p in SOURCES if where(p).startswith("caseflow/") and p.name.endswith("commands.py")]
    assert len(commands) >= 12
    offenders = {where(p): found for p in commands if (found := _session_passed_to_functions(p))}
    assert offenders == {}
