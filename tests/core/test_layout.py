"""The local ``.caseflow/`` folder is laid out in one module."""

from __future__ import annotations

import ast
from pathlib import Path

from caseflow.core import layout

ROOT = Path(__file__).resolve().parents[2]
#: Being rewritten by the session's lead (issue 14): they take their paths from layout.py next.
PENDING: set[str] = set()


def spelled_paths(path: Path) -> list[str]:
    """String constants in a module that name a path under ``.caseflow`` (docstrings aside)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if text == layout.LOCAL_DIR or text.startswith((layout.LOCAL_DIR + "/", "/" + layout.LOCAL_DIR)):
                found.append(text)
    return found


def test_no_module_but_layout_spells_a_local_path() -> None:
    offenders = {
        path.relative_to(ROOT).as_posix(): found
        for path in sorted((ROOT / "caseflow").rglob("*.py"))
        if path.relative_to(ROOT).as_posix() not in {"caseflow/core/layout.py", *PENDING}
        and (found := spelled_paths(path))
    }
    assert offenders == {}


def test_every_local_path_is_inside_the_local_folder() -> None:
    paths = [value for name, value in vars(layout).items() if name.isupper() and isinstance(value, str)]
    assert paths and all(layout.is_local(p) for p in paths)
    assert layout.local_dir(Path("/r")) == Path("/r/.caseflow")
    assert not layout.is_local(".caseflowrc")
