"""``caseflow plugin new``: start a plugin package."""

from __future__ import annotations

from pathlib import Path

import click

from caseflow.hookspecs import hookimpl


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(plugin_group)


@click.group("plugin")
def plugin_group() -> None:
    """Write your own plugin: forms, workflow rules, due rules, reports for your agency."""


@plugin_group.command("new")
@click.argument("name")
@click.option(
    "--dir",
    "target",
    type=click.Path(path_type=Path),
    help="Where to write the package (default: ./caseflow-NAME); must not exist or be empty.",
)
def new(name: str, target: Path | None) -> None:
    """Create plugin NAME's package: pyproject.toml with the caseflow entry point, a form, a stage
    requirement, a due rule, a report with its template, tests using caseflow.testing and a README.

    Its tests pass as generated: `cd caseflow-NAME && pytest`. Install it with `pip install -e .`.
    """
    from caseflow.scaffold import PluginNames, new_plugin

    names = PluginNames.of(name)
    written = new_plugin(name, target)
    folder = target if target is not None else Path(names.distribution)
    click.echo(f"created {folder}/ ({len(written)} files): plugin '{names.name}', module {names.module}")
    click.echo(f"next: cd {folder} && pip install -e . && pytest")
