"""Every ``caseflow`` command as Markdown: the documentation site's command reference.

The reference is made from the click group itself (its usage lines, help texts and options), so
it cannot drift from what ``caseflow COMMAND --help`` says. The group is lazy (its commands come
through the ``register_commands`` hook on first use), so the walk asks it for its commands the way
``--help`` does. Only caseflow's own commands are listed: plugins document theirs.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass

import click

from caseflow.cli import make_cli
from caseflow.cli.context import DefaultCommandGroup

__all__ = ["CommandEntry", "command_entries", "markdown"]


@dataclass(frozen=True)
class CommandEntry:
    """One command as a person types it (``caseflow staff key add``), with its click objects."""

    name: str
    command: click.Command
    context: click.Context

    @property
    def anchor(self) -> str:
        """The heading's id on the reference page: ``caseflow-staff-key-add``."""
        return self.name.replace(" ", "-")

    @property
    def usage(self) -> str:
        pieces = " ".join(self.command.collect_usage_pieces(self.context))
        return f"{self.name} {pieces}".strip()

    @property
    def help(self) -> str:
        """The help text as ``--help`` shows it, without click's ``\\b`` paragraph markers."""
        text = inspect.cleandoc(self.command.help or "")
        return "\n".join(line for line in text.splitlines() if line.strip() != "\b")


def command_entries(cli: click.Group | None = None) -> list[CommandEntry]:
    """Every command caseflow itself has, groups and their sub-commands, hidden ones left out.

    A group that runs a command of its own when given no sub-command name (``caseflow appt
    CLIENT ...``) is listed once, with that command's usage and options."""
    group = cli if cli is not None else make_cli(with_plugins=False)
    root = click.Context(group, info_name="caseflow")
    return sorted(_walk(group, root, "caseflow"), key=lambda entry: entry.name)


def _walk(group: click.Group, context: click.Context, prefix: str) -> Iterator[CommandEntry]:
    for name in group.list_commands(context):
        command = group.commands.get(name)
        if command is None or command.hidden:
            continue
        full = f"{prefix} {name}"
        if isinstance(group, DefaultCommandGroup) and name == group.default_command:
            yield CommandEntry(prefix, command, click.Context(command, info_name=prefix, parent=context.parent))
            continue
        inner = click.Context(command, info_name=name, parent=context)
        if isinstance(command, click.Group):
            if not isinstance(command, DefaultCommandGroup):
                yield CommandEntry(full, command, inner)
            yield from _walk(command, inner, full)
        else:
            yield CommandEntry(full, command, inner)


def markdown(entries: list[CommandEntry] | None = None) -> str:
    """The reference page's body: one section per command."""
    parts = []
    for entry in entries if entries is not None else command_entries():
        parts.append(f"## `{entry.name}` {{#{entry.anchor}}}\n")
        parts.append(f"```text\n{entry.usage}\n```\n")
        if entry.help:
            parts.append(f"```text\n{entry.help}\n```\n")
        options = [record for param in entry.command.get_params(entry.context) if (record := _option(param, entry))]
        if options:
            parts.append("| option | what it does |\n| --- | --- |")
            parts.extend(f"| `{flags}` | {_cell(text)} |" for flags, text in options)
            parts.append("")
    return "\n".join(parts)


def _option(param: click.Parameter, entry: CommandEntry) -> tuple[str, str] | None:
    record = param.get_help_record(entry.context)
    if record is None or record[0] in ("-h, --help",):
        return None
    return record


def _cell(text: str) -> str:
    """A help text inside a table cell: one line, and no pipe to end the cell early."""
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;")
