"""Finding people and joining two records of one person: ``find`` and ``merge-clients``."""

from __future__ import annotations

import click

from caseflow.cli.context import Settings, done, emit_json, json_option, repo_options, table
from caseflow.cli.params import ID


@click.command()
@click.argument("text", required=False, default="")
@click.option("--dob", metavar="YYYY-MM-DD", help="Only clients born on this day.")
@json_option
@repo_options
def find(settings: Settings, text: str, dob: str | None, as_json: bool) -> None:
    """Find clients by name, birth date or phone, best match first.

    TEXT is a name (accents, case, word order and a typo or two do not matter: "reyes tomas"
    finds "Tomás Reyes Vidal"), a birth date (YYYY-MM-DD) or a phone number (digits compared).
    Names are shown only to those who may see them (a case manager: her own clients'); the
    search is recorded in the access record (who, when, how many found; never the text).
    """
    repo = settings.repo()
    found = repo.records.find(settings.actor(), text, dob=dob)
    if as_json:
        emit_json({"total": found.total, "matches": [m.as_json() for m in found.matches]})
        return
    table(
        [
            (m.id, "exact" if m.exact else "close", m.name if m.name is not None else "-", m.stage, m.assigned_worker)
            for m in found.matches
        ],
        ["CLIENT", "MATCH", "NAME", "STAGE", "WORKER"],
        empty="(nobody found)",
    )
    if found.total > len(found.matches):
        more = found.total - len(found.matches)
        click.echo(f"... and {more:,} more {'match' if more == 1 else 'matches'}: narrow the search", err=True)


@click.command("merge-clients")
@click.argument("keep", metavar="KEEP", type=ID)
@click.argument("other", metavar="OTHER", type=ID)
@click.option("--reason", help="Why (needed when KEEP is discharged); kept in KEEP's record.")
@repo_options
def merge_clients(settings: Settings, keep: str, other: str, reason: str | None) -> None:
    """Join OTHER's record into KEEP's: two records of one person.

    OTHER's documents move into KEEP's folder (a clashing name is renamed, never overwritten);
    OTHER's client record is kept under merged-from/OTHER/, and OTHER's id then points to KEEP.
    One commit; both histories stay (git log --follow). Supervisors, directors and admins only.
    """
    repo = settings.repo()
    repo.records.merge_clients(settings.actor(), keep, other, reason=reason)
    done(f"{other} merged into {keep}")
