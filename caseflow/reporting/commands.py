"""Reporting commands: report, export, and the access record (audit)."""

from __future__ import annotations

from pathlib import Path

import click

from caseflow.cli.context import (
    DefaultCommandGroup,
    Settings,
    done,
    emit_json,
    json_option,
    refuse_inside,
    repo_options,
    table,
    write_private,
    write_private_folder,
)
from caseflow.cli.params import ID, STAFF
from caseflow.errors import CaseflowError, UsageError
from caseflow.hookspecs import hookimpl


@click.command()
@click.argument("client", type=ID, metavar="[CLIENT]", required=False)
@click.option(
    "--verify",
    is_flag=True,
    help="Check the record: an edited, removed, reordered or forged entry, a log cut short, a rewritten ref.",
)
@click.option(
    "--client", "client_option", type=ID, hidden=True, help="Before CLIENT came as an argument (still works)."
)
@json_option
@repo_options
def audit(settings: Settings, client: str | None, verify: bool, client_option: str | None, as_json: bool) -> None:
    """The access record: who saw a client's record (show, referral packets, identified reports, exports),
    on every clone that shared it, and under which consent."""
    if client and client_option and client != client_option:
        raise UsageError(f"two clients given ({client}, {client_option}): name one")
    client_id = client or client_option
    repo = settings.repo()
    everything = repo.authority.access_entries()
    entries = [e for e in everything if client_id is None or client_id in e.clients]
    problems = repo.authority.verify_access() if verify else []
    if as_json:
        emit_json(
            {"entries": [e.as_json() for e in entries], "verified": verify and not problems, "problems": problems}
        )
    else:
        rows = [
            (e.chain or "here", e.seq, e.at[:16].replace("T", " "), e.who, e.action, e.what, e.clients, e.consent)
            for e in entries
        ]
        columns = ["CLONE", "#", "WHEN (UTC)", "WHO", "ACTION", "WHAT", "CLIENTS", "UNDER"]
        table(rows, columns, empty="(no disclosures recorded)")
        if verify and not problems:
            chains, count = len({e.chain for e in everything}), len(everything)
            entries_text = f"{count} {'entry' if count == 1 else 'entries'}"
            chains_text = f"{chains} {'chain' if chains == 1 else 'chains (one per clone)'}"
            done(f"the access record is intact: {entries_text} in {chains_text}, each chained to the last")
    for problem in problems:
        click.echo(click.style("tampered: ", fg="red") + problem, err=True)
    if problems:
        raise SystemExit(1)


@click.group(cls=DefaultCommandGroup)
def report() -> None:
    """Run a report, or list them."""


@report.command("default")
@click.argument("name")
@click.option("--period", "month", metavar="YYYY-MM", help="One month.")
@click.option("--from", "start", metavar="YYYY-MM-DD", help="From this day (default: the 1st of this month).")
@click.option("--to", "end", metavar="YYYY-MM-DD", help="To this day (default: today).")
@click.option("--worker", type=STAFF, metavar="STAFF_ID", help="Only this case manager's clients.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "csv"]),
    default="md",
    show_default=True,
    help="Markdown, a self-contained HTML page, or CSV (the report says which it comes as).",
)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write it here (default: stdout).")
@repo_options
def report_run(
    settings: Settings,
    name: str,
    month: str | None,
    start: str | None,
    end: str | None,
    worker: str | None,
    fmt: str,
    out: Path | None,
) -> None:
    """Run a report (`caseflow report list` names them): de-identified unless it names clients.

    De-identified reports suppress every count below the small-cell threshold (default 11) and any
    count that would reveal one; reports that name clients need a role in reports.identified_roles
    and are written to the access record.
    """
    repo = settings.repo()
    if out is not None:
        refuse_inside(repo, out)
    rendered = repo.reporting.report(
        settings.actor(), name, fmt=fmt, month=month, start=start, end=end, worker=worker
    )  # fmt: skip
    if out is None:
        click.echo(rendered.text, nl=not rendered.text.endswith("\n"))
        return
    write_private(out, rendered.text)
    done(f"wrote {rendered.report.title} ({rendered.start} to {rendered.end}) to {out}")


@report.command("list")
@json_option
@repo_options
def report_list(settings: Settings, as_json: bool) -> None:
    """The reports plugins provide."""
    reports = settings.repo().host.reports()
    rows = [
        {
            "id": r.id,
            "title": r.title,
            "identified": r.identified,
            "formats": list(r.formats),
            "description": r.description,
        }
        for r in reports.values()
    ]
    if as_json:
        emit_json(rows)
        return
    table(
        [(r["id"], "names clients" if r["identified"] else "de-identified", r["description"]) for r in rows],
        ["REPORT", "KIND", "WHAT"],
    )


@click.command("export")
@click.argument("client_id", type=ID, metavar="[CLIENT]", required=False)
@click.option("--format", "fmt", required=True, metavar="FORMAT", help="An export format: fhir (a plugin's), hmis.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Write it here: a file (default: stdout); for hmis, a new or empty folder (required).",
)
@click.option("--from", "start", metavar="YYYY-MM-DD", help="hmis: the period's first day.")
@click.option(
    "--to",
    metavar="PROVIDER_ID | YYYY-MM-DD",
    help="A client export: an outside recipient (the consent gate applies). hmis: the period's last day.",
)
@click.option("--purpose", help="Why it goes to the recipient (a consent must cover it).")
@click.option("--information", multiple=True, help="What it carries (a consent must cover it). Repeatable.")
@json_option
@repo_options
def export_command(
    settings: Settings,
    client_id: str | None,
    fmt: str,
    out: Path | None,
    start: str | None,
    to: str | None,
    purpose: str | None,
    information: tuple[str, ...],
    as_json: bool,
) -> None:
    """Export one client's record in another system's format, such as a FHIR R4 Bundle, or every
    client with an enrollment in a period as the HUD HMIS CSV (--format hmis --from D --to D --out DIR).

    Exports name clients: they need a role in reports.identified_roles and are written to the
    access record (an hmis export: one entry per client); with --to PROVIDER_ID, the consent gate
    applies as for a referral.
    """
    repo = settings.repo()
    if repo.reporting.exporter(fmt).agency_wide:
        _export_agency(settings, client_id, fmt, out, start, to, as_json)
        return
    if client_id is None:
        raise UsageError(f"name the client: caseflow export CLIENT --format {fmt}")
    if start is not None:
        raise UsageError(f"--from is for a period; {fmt} exports one client")
    if out is not None:
        refuse_inside(repo, out)
        if out.is_dir():
            raise UsageError(f"--out {out} is a folder; give a file name")
    data = repo.reporting.export(settings.actor(), client_id, fmt, to=to, purpose=purpose, information=information)
    if out is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    write_private(out, data)
    if as_json:
        emit_json({"format": fmt, "client": client_id, "out": str(out)})
        return
    done(f"exported {client_id} as {fmt} to {out}")


def _export_agency(
    settings: Settings,
    client_id: str | None,
    fmt: str,
    out: Path | None,
    start: str | None,
    end: str | None,
    as_json: bool,
) -> None:
    """An agency-wide export into a new or empty folder: every file, or nothing."""
    if client_id is not None:
        raise UsageError(f"{fmt} exports every client of a period; leave out {client_id}")
    if start is None or end is None:
        raise UsageError(f"{fmt} exports a period: give --from YYYY-MM-DD and --to YYYY-MM-DD")
    if out is None:
        raise UsageError(f"{fmt} writes several files: give --out FOLDER (new or empty)")
    repo = settings.repo()
    refuse_inside(repo, out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CaseflowError(f"--out {out} exists and is not an empty folder; nothing was written")
    result = repo.reporting.export_agency(settings.actor(), fmt, start, end)
    write_private_folder(out, result.files)
    if as_json:
        emit_json(
            {
                "format": fmt,
                "out": str(out),
                "from": start,
                "to": end,
                "files": list(result.files),
                "clients": list(result.clients),
                "not_collected": [{"element": k, "rows": v} for k, v in result.not_collected.items()],
            }
        )
        return
    count = len(result.clients)
    done(f"exported {count} {'client' if count == 1 else 'clients'} as {fmt} ({start} to {end}) to {out}")
    if result.not_collected:
        click.echo("written as data not collected (rows):")
        for element, rows in result.not_collected.items():
            click.echo(f"  {element}: {rows}")


@hookimpl
def register_commands(cli: click.Group) -> None:
    for command in (
        audit,
        report,
        export_command,
    ):
        cli.add_command(command)
