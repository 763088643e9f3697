"""``caseflow index``: the local index's state, a rebuild from nothing, and a check against a full reparse."""

from __future__ import annotations

import click

from caseflow.cli.context import (
    Settings,
    counted,
    emit_json,
    json_option,
    progress_bar,
    repo_options,
)
from caseflow.hookspecs import hookimpl


@click.command()
@click.option("--rebuild", is_flag=True, help="Delete the index and build it again from every document.")
@click.option(
    "--verify", is_flag=True, help="Compare the index with a full reparse of every document; exit 1 if they differ."
)
@json_option
@repo_options
def index(settings: Settings, rebuild: bool, verify: bool, as_json: bool) -> None:
    """Bring the local index (.caseflow/index.sqlite) up to date and say what it holds.

    The index keeps every document as parsed, and what was worked out from it, by git blob id, so
    that read commands only reparse what changed. It is local and never committed; deleting it
    loses nothing. --rebuild starts it afresh (on every core, with a progress bar); --verify checks
    it against the documents themselves.
    """
    if rebuild and verify:
        raise click.UsageError("give --rebuild or --verify, not both")
    label = "rebuilding the index" if rebuild else "verifying the index" if verify else "indexing"
    with progress_bar(label, err_terminal=not as_json) as progress:
        repo = settings.repo()
        upkeep = repo.index_maintenance
        action = upkeep.rebuild if rebuild else upkeep.verify if verify else upkeep.status
        state = action(progress)
    if as_json:
        emit_json(state.as_json())
    else:
        for line in state.mismatches:
            click.echo(line)
        summary = (
            f"{counted(state.documents, 'document')} of {counted(state.clients, 'client')} indexed"
            f" ({counted(state.unreadable, 'unreadable document')}, {counted(state.changed, 'uncommitted file')};"
            f" {state.size_bytes / 1e6:.1f} MB) in {state.seconds:.2f} s"
        )
        if state.verified:
            verdict = (
                "matches a full reparse" if not state.mismatches else f"{counted(len(state.mismatches), 'difference')}"
            )
            summary += f"; {verdict}"
        click.echo(click.style(summary, fg="red" if state.mismatches else "green"), err=True)
    if state.mismatches:
        raise SystemExit(1)


@hookimpl
def register_commands(cli: click.Group) -> None:
    for command in (index,):
        cli.add_command(command)
