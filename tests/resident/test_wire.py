"""Which command lines a resident index answers: pinned to the commands' own options."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from caseflow.cli import make_cli
from caseflow.resident import wire

#: Options of a served command that make it something other than a read: never answered.
WRITES = {"review": {"--approve", "--reject"}}


@pytest.mark.parametrize("name", sorted(wire.SERVED))
def test_the_served_table_names_every_option_of_the_command(name: str) -> None:
    cli = make_cli(with_plugins=False)
    with click.Context(cli) as ctx:
        command = cli.get_command(ctx, name)
    assert command is not None
    valued, flags, arguments = set(), set(), False
    for param in command.params:
        if isinstance(param, click.Argument):
            arguments = True
            continue
        names = {n for n in param.opts if n.startswith("--")}
        (flags if getattr(param, "is_flag", False) else valued).update(names)
    shape = wire.SERVED[name]
    writes = WRITES.get(name, set())
    assert shape.valued == valued - writes
    assert shape.flags == flags - writes
    assert shape.arguments == (arguments and name == "validate")


@pytest.mark.parametrize(
    ("argv", "command", "repo", "verbose"),
    [
        (["due", "--all"], "due", None, False),
        (["--repo", "/x", "--verbose", "due", "--worker", "robin", "--json"], "due", "/x", True),
        (["clients", "--repo=/y", "--stage=intake"], "clients", "/y", False),
        (["--as", "sam", "review", "--worker", "robin"], "review", None, False),
        (["validate", "C-7K2M9Q", "C-8A3B4C", "--json"], "validate", None, False),
        (["--no-color", "--traceback", "clients"], "clients", None, False),
    ],
)
def test_read_command_lines_are_served(argv: list[str], command: str, repo: str | None, verbose: bool) -> None:
    assert wire.servable(argv) == wire.Servable(command, repo, verbose)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--help"],
        ["due", "--help"],
        ["new", "C-7K2M9Q", "core.plan"],  # a write
        ["review", "C-7K2M9Q"],  # a client's diffs, and perhaps a prompt to decide
        ["review", "C-7K2M9Q", "--approve"],
        ["review", "--reject", "no"],
        ["clients", "extra"],
        ["due", "--unknown"],
        ["due", "--worker"],  # no value
        ["--version"],
        ["validate", "--", "C-7K2M9Q"],
    ],
)
def test_anything_else_is_run_by_the_command_itself(argv: list[str]) -> None:
    assert isinstance(wire.servable(argv), str)


def test_the_command_asks_before_importing_the_rest_of_caseflow() -> None:
    """What a served command loads before it has its answer: the standard library and these."""
    code = (
        "import sys, caseflow.resident.client as c; "
        "print(sorted(m for m in sys.modules if m.startswith(('caseflow', 'click', 'ruamel', 'pluggy', 'jsonschema'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert eval(loaded) == [
        "caseflow",
        "caseflow.core",
        "caseflow.core.layout",
        "caseflow.resident",
        "caseflow.resident.client",
        "caseflow.resident.wire",
    ]
    # (nor the standard library's heavier modules: typing and dataclasses alone cost it 11 ms)
    heavy = subprocess.run(
        [sys.executable, "-c", "import sys, caseflow.command, caseflow.resident.client; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert not {"typing", "dataclasses", "inspect"} & set(eval(heavy))


def test_the_command_finds_the_repository_as_caseflow_does(tmp_path: Path) -> None:
    """:func:`wire.find_repository` is a standard-library copy of ``find_root``: they agree."""
    from caseflow.core.config import find_root
    from caseflow.errors import RepoNotFound

    root = tmp_path / "agency"
    (root / "clients" / "C-7K2M9Q").mkdir(parents=True)
    (root / "caseflow.yaml").write_text("agency: x\n")
    (tmp_path / "elsewhere").mkdir()
    cases = [
        (None, {}, root / "clients" / "C-7K2M9Q"),
        (None, {}, tmp_path / "elsewhere"),
        (str(root), {}, tmp_path / "elsewhere"),
        ("../agency", {}, tmp_path / "elsewhere"),
        (None, {"CASEFLOW_REPO": str(root)}, tmp_path / "elsewhere"),
        (None, {"CASEFLOW_REPO": str(tmp_path / "elsewhere")}, root),
    ]
    old = os.getcwd()
    try:
        for given, environ, cwd in cases:
            os.chdir(cwd)
            try:
                expected: Path | None = find_root(given, environ)
            except RepoNotFound:
                expected = None
            assert wire.find_repository(given, environ, str(cwd)) == expected, (given, environ, cwd)
    finally:
        os.chdir(old)
