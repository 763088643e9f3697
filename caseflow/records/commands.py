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
    warn,
)
from caseflow.cli.params import ID, STAFF
from caseflow.hookspecs import hookimpl


@hookimpl
def register_commands(cli: click.Group) -> None:
    from caseflow.records.people_commands import find, merge_clients

    for command in (intake, clients, set_, new, validate, flag, find, merge_clients):
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
@click.option(
    "--new-person",
    is_flag=True,
    help="Go on although clients with the same birth date and a similar name, or the same phone, exist.",
)
@json_option
@repo_options
def intake(
    settings: Settings,
    name: str,
    dob: str,
    worker: str | None,
    phone: str | None,
    fields: tuple[str, ...],
    new_person: bool,
    as_json: bool,
) -> None:
    """Register a new client in stage 'intake' and print the new client id.

    Refused, with one line per likely duplicate (same birth date and a similar name, or same
    phone), unless --new-person says this is someone else.
    """
    repo = settings.repo()
    client_id = repo.records.intake(
        settings.actor(), name=name, dob=dob, worker=worker, phone=phone, fields=fields, new_person=new_person
    )
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
    repo = settings.repo()
    rows = repo.settled(lambda: repo.clients(stage=stage, worker=worker))
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
    draft is kept (its path is printed) and nothing is committed. A note saved as its bare skeleton
    is committed, with a warning: it counts for nothing until something is written in it.
    """
    repo = settings.repo()
    saved = repo.records.new_document(
        settings.actor(), client_id, form_id, fields=fields, edit=edit, from_file=from_file
    )
    done(f"created {saved.path} (commit {(saved.commit or '')[:8]})")
    blank = repo.records.incomplete(saved)
    if blank is not None:  # saved to finish later: say that it does not count yet
        warn(f"{saved.path}: {blank}; it counts for nothing (no contact, no requirement met) until it is written")
    click.echo(saved.path)


@click.command()
@click.argument("clients", type=ID, nargs=-1, metavar="[CLIENT]...")
@json_option
@repo_options
def validate(settings: Settings, clients: tuple[str, ...], as_json: bool) -> None:
    """Check every document (or those of the given clients) against its form.

    Each problem is printed as path:line:col: message. Exits 1 if there is any. Documents that
    are there but say nothing yet (a note still its skeleton, a required field left empty) are
    listed as incomplete: they meet no requirement and count as no contact until written, but
    they are not errors.
    """
    repo = settings.repo()
    with progress_bar("validating", err_terminal=not as_json) as progress:
        report = repo.settled(lambda: repo.validate(list(clients) or None, progress=progress))
    if as_json:
        emit_json(
            {
                "ok": report.ok,
                "documents": report.documents,
                "problems": [p.as_json() for p in report.problems],
                "incomplete": [p.as_json() for p in report.incomplete],
            }
        )
    else:
        for problem in [*report.problems, *report.incomplete]:
            click.echo(str(problem))
        summary = f"{counted(report.documents, 'document')} checked, {counted(len(report.problems), 'problem')}"
        if report.incomplete:
            summary += f", {len(report.incomplete)} incomplete (not counted until written)"
        click.echo(click.style(summary, fg="green" if report.ok else "red"), err=True)
    if not report.ok:
        raise SystemExit(1)


@click.command()
@click.argument("client_id", metavar="CLIENT", type=ID)
@click.argument("action", type=click.Choice(["set", "clear"]))
@click.argument("flag_name", metavar="FLAG")
@click.option("--since", metavar="YYYY-MM-DD", help="set: raised on (default: today).")
@click.option("--on", metavar="YYYY-MM-DD", help="clear: cleared on (default: today).")
@click.option("--note", help="Why (kept with the flag).")
@repo_options
def flag(
    settings: Settings, client_id: str, action: str, flag_name: str, since: str | None, on: str | None, note: str | None
) -> None:
    """Raise or clear a risk flag: caseflow flag CLIENT set|clear FLAG. One commit each.

    A flag in force sets the client's risk level (how often to make contact) and puts them first
    on the due list; a cleared flag stays in client.yaml with when and by whom it was cleared.
    """
    from caseflow.errors import UsageError

    if action == "set" and on is not None:
        raise UsageError("--on is for clearing a flag; raising one takes --since")
    if action == "clear" and since is not None:
        raise UsageError("--since is for raising a flag; clearing one takes --on")
    repo = settings.repo()
    if action == "set":
        saved = repo.records.set_flag(settings.actor(), client_id, flag_name, since=since, note=note)
    else:
        saved = repo.records.clear_flag(settings.actor(), client_id, flag_name, on=on, note=note)
    done(f"{client_id}: {action} flag '{flag_name}' (commit {(saved.commit or '')[:8]})")
