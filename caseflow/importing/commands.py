"""``caseflow import PATH --mapping MAP.yaml [--dry-run] [--json]``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from caseflow.cli.context import Settings, counted, done, emit_json, json_option, progress_bar, repo_options
from caseflow.errors import CaseflowError
from caseflow.hookspecs import hookimpl

if TYPE_CHECKING:
    from caseflow.importing.plan import Plan


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(import_)


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--mapping",
    "mapping_file",
    required=True,
    type=click.Path(path_type=Path),
    metavar="MAP.yaml",
    help="Which of their fields go to which field of which form (README: the mapping file).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be created and what does not fit; write nothing.")
@json_option
@repo_options
def import_(settings: Settings, path: Path, mapping_file: Path, dry_run: bool, as_json: bool) -> None:
    """Bring in existing records: a CSV export, or a folder holding one folder of case files per
    person. Each person becomes a new client, one commit each; anything that does not fit
    refuses the whole import."""
    from caseflow.importing.service import NOTHING_WRITTEN, ImportRefused

    repo = settings.repo()
    actor = settings.actor()
    with progress_bar("reading", err_terminal=not as_json) as progress:
        plan = repo.importing.plan(actor, path, mapping_file, progress)
    problems = plan.all_problems
    if dry_run:
        if as_json:
            emit_json({"dry_run": True, **plan.as_json()})
        else:
            _report(plan, dry_run)
        if problems:
            raise CaseflowError(f"{counted(len(problems), 'problem')} (above): {NOTHING_WRITTEN}")
        return
    if problems:
        raise ImportRefused(problems, NOTHING_WRITTEN)
    with progress_bar("importing", err_terminal=not as_json, minimum=10) as progress:  # a commit each
        made = repo.importing.commit(actor, plan, progress)
    if as_json:
        emit_json({"dry_run": False, **plan.as_json(), "imported": made})
        return
    _report(plan, dry_run=False)
    done(f"imported {counted(len(made), 'client')}, one commit each")


def _report(plan: Plan, dry_run: bool) -> None:
    """Per record: the new client, its documents and where each came from; what does not fit."""
    verb = "would create" if dry_run else "created"
    for client in plan.clients:
        click.echo(f"{client.origin}: {verb} client {client.client_id}")
        for planned in client.documents:
            how = " (as it is)" if planned.kept_as_is else ""
            click.echo(f"  {planned.path}  {planned.form.id}{how}  <- {planned.origin}")
        if client.extra:
            click.echo(f"  kept in `extra`: {', '.join(client.extra)}")
        if client.dropped:
            click.echo(f"  left out: {', '.join(client.dropped)}")
        for problem in client.problems:
            click.echo(f"  does not fit: {problem}")
    for problem in plan.problems:
        click.echo(f"does not fit: {problem}")
    if dry_run and not plan.all_problems:
        click.echo(f"{counted(len(plan.clients), 'client')} would be imported; nothing was written (dry run)")
