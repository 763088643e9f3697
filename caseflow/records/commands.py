"""Client commands: intake, clients, show, set, new."""

from __future__ import annotations

from pathlib import Path

import click

from caseflow.cli.context import (
    Settings,
    counted,
    done,
    emit_json,
    json_option,
    progress_bar,
    repo_options,
    table,
)
from caseflow.cli.params import ID, STAFF
from caseflow.hookspecs import hookimpl


@hookimpl
def register_commands(cli: click.Group) -> None:
    for command in (intake, clients, set_, new, validate):
        cli.add_command(command)


FIELD_HELP = "Another field as key=value (dotted paths and [id] work: address.city=Springfield). Repeatable."


@click.command()
@click.option(
    "--name", required=True, help="The client's name (stored in client.yaml only; never in paths or commits)."
)
@click.option("--dob", required=True, metavar="YYYY-MM-DD", help="Date of birth.")
@click.option("--worker", type=STAFF, metavar="STAFF_ID", help="Assigned case manager (default: you, if you are one).")
@click.option("--phone", help="Phone number.")
@click.option("--field", "fields", multiple=True, metavar="KEY=VALUE", help=FIELD_HELP)
@json_option
@repo_options
def intake(
    settings: Settings,
    name: str,
    dob: str,
    worker: str | None,
    phone: str | None,
    fields: tuple[str, ...],
    as_json: bool,
) -> None:
    """Register a new client in stage 'intake' and print the new client id."""
    repo = settings.repo()
    client_id = repo.records.intake(settings.actor(), name=name, dob=dob, worker=worker, phone=phone, fields=fields)
    if as_json:
        emit_json({"id": client_id, "stage": "intake"})
        return
    done(f"new client {client_id} in stage intake")
    click.echo(client_id)


@click.command()
@click.option("--stage", metavar="STAGE", help="Only clients in this stage (caseflow stages CLIENT lists them).")
@click.option("--worker", type=STAFF, metavar="STAFF_ID", help="Only clients assigned to this case manager.")
@json_option
@repo_options
def clients(settings: Settings, stage: str | None, worker: str | None, as_json: bool) -> None:
    """List clients: id, stage, assigned worker, intake date and risk flags (no names)."""
    rows = settings.repo().clients(stage=stage, worker=worker)
    if as_json:
        emit_json(rows)
        return
    table(
        [(r["id"], r["stage"], r["assigned_worker"], r["intake_date"], r["risk_flags"]) for r in rows],
        ["CLIENT", "STAGE", "WORKER", "INTAKE", "FLAGS"],
        empty="(no clients)",
    )
    for row in rows:
        if row["problem"]:
            click.echo(click.style(f"{row['id']}: {row['problem']}", fg="red"), err=True)


@click.command("set")
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.argument("document", metavar="DOC")
@click.argument("assignments", nargs=-1, required=True, metavar="FIELD=VALUE...")
@repo_options
def set_(settings: Settings, client_id: str, document: str, assignments: tuple[str, ...]) -> None:
    """Change fields of a document and commit, leaving every other byte as it was.

    DOC is the document's path in the client folder (plan.yaml, visits/2026-03-02-home.md) or a
    one-per-client form id (core.plan). FIELD is a dotted path: review_date, address.city,
    goals[g1].status (the item whose id is g1), goals[0].title (the first), goals[+] (append).
    """
    repo = settings.repo()
    saved = repo.records.set_fields(settings.actor(), client_id, document, assignments)
    fields = ", ".join(a.split("=", 1)[0] for a in assignments)
    if saved.commit is None:
        done(f"nothing to change: {saved.path} already has {fields} as given")
    else:
        done(f"{saved.path}: set {fields} (commit {saved.commit[:8]})")


@click.command()
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.argument("form_id", metavar="FORM")
@click.option("--field", "fields", multiple=True, metavar="KEY=VALUE", help=FIELD_HELP)
@click.option("--edit", is_flag=True, help="Open the new document in $EDITOR before saving it.")
@click.option(
    "--from",
    "from_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Start from this file (e.g. a kept draft).",
)
@repo_options
def new(
    settings: Settings, client_id: str, form_id: str, fields: tuple[str, ...], edit: bool, from_file: Path | None
) -> None:
    """Create a document from a form's skeleton, validate it and commit it.

    With --edit the document opens in $EDITOR first; if what you wrote does not validate, your
    draft is kept (its path is printed) and nothing is committed.
    """
    repo = settings.repo()
    saved = repo.records.new_document(
        settings.actor(), client_id, form_id, fields=fields, edit=edit, from_file=from_file
    )
    done(f"created {saved.path} (commit {(saved.commit or '')[:8]})")
    click.echo(saved.path)


@click.command()
@click.argument("clients", type=ID, nargs=-1, metavar="[CLIENT]...")
@json_option
@repo_options
def validate(settings: Settings, clients: tuple[str, ...], as_json: bool) -> None:
    """Check every document (or those of the given clients) against its form.

    Each problem is printed as path:line:col: message. Exits 1 if there is any.
    """
    with progress_bar("validating", err_terminal=not as_json) as progress:
        report = settings.repo().validate(list(clients) or None, progress=progress)
    if as_json:
        emit_json({"ok": report.ok, "documents": report.documents, "problems": [p.as_json() for p in report.problems]})
    else:
        for problem in report.problems:
            click.echo(str(problem))
        summary = f"{counted(report.documents, 'document')} checked, {counted(len(report.problems), 'problem')}"
        click.echo(click.style(summary, fg="green" if report.ok else "red"), err=True)
    if not report.ok:
        raise SystemExit(1)
