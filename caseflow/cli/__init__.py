"""The ``caseflow`` command: a click group built by :func:`make_cli`, one module per command group.

Commands are thin: parse, call :class:`~caseflow.CaseRepo`, print. Heavy modules load inside the
commands that need them, so that ``caseflow --help`` starts fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from caseflow import __version__
from caseflow.cli import clients, repository
from caseflow.cli.context import CaseflowGroup, Settings
from caseflow.errors import CaseflowError


def make_cli(with_plugins: bool = True, argv: Sequence[str] | None = None) -> click.Group:
    """Build the command; plugins may add commands through ``register_commands``."""

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
        ctx.obj = Settings(repo_path, acting, traceback)

    repository.register(cli)
    clients.register(cli)
    if with_plugins:
        _add_plugin_commands(cli, argv)
    return cli


def _add_plugin_commands(cli: click.Group, argv: Sequence[str] | None) -> None:
    from caseflow.plugins import PluginHost, PluginPolicy, get_plugin_manager

    policy = PluginPolicy.from_config(_plugins_setting(argv), os.environ)
    PluginHost(get_plugin_manager(policy)).register_commands(cli)


def _plugins_setting(argv: Sequence[str] | None) -> dict[str, object] | None:
    """The ``plugins:`` section of the repository in use, so a blocked plugin is never imported."""
    from caseflow.core.config import CONFIG_FILE, find_root
    from caseflow.core.documents import load_plain
    from caseflow.core.textpolicy import read_document_bytes

    args = list(argv or [])
    start = None
    for flag in ("--repo",):
        if flag in args and args.index(flag) + 1 < len(args):
            start = args[args.index(flag) + 1]
        start = next((a.split("=", 1)[1] for a in args if a.startswith(flag + "=")), start)
    try:
        root = find_root(start)
        data, _ = load_plain(CONFIG_FILE, read_document_bytes(root, CONFIG_FILE))
    except CaseflowError:
        return None  # the command itself will say what is wrong
    plugins = data.get("plugins")
    return plugins if isinstance(plugins, dict) else None


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        cli = make_cli(argv=args)
    except CaseflowError as exc:
        for line in exc.lines():
            click.echo(click.style("error: ", fg="red", bold=True) + line, err=True)
        sys.exit(exc.exit_code)
    cli.main(args=args, prog_name="caseflow")
