"""Team commands: diff and review (supervisors), merge-driver and resolve (merging), clone and sync."""

from __future__ import annotations

import sys
from typing import Any

import click

from caseflow.cli.context import (
    Settings,
    done,
    emit_json,
    json_option,
    repo_options,
    table,
)
from caseflow.cli.params import ID, STAFF
from caseflow.core.names import require_staff
from caseflow.errors import UsageError
from caseflow.hookspecs import hookimpl


@hookimpl
def register_commands(cli: click.Group) -> None:
    for command in (diff, review):
        cli.add_command(command)


@click.command()
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.argument("document", metavar="[DOC]", required=False)
@click.option("--since", metavar="REV", help="Compare with the version at this git revision.")
@click.option("--since-approval", is_flag=True, help="Compare with the version a supervisor last approved.")
@json_option
@repo_options
def diff(
    settings: Settings, client_id: str, document: str | None, since: str | None, since_approval: bool, as_json: bool
) -> None:
    """What changed in a client's documents, field by field in the form's own words.

    Without --since, each document is compared with the version before its last change (or, if it
    has uncommitted edits, with HEAD). List items are matched by id, not position.
    """

    found = settings.repo().review.diff(client_id, document, since=since, since_approval=since_approval)
    if as_json:
        emit_json([d.as_json() for d in found])
        return
    if not found:
        click.echo("(no changes)")
    for item in found:
        _print_diff(item)


def _print_diff(item: Any) -> None:
    click.echo(click.style(f"{item.path}", bold=True) + f"  (since {item.since})")
    for line in item.lines:
        colour = "green" if " added" in line else "red" if " removed" in line else "yellow"
        click.echo("  " + click.style(line, fg=colour))
    for line in item.body:
        click.echo("  " + click.style(line, fg="green" if line.startswith("+") else "red"))


@click.command()
@click.argument("client_id", type=ID, metavar="[CLIENT]", required=False)
@click.option("--worker", type=STAFF, metavar="STAFF_ID", help="Only this case manager's clients.")
@click.option("--approve", "decision", flag_value="approve", help="Approve every pending document of CLIENT.")
@click.option("--reject", "comment", metavar="COMMENT", help="Send every pending document of CLIENT back, saying why.")
@json_option
@repo_options
def review(
    settings: Settings,
    client_id: str | None,
    worker: str | None,
    decision: str | None,
    comment: str | None,
    as_json: bool,
) -> None:
    """Documents awaiting approval: changed since their last approval, or never approved.

    With CLIENT, all of that client's pending changes are shown together, with their semantic diffs
    since the approved versions; then --approve or --reject COMMENT decides them all (on a
    terminal, you are asked). Each decision is one commit, bound to the version reviewed.
    """

    repo = settings.repo()
    if worker:
        worker = require_staff(repo.config, worker).id
    if client_id is None:
        if decision or comment:
            raise UsageError("--approve and --reject decide one client's changes: give CLIENT")
        pending = repo.settled(lambda: repo.review.pending(worker))
        if as_json:
            emit_json([p.as_json() for p in pending])
            return
        rows = [
            (p.client, p.path, p.author, f"{p.age_days} d" if p.age_days is not None else "-", p.summary)
            for p in pending
        ]
        table(rows, ["CLIENT", "DOCUMENT", "AUTHOR", "AGE", "WHAT CHANGED"], empty="(nothing awaits approval)")
        return
    if decision and comment:
        raise UsageError("give --approve or --reject, not both")
    pending = [p for p in repo.review.pending() if p.client == client_id and not p.household]
    diffs = [d for p in pending for d in repo.review.diff(client_id, p.path, since_approval=True)]
    if as_json and not (decision or comment):
        emit_json(
            {"client": client_id, "pending": [p.as_json() for p in pending], "diffs": [d.as_json() for d in diffs]}
        )
        return
    if not pending:
        click.echo(f"nothing of {client_id} awaits approval")
        return
    for item in diffs:
        _print_diff(item)
    if not (decision or comment):
        if not sys.stdin.isatty():
            click.echo("\ndecide with --approve or --reject COMMENT")
            return
        answer = click.prompt("\napprove all [a], send back [r], or leave [l]", default="l")
        if answer.lower().startswith("a"):
            decision = "approve"
        elif answer.lower().startswith("r"):
            comment = click.prompt("why (the author sees this)")
        else:
            return
    actor = settings.actor()
    if decision == "approve":  # every document checked before the first commit: all or nothing
        for waiting in pending:
            repo.workflow.check_decision(actor, client_id, repo.resolve_document(client_id, waiting.path), "approved")
    for waiting in pending:
        if decision == "approve":
            saved = repo.workflow.approve(actor, client_id, waiting.path)
        else:
            saved = repo.workflow.reject(actor, client_id, waiting.path, comment or "")
        verb = "approved" if decision == "approve" else "sent back"
        done(f"{waiting.path} {verb} (commit {(saved.commit or '')[:8]})")
