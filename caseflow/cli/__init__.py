"""The ``caseflow`` command: a click group built by :func:`make_cli`, one module per command group.

Commands are thin: parse, call :class:`~caseflow.CaseRepo`, print. Heavy modules load inside the
commands that need them, so that ``caseflow --help`` starts fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from caseflow import __version__
from caseflow.cli.context import CaseflowGroup, Settings, StartupPlugins, print_error
from caseflow.errors import CaseflowError


def make_cli(with_plugins: bool = True, argv: Sequence[str] | None = None) -> click.Group:
    """Build the command; plugins may add commands through ``register_commands``."""
    startup = _load_startup_plugins(argv) if with_plugins else None

    @click.group(cls=CaseflowGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
    @click.version_option(__version__, prog_name="caseflow")
    @click.option(
        "--repo",
        "repo_path",
        metavar="PATH",
        help="Case repository (default: $CASEFLOW_REPO or the nearest caseflow.yaml up).",
    )
    @click.option(
        "--as",
        "acting",
        metavar="STAFF_ID",
        help="Act as this staff member (default: $CASEFLOW_USER or git user.email).",
    )
    @click.option("--traceback", is_flag=True, help="Show the full traceback of an error (for bug reports).")
    @click.pass_context
    def cli(ctx: click.Context, repo_path: str | None, acting: str | None, traceback: bool) -> None:
        """caseflow: case management for behavioral-health teams, kept in git.

        Every client is a folder of YAML and Markdown documents in a git repository; every change
        is one commit by the person who made it. Start with `caseflow demo` or `caseflow init`.

        Exit codes: 0 done, 1 refused or invalid (every reason is listed), 2 usage error.
        """
        ctx.obj = Settings(repo_path, acting, traceback, startup)

    _add_builtin_commands(cli)
    if startup is not None:
        startup.host.register_commands(cli)
    return cli


def _add_builtin_commands(cli: click.Group) -> None:
    """Each feature's commands, through the same hook an agency plugin's commands come by."""
    import importlib

    from caseflow.plugins import COMMAND_PLUGINS

    for module in COMMAND_PLUGINS:
        importlib.import_module(module).register_commands(cli)


def _load_startup_plugins(argv: Sequence[str] | None) -> StartupPlugins:
    """The plugins that may add commands, as the repository in use allows (so a blocked plugin is
    never even imported). caseflow's own plugins add none: they load with the repository."""
    from caseflow.core.config import find_root
    from caseflow.core.configfile import plugin_settings
    from caseflow.plugins import PluginHost, PluginPolicy, get_plugin_manager

    root: Path | None = None
    settings = None
    try:
        root = find_root(_repo_argument(list(argv or [])))
        settings = plugin_settings(root)
    except CaseflowError:
        pass  # no repository here, or a broken one: the command itself will say what is wrong
    policy = PluginPolicy.from_config(settings, os.environ)
    return StartupPlugins(root, PluginHost(get_plugin_manager(policy, defaults=False)))


def _repo_argument(args: list[str]) -> str | None:
    """``--repo PATH`` or ``--repo=PATH`` anywhere on the command line (before click parses it)."""
    for index, arg in enumerate(args):
        if arg == "--repo" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--repo="):
            return arg.split("=", 1)[1]
    return None


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        cli = make_cli(argv=args)
    except CaseflowError as exc:
        print_error(exc)
        sys.exit(exc.exit_code)
    cli.main(args=args, prog_name="caseflow")
