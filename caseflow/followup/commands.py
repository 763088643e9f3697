"""Follow-through commands: visit, appt, appts, meds, report-in, ack, due, calendar."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from caseflow.cli.context import (
    DefaultCommandGroup,
    Settings,
    colour_on,
    done,
    echo_text,
    emit_json,
    json_option,
    progress_bar,
    read_text_file,
    refuse_inside,
    repo_options,
    table,
    table_text,
    write_private,
)
from caseflow.cli.params import ID, STAFF
from caseflow.errors import UsageError
from caseflow.hookspecs import hookimpl

if TYPE_CHECKING:
    from caseflow.followup.due import DueEntry


@hookimpl
def register_commands(cli: click.Group) -> None:
    for command in (visit, appt, appts, meds, report_in, ack, due, calendar):
        cli.add_command(command)


def _note_text(note: str | None, note_file: Path | None, edit: bool, what: str) -> str | None:
    given = [name for name, value in (("--note", note), ("--note-file", note_file), ("--edit", edit)) if value]
    if len(given) > 1:
        raise UsageError(f"give one of {', '.join(given)} for the {what}")
    if note_file is not None:
        return read_text_file(note_file, "--note-file")
    return note


# -- contacts ---------------------------------------------------------------------------------------


@click.command()
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.option(
    "--type",
    "kind",
    required=True,
    type=click.Choice(["office", "home", "hospital", "phone", "video"]),
    help="Where or how the contact happened.",
)
@click.option("--date", "on", metavar="YYYY-MM-DD", help="When (default: today; never in the future).")
@click.option("--duration", type=int, metavar="MIN", help="Length in minutes.")
@click.option("--note", help="The note's text.")
@click.option(
    "--note-file", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="The note, from a file."
)
@click.option("--edit", is_flag=True, help="Write the note in $EDITOR (kept as a draft if it does not validate).")
@click.option("--goal", "goals", multiple=True, metavar="GOAL_ID", help="A plan goal this contact worked on.")
@click.option("--facility", help="Hospital visits: the hospital.")
@click.option("--admitted", metavar="YYYY-MM-DD", help="Hospital visits: admitted on.")
@click.option("--discharged", metavar="YYYY-MM-DD", help="Hospital visits: discharged on (starts the 7-day follow-up).")
@click.option(
    "--not-reached",
    is_flag=True,
    help="An attempt that did not reach the client (no answer): on record, but not a contact.",
)
@json_option
@repo_options
def visit(
    settings: Settings,
    client_id: str,
    kind: str,
    on: str | None,
    duration: int | None,
    note: str | None,
    note_file: Path | None,
    edit: bool,
    goals: tuple[str, ...],
    facility: str | None,
    admitted: str | None,
    discharged: str | None,
    not_reached: bool,
    as_json: bool,
) -> None:
    """Record a contact with the client: visits/<date>-<type>.md, one commit.

    The note says what happened (--note, --note-file or --edit): a contact note left empty
    documents nothing, so it is refused rather than counted as a contact.
    """
    from caseflow.followup.actions import Contact

    text = _note_text(note, note_file, edit, "contact note")
    if text is None and not edit:
        raise UsageError("say what happened: --note TEXT, --note-file FILE, or --edit to write it in $EDITOR")
    contact = Contact(kind, on, duration, goals, text, facility, admitted, discharged, reached=not not_reached)
    saved = settings.repo().followup.record_visit(settings.actor(), client_id, contact, edit=edit)
    if as_json:
        emit_json({"path": saved.path, "commit": saved.commit})
        return
    done(f"recorded {saved.path} (commit {(saved.commit or '')[:8]})")


# -- appointments -----------------------------------------------------------------------------------


@click.group(cls=DefaultCommandGroup)
def appt() -> None:
    """Record an appointment's outcome, or add one."""


@appt.command("default")
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.argument("appointment_id", type=ID, metavar="APPT_ID")
@click.option("--kept", is_flag=True, help="The client went.")
@click.option("--missed", is_flag=True, help="The client did not go (a follow-up contact is due).")
@click.option("--cancelled", is_flag=True, help="It did not take place.")
@click.option("--note", help="What happened.")
@repo_options
def appt_mark(
    settings: Settings,
    client_id: str,
    appointment_id: str,
    kept: bool,
    missed: bool,
    cancelled: bool,
    note: str | None,
) -> None:
    """Record whether an appointment was kept, missed or cancelled."""

    said = [name for name, given in (("kept", kept), ("missed", missed), ("cancelled", cancelled)) if given]
    if len(said) != 1:
        raise UsageError("say what happened with one of --kept, --missed or --cancelled")
    outcome = said[0]
    saved = settings.repo().followup.mark_appointment(settings.actor(), client_id, appointment_id, outcome, note)
    done(f"appointment {appointment_id} {outcome} (commit {(saved.commit or '')[:8]})")


@appt.command("add")
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.option("--with", "with_", required=True, metavar="PROVIDER_OR_TEXT", help="A directory id, or who.")
@click.option("--at", required=True, metavar="YYYY-MM-DDTHH:MM", help="When (the agency's local time).")
@click.option("--referral", type=ID, metavar="REF_ID", help="The referral it belongs to.")
@click.option("--purpose", help="What it is for.")
@json_option
@repo_options
def appt_add(
    settings: Settings,
    client_id: str,
    with_: str,
    at: str,
    referral: str | None,
    purpose: str | None,
    as_json: bool,
) -> None:
    """Add a scheduled appointment to appointments.yaml."""

    saved, appointment_id = settings.repo().followup.add_appointment(
        settings.actor(), client_id, with_=with_, at=at, referral=referral, purpose=purpose
    )
    if as_json:
        emit_json({"id": appointment_id, "path": saved.path, "commit": saved.commit})
        return
    done(f"appointment {appointment_id} added (commit {(saved.commit or '')[:8]})")
    click.echo(appointment_id)


@click.command()
@click.argument("client_id", type=ID, metavar="[CLIENT]", required=False)
@click.option("--upcoming", is_flag=True, help="Only appointments still to come.")
@json_option
@repo_options
def appts(settings: Settings, client_id: str | None, upcoming: bool, as_json: bool) -> None:
    """Appointments of one client (or of all), with each client's kept and missed counts."""
    from caseflow.followup.actions import attendance

    repo = settings.repo()
    today = repo.today().isoformat()
    listing = []
    for cid in [client_id] if client_id else repo.client_ids():
        items = repo.followup.appointments(cid)
        shown = [i for i in items if not upcoming or (i.get("status") == "scheduled" and str(i.get("date")) >= today)]
        listing.append({"client": cid, **attendance(items), "appointments": [_appointment(i) for i in shown]})
    if as_json:
        emit_json(listing if client_id is None else listing[0])
        return
    rows = [
        (entry["client"], a["id"], f"{a['date']} {a['time'] or ''}".strip(), a["with"], a["status"], a["purpose"] or "")
        for entry in listing
        for a in entry["appointments"]
    ]
    table(rows, ["CLIENT", "APPT", "WHEN", "WITH", "STATUS", "PURPOSE"], empty="(no appointments)")
    for entry in listing:
        if entry["kept"] + entry["missed"]:
            rate = f"{entry['kept_rate']:.0%}"
            click.echo(f"{entry['client']}: kept {entry['kept']}, missed {entry['missed']} (kept rate {rate})")


def _appointment(item: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("id", "date", "time", "with", "provider", "purpose", "referral", "status", "note")
    return {key: item.get(key) for key in keys}


# -- medications ------------------------------------------------------------------------------------


@click.group(cls=DefaultCommandGroup)
def meds() -> None:
    """Medications the client takes, and how they are going (monitoring, not prescribing)."""


@meds.command("default")
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.option("--all", "show_all", is_flag=True, help="Include stopped medications.")
@json_option
@repo_options
def meds_list(settings: Settings, client_id: str, show_all: bool, as_json: bool) -> None:
    """Each medication with its recent adherence, effects and side effects."""

    items = [
        _medication(item)
        for item in settings.repo().followup.medications(client_id)
        if show_all or not item.get("stop")
    ]
    if as_json:
        emit_json(items)
        return
    if not items:
        click.echo("(no medications on record)")
    for item in items:
        stopped = f", stopped {item['stop']}" if item["stop"] else ""
        click.echo(
            click.style(f"{item['id']}  {item['name']} {item['dose']}", bold=True)
            + f"  (since {item['start']}{stopped})"
        )
        click.echo(f"  prescribed by {item['prescriber']}" + (f"; for {item['reason']}" if item["reason"] else ""))
        for entry in item["recent"]:
            side = f" | side effects: {entry['side_effects']}" if entry.get("side_effects") else ""
            click.echo(f"  {entry['date']}  {entry['adherence']:<8} {entry.get('effect') or ''}{side}")


def _medication(item: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("id", "name", "dose", "prescriber", "start", "stop", "reason")
    entries = sorted(
        (e for e in item.get("monitoring") or [] if isinstance(e, Mapping)), key=lambda e: str(e.get("date"))
    )  # a back-dated entry takes its place in time
    return {key: item.get(key) for key in keys} | {"recent": [dict(e) for e in entries[-3:]]}


@meds.command("add")
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.option("--name", required=True, help="The medication.")
@click.option("--dose", required=True, help="Dose and how often, as prescribed.")
@click.option("--prescriber", required=True, help="Who prescribed it.")
@click.option("--start", required=True, metavar="YYYY-MM-DD", help="When the client started it.")
@click.option("--reason", help="What it is for.")
@json_option
@repo_options
def meds_add(
    settings: Settings,
    client_id: str,
    name: str,
    dose: str,
    prescriber: str,
    start: str,
    reason: str | None,
    as_json: bool,
) -> None:
    """Record a medication the client takes (prescribed elsewhere)."""

    saved, medication_id = settings.repo().followup.add_medication(
        settings.actor(),
        client_id,
        name=name,
        dose=dose,
        prescriber=prescriber,
        start=start,
        reason=reason,
    )
    if as_json:
        emit_json({"id": medication_id, "path": saved.path, "commit": saved.commit})
        return
    done(f"medication {medication_id} recorded (commit {(saved.commit or '')[:8]})")
    click.echo(medication_id)


@meds.command("stop")
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.argument("medication_id", type=ID, metavar="MED_ID")
@click.option("--date", "on", metavar="YYYY-MM-DD", help="When it was stopped (default: today).")
@click.option("--reason", help="Why.")
@repo_options
def meds_stop(settings: Settings, client_id: str, medication_id: str, on: str | None, reason: str | None) -> None:
    """Record that the client stopped a medication."""

    saved = settings.repo().followup.stop_medication(settings.actor(), client_id, medication_id, on, reason)
    done(f"medication {medication_id} stopped (commit {(saved.commit or '')[:8]})")


@meds.command("log")
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.argument("medication_id", type=ID, metavar="MED_ID", required=False)
@click.option("--med", "med_option", type=ID, hidden=True, help="Before MED_ID came after CLIENT (still works).")
@click.option("--adherence", required=True, metavar="taken|partial|missed", help="Did the client take it.")
@click.option("--effect", required=True, help="What the client says it does.")
@click.option("--side-effects", help="Side effects the client reports.")
@click.option("--date", "on", metavar="YYYY-MM-DD", help="When (default: today).")
@repo_options
def meds_log(
    settings: Settings,
    client_id: str,
    medication_id: str | None,
    med_option: str | None,
    adherence: str,
    effect: str,
    side_effects: str | None,
    on: str | None,
) -> None:
    """Record how a medication is going: adherence, effect, side effects (MED_ID: see `caseflow meds CLIENT`).

    The item of a client is named after the client everywhere (`meds stop CLIENT MED_ID`,
    `appt CLIENT APPT_ID`, `referral CLIENT REF_ID`); `--med MED_ID` is the older spelling.
    """
    if medication_id is not None and med_option is not None and medication_id != med_option:
        raise UsageError("give the medication once: caseflow meds log CLIENT MED_ID")
    medication_id = medication_id or med_option
    if medication_id is None:
        raise click.UsageError("Missing argument 'MED_ID' (caseflow meds CLIENT lists them).")

    saved = settings.repo().followup.log_medication(
        settings.actor(),
        client_id,
        medication_id,
        adherence=adherence,
        effect=effect,
        side_effects=side_effects,
        on=on,
    )
    done(f"medication {medication_id}: {adherence} (commit {(saved.commit or '')[:8]})")


# -- provider reports -------------------------------------------------------------------------------


@click.command("report-in")
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.option("--provider", required=True, metavar="PROVIDER_ID", help="Who sent it (a directory id).")
@click.option("--date", "on", required=True, metavar="YYYY-MM-DD", help="The report's date.")
@click.option("--file", "text_file", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="Its text.")
@click.option("--edit", is_flag=True, help="Type or paste it in $EDITOR.")
@click.option("--referral", type=ID, metavar="REF_ID", help="The referral it reports on.")
@click.option("--attach", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="The PDF it came as.")
@repo_options
def report_in(
    settings: Settings,
    client_id: str,
    provider: str,
    on: str,
    text_file: Path | None,
    edit: bool,
    referral: str | None,
    attach: Path | None,
) -> None:
    """Record a report received from a provider; it stays unread until `caseflow ack`."""

    if (text_file is None) == (not edit):
        raise UsageError("give the report's text with --file FILE or --edit (one of them)")
    text = read_text_file(text_file, "--file") if text_file else None
    saved = settings.repo().followup.receive_report(
        settings.actor(),
        client_id,
        provider=provider,
        on=on,
        text=text,
        edit=edit,
        referral=referral,
        attachment=attach,
    )
    done(f"recorded {saved.path} (commit {(saved.commit or '')[:8]})")


@click.command()
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.argument("document", metavar="DOC")
@repo_options
def ack(settings: Settings, client_id: str, document: str) -> None:
    """Mark a provider report as read (DOC: its path in the client's folder)."""

    saved = settings.repo().followup.acknowledge(settings.actor(), client_id, document)
    done(f"{saved.path} marked read (commit {(saved.commit or '')[:8]})")


# -- the due list -----------------------------------------------------------------------------------


@click.command()
@click.option(
    "--worker", type=STAFF, metavar="STAFF_ID", help="This case manager's clients (default: yours, if you are one)."
)
@click.option("--all", "everyone", is_flag=True, help="Every client.")
@click.option("--within", "within_days", type=int, default=14, show_default=True, metavar="DAYS", help="Look ahead.")
@json_option
@repo_options
def due(settings: Settings, worker: str | None, everyone: bool, within_days: int, as_json: bool) -> None:
    """What is overdue and what is coming, per client: risk-flagged clients first, then most overdue.

    Worked out from the documents (contacts by risk level, missed appointments, hospital
    discharges, rescreens, plan reviews, referrals, consents, unread reports). The local index
    keeps each client's items for the day, so only clients whose documents changed are read again.
    """

    repo = settings.repo()
    whose = settings.clients_of(worker, everyone)
    with progress_bar("reading cases") as progress:
        listing = repo.settled(lambda: repo.due_listing(worker=whose, within_days=within_days, progress=progress))
        if as_json:
            entries = listing.entries
        else:  # (the table is kept with the list: a warm read of a whole agency's list writes it out)
            colour = colour_on()
            text = listing.shown(f"table/{'colour' if colour else 'plain'}", lambda made: _due_table(made, colour))
    if as_json:
        emit_json([entry.as_json() for entry in entries])
        return
    echo_text(text)


def _due_table(entries: list[DueEntry], colour: bool) -> str:
    whens: dict[str, str] = {}  # (one text per due date: a caseload's list has few dates, many items)

    def when(entry: DueEntry) -> str:
        found = whens.get(entry.item.due)
        if found is None:
            found = entry.when
            if colour:  # (styling tens of thousands of cells only to strip them costs seconds)
                found = click.style(found, fg="red" if entry.days_overdue > 0 else None)
            whens[entry.item.due] = found
        return found

    rows = [
        (entry.client + (" !" if entry.flagged else ""), entry.item.due, when(entry), entry.item.reason)
        for entry in entries
    ]
    return table_text(rows, ["CLIENT", "DUE", "WHEN", "WHAT"], empty="(nothing due)")


@click.command()
@click.option(
    "--worker", type=STAFF, metavar="STAFF_ID", help="This case manager's clients (default: yours, if you are one)."
)
@click.option("--all", "everyone", is_flag=True, help="Every client.")
@click.option("--within", "within_days", type=int, default=60, show_default=True, metavar="DAYS", help="Look ahead.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write the .ics here (default: stdout).")
@repo_options
def calendar(settings: Settings, worker: str | None, everyone: bool, within_days: int, out: Path | None) -> None:
    """Appointments and due items as an iCalendar file for ordinary calendar programs (client ids, no names)."""

    repo = settings.repo()
    if out is not None:
        refuse_inside(repo, out)
    whose = settings.clients_of(worker, everyone)
    data = repo.calendar(worker=whose, within_days=within_days)
    if out is None:
        click.echo(data.decode(), nl=False)
        return
    write_private(out, data)
    done(f"wrote {out} (readable by you only)")
