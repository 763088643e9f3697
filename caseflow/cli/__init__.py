"""The ``caseflow`` command: a click group built by :func:`make_cli`.

The group itself knows no command: each feature's ``commands`` module adds its own through the
``register_commands`` hook, as any plugin's commands come (:data:`caseflow.plugins.COMMAND_PLUGINS`).
Commands are thin: parse, make one call on a service of :class:`~caseflow.CaseRepo`, print. What
they share (finding the repository and the acting person, output, errors) is :mod:`.context`.

May import: click, the core, the plugin host and ``caseflow.repo``; features only through the hook.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from caseflow import __version__
from caseflow.cli.context import Settings, StartupPlugins, no_color_option, print_error
from caseflow.cli.lazy import Catalog, LazyGroup, fingerprint
from caseflow.cli.params import STAFF
from caseflow.errors import CaseflowError
from caseflow.plugins.installed import cache_folder


def make_cli(with_plugins: bool = True, argv: Sequence[str] | None = None) -> LazyGroup:
    """Build the command. Its commands load on first use, through ``register_commands``: caseflow's
    own (each feature's ``commands`` module) and those of the plugins the repository in use allows
    (``with_plugins=False``: caseflow's own only). ``argv`` names the repository (``--repo``)."""
    startup = _startup(argv, with_plugins)

    @click.group(
        cls=LazyGroup,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    )
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
        type=STAFF,
        metavar="STAFF_ID",
        help="Act as this staff member (default: $CASEFLOW_USER or git user.email).",
    )
    @click.option("--traceback", is_flag=True, help="Show the full traceback of an error (for bug reports).")
    @click.option(
        "--verbose",
        is_flag=True,
        expose_value=False,
        help="Say whether a resident index (caseflow daemon) answered, or why it did not.",
    )
    @click.option(
        "--no-color",
        is_flag=True,
        is_eager=True,
        expose_value=False,
        callback=no_color_option,
        help="No colour in the output (also: NO_COLOR set to anything).",
    )
    @click.pass_context
    def cli(ctx: click.Context, repo_path: str | None, acting: str | None, traceback: bool) -> None:
        """caseflow: case management for behavioral-health teams, kept in git.

        Every client is a folder of YAML and Markdown documents in a git repository; every change
        is one commit by the person who made it. Start with `caseflow demo` or `caseflow init`.

        Exit codes: 0 done, 1 refused or invalid (every reason is listed), 2 usage error.
        """
        ctx.obj = Settings(repo_path, acting, traceback, startup)

    assert isinstance(cli, LazyGroup)
    cli.defer(startup.load_commands, _catalog(startup))
    cli.startup = startup
    return cli


def _startup(argv: Sequence[str] | None, with_plugins: bool) -> StartupPlugins:
    """The repository in use and the plugins its settings allow (a blocked plugin is never even
    imported), read before any command runs."""
    from caseflow.core.config import find_root
    from caseflow.core.configfile import plugin_settings
    from caseflow.plugins import PluginPolicy

    root: Path | None = None
    settings = None
    try:
        root = find_root(_repo_argument(list(argv or [])))
        settings = plugin_settings(root)
    except CaseflowError:
        pass  # no repository here, or a broken one: the command itself will say what is wrong
    policy = PluginPolicy.from_config(settings, os.environ)
    return StartupPlugins(root, policy, entry_points=with_plugins)


def _catalog(startup: StartupPlugins) -> Catalog:
    """The commands as ``--help`` last listed them, under the fingerprint of where they come from."""
    return Catalog(cache_folder(), lambda: _fingerprint(startup))


def _fingerprint(startup: StartupPlugins) -> str:
    from caseflow.plugins import COMMAND_PLUGINS
    from caseflow.plugins.installed import installed_plugins

    plugins = []
    if startup.entry_points:
        for installed in installed_plugins():
            if startup.policy.permits(installed.name):
                plugins.append((installed.name, installed.value, installed.version))
    policy = f"{sorted(startup.policy.allow or ['*'])} - {sorted(startup.policy.block)} {startup.entry_points}"
    return fingerprint(COMMAND_PLUGINS, plugins, policy)


def _repo_argument(args: list[str]) -> str | None:
    """``--repo PATH`` or ``--repo=PATH`` anywhere on the command line (before click parses it)."""
    for index, arg in enumerate(args):
        if arg == "--repo" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--repo="):
            return arg.split("=", 1)[1]
    return None


#: Allocations between young-generation collections, and collections between older ones. Python's
#: defaults (700, 10, 10) suit small heaps; a command at 10,000 clients makes hundreds of thousands of
#: long-lived tuples and strings, and the defaults then scan the whole heap again and again: at
#: 10,000 clients ``due --all`` spends a fifth of its time (0.4 s) and ``validate`` as much in the
#: collector, which frees next to nothing (caseflow makes few reference cycles).
GC_THRESHOLDS = (100_000, 50, 100)


def main(argv: Sequence[str] | None = None) -> None:
    gc.set_threshold(*GC_THRESHOLDS)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        make_cli(argv=args).main(args=args, prog_name="caseflow")
    except CaseflowError as exc:  # a plugin that fails to load while --help lists the commands
        print_error(exc)
        sys.exit(exc.exit_code)
