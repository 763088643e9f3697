"""Consent and referral commands: consent, consent revoke, consents, refer, referral, referral packet, referrals."""

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
)
from caseflow.cli.params import ID
from caseflow.hookspecs import hookimpl


@hookimpl
def register_commands(cli: click.Group) -> None:
    for command in (consent, consents, refer, referral, referrals):
        cli.add_command(command)


# -- consents --------------------------------------------------------------------------------------


@click.group(cls=DefaultCommandGroup)
def consent() -> None:
    """Record a client's consent."""


@consent.command("default")
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.option(
    "--to", "recipients", multiple=True, metavar="PROVIDER_ID", help="A recipient's directory id. Repeatable."
)
@click.option("--purpose", "purposes", multiple=True, help="A purpose the client agreed to. Repeatable.")
@click.option("--information", multiple=True, help="Information the release covers. Repeatable.")
@click.option("--expires", metavar="YYYY-MM-DD", help="Expiry date.")
@click.option(
    "--expiry-event",
    metavar="EVENT",
    help="Instead of (or besides) a date: discharge, 'end of referral', a duration after signing "
    "('90 days', '6 months', '1 year'), or for a Part 2 TPO consent none / 'end of treatment'.",
)
@click.option(
    "--referral",
    metavar="REFERRAL_ID",
    help="The referral an 'end of referral' expiry follows (default: the first sent under it).",
)
@click.option("--part2", is_flag=True, help="A 42 CFR Part 2 consent (substance-use treatment records).")
@click.option("--treatment", is_flag=True, help="A consent to services, not a release of information.")
@click.option("--signed-on", metavar="YYYY-MM-DD", help="Date signed (default: today).")
@click.option("--signed-by", metavar="NAME", help="Who signed, if not the client.")
@click.option(
    "--relationship",
    type=click.Choice(["self", "parent", "guardian", "personal-representative"]),
    default="self",
    show_default=True,
    help="The signer's relationship to the client.",
)
@click.option("--authority", metavar="TEXT", help="A representative's authority (needed unless self).")
@click.option(
    "--minor-basis",
    metavar="TEXT",
    help="For a client under the age of majority who signs: the state law or rule that lets them consent.",
)
@click.option("--note", help="A note kept with the consent.")
@json_option
@repo_options
def consent_default(
    settings: Settings,
    client_id: str,
    recipients: tuple[str, ...],
    purposes: tuple[str, ...],
    information: tuple[str, ...],
    expires: str | None,
    expiry_event: str | None,
    referral: str | None,
    part2: bool,
    treatment: bool,
    signed_on: str | None,
    signed_by: str | None,
    relationship: str,
    authority: str | None,
    minor_basis: str | None,
    note: str | None,
    as_json: bool,
) -> None:
    """Record a signed release of information (or, with --treatment, a treatment consent).

    A release needs every element 42 CFR 2.31 and 45 CFR 164.508 require: recipients by directory id
    (--to, checked against the directories), --purpose, --information and --expires or
    --expiry-event (an event caseflow can evaluate: free text is refused); the signer is the client
    unless --signed-by/--relationship/--authority say otherwise. A client under the age of majority
    (age_of_majority in caseflow.yaml, default 18) needs a parent, guardian or personal
    representative to sign, or --minor-basis. Example:

    \b
      caseflow consent C-7K2M9Q --to eastside-counseling \\
        --purpose "Referral for counseling" --information "Contact information" \\
        --expires 2027-11-27
    """
    from caseflow.referrals.consents import ConsentTerms

    repo = settings.repo()
    terms = ConsentTerms(
        recipients=recipients,
        purposes=purposes,
        information=information,
        expires_on=expires,
        expiry_event=expiry_event,
        part2=part2,
        treatment=treatment,
        signed_on=signed_on,
        signed_by=signed_by,
        relationship=relationship,
        authority=authority,
        notes=note,
        referral=referral,
        minor_consent_basis=minor_basis,
    )
    saved = repo.referrals.record_consent(settings.actor(), client_id, terms)
    consent_id = Path(saved.path).stem
    if as_json:
        emit_json({"id": consent_id, "path": saved.path, "commit": saved.commit})
        return
    done(f"recorded consent {consent_id} in {saved.path} (commit {(saved.commit or '')[:8]})")
    click.echo(consent_id)


@consent.command("revoke")
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.argument("consent_id", type=ID, metavar="CONSENT_ID")
@click.option("--date", "on", metavar="YYYY-MM-DD", help="When the client revoked it (default: today).")
@click.option("--note", help="How it was revoked (e.g. letter received).")
@repo_options
def consent_revoke(settings: Settings, client_id: str, consent_id: str, on: str | None, note: str | None) -> None:
    """Record that the client revoked a consent (from --date on).

    Disclosures made before that date stay lawful; later ones are refused.
    """

    saved = settings.repo().referrals.revoke_consent(settings.actor(), client_id, consent_id, on, note)
    done(f"consent {consent_id} revoked (commit {(saved.commit or '')[:8]})")


@click.command()
@click.argument("client_id", type=ID, metavar="CLIENT")
@json_option
@repo_options
def consents(settings: Settings, client_id: str, as_json: bool) -> None:
    """The client's consents: to whom, for what, until when, and whether each is valid today (and why not).

    An expiry given as an event or a duration shows the day it ends once that is known
    ("2027-08-12 (1 year after signing)", "at discharge"); --json gives it as ends_on.
    """
    rows = settings.repo().referrals.consent_statuses(client_id)
    if as_json:
        emit_json([{k: v for k, v in row.items() if k != "recipient_names"} for row in rows])
        return
    table(
        [
            (  # people read recipients by name; their directory ids are in --json
                r["id"],
                r["kind"],
                r["recipient_names"],
                r["expiry"],
                "yes" if r["valid_today"] else "; ".join(r["why_not"]),
            )
            for r in rows
        ],
        ["CONSENT", "KIND", "RECIPIENTS", "EXPIRES", "VALID TODAY"],
        empty="(no consents on file)",
    )


# -- referrals -------------------------------------------------------------------------------------


@click.command()
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.option("--service", "service_id", required=True, metavar="SERVICE_ID", help="The directory service.")
@click.option("--reason", help="Why the client is referred (goes into the packet).")
@click.option("--plan-goal", "goal", metavar="GOAL_ID", help="The plan goal this referral serves (e.g. g1).")
@click.option("--purpose", required=True, help="The purpose of the disclosure; a consent must cover it.")
@click.option(
    "--information", required=True, multiple=True, help="Information to be sent; a consent must cover it. Repeatable."
)
@click.option("--part2/--no-part2", default=None, help="Includes substance-use records (default: the client's part2).")
@json_option
@repo_options
def refer(
    settings: Settings,
    client_id: str,
    service_id: str,
    reason: str | None,
    goal: str | None,
    purpose: str,
    information: tuple[str, ...],
    part2: bool | None,
    as_json: bool,
) -> None:
    """Start a referral (draft) to a directory service; `caseflow referral ... --status requested` sends it."""

    saved = settings.repo().referrals.refer(
        settings.actor(),
        client_id,
        service_id,
        reason=reason,
        goal=goal,
        purpose=purpose,
        information=information,
        part2=part2,
    )
    referral_id = Path(saved.path).stem
    if as_json:
        emit_json({"id": referral_id, "path": saved.path, "status": "draft", "commit": saved.commit})
        return
    done(f"referral {referral_id} drafted in {saved.path} (commit {(saved.commit or '')[:8]})")
    click.echo(referral_id)


@click.group(cls=DefaultCommandGroup)
def referral() -> None:
    """Move a referral on, or render its packet."""


@referral.command("default")
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.argument("referral_id", type=ID, metavar="REF_ID")
@click.option(
    "--status",
    required=True,
    help="requested (sends it: needs consent), received, accepted, rejected, in-progress, completed, "
    "cancelled, failed.",
)
@click.option("--note", help="What happened.")
@click.option("--reason", help="Why, e.g. no-show.")
@click.option("--emergency", metavar="REASON", help="Send without consent in an emergency (allowed roles only).")
@repo_options
def referral_status(
    settings: Settings,
    client_id: str,
    referral_id: str,
    status: str,
    note: str | None,
    reason: str | None,
    emergency: str | None,
) -> None:
    """Move a referral through its lifecycle; sending it (requested) needs a consent that covers it.

    draft -> requested -> received | accepted | rejected -> in-progress -> completed | cancelled |
    failed (a no-show is a --reason). Each change records the date, who and the note.
    """

    saved = settings.repo().referrals.change_status(
        settings.actor(), client_id, referral_id, status, note, reason, emergency
    )
    done(f"referral {referral_id} is now {status} (commit {(saved.commit or '')[:8]})")


@referral.command("packet")
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.argument("referral_id", type=ID, metavar="REF_ID")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write it to this file.")
@repo_options
def referral_packet(settings: Settings, client_id: str, referral_id: str, out: Path | None) -> None:
    """Render the referral packet for the recipient (needs a covering consent).

    The packet holds the minimum necessary: who the client is and how to reach them, what is asked,
    the plan goal, the information listed on the referral, and the consent it is shared under.

    The template is templates/packets/referral.md.j2 (an agency may override it in its repository).
    Part 2 records carry the 42 CFR 2.32 notice. Each packet is written to the access record.
    """

    repo = settings.repo()
    if out is not None:
        refuse_inside(repo, out)
    rendered = repo.referrals.packet(settings.actor(), client_id, referral_id)
    if out is None:
        click.echo(rendered.text, nl=False)
        return
    write_private(out, rendered.text)
    under = f"consent {rendered.consent}" if rendered.consent else f"emergency override ({rendered.emergency})"
    done(f"wrote the packet for {referral_id} to {out} under {under}")


@click.command()
@click.argument("client_id", type=ID, metavar="[CLIENT]", required=False)
@click.option("--open", "only_open", is_flag=True, help="Only referrals that have not come to an end.")
@json_option
@repo_options
def referrals(settings: Settings, client_id: str | None, only_open: bool, as_json: bool) -> None:
    """Referrals of one client (or all): provider, service, status, when it last changed, and if stale."""
    from caseflow.referrals.lifecycle import OPEN_STATUSES
    from caseflow.referrals.status import last_change, stale_since

    repo = settings.repo()
    today = repo.today()
    days = repo.referrals.stale_after_days()
    rows = []
    for cid in [client_id] if client_id else repo.client_ids():
        for document in repo.case(cid).by_form("core.referral"):
            data = document.data
            row = {
                "client": cid,
                "id": data.get("id"),
                "provider": data.get("provider"),
                "provider_name": data.get("provider_name") or data.get("provider"),
                "service": data.get("service_id") or data.get("service"),
                "service_name": data.get("service") or data.get("service_id"),
                "category": data.get("category"),
                "status": data.get("status"),
                "since": last_change(data),
                "consent": data.get("consent"),
                "stale_since": stale_since(data, today, days),
            }
            if not only_open or row["status"] in OPEN_STATUSES:
                rows.append(row)
    if as_json:
        emit_json(rows)
        return
    table(
        [
            (
                r["client"],
                r["id"],
                r["provider_name"],  # a name for people; the directory id is in --json
                r["service_name"],
                r["status"],
                r["since"],
                f"no change in {days}+ days" if r["stale_since"] else "",
            )
            for r in rows
        ],
        ["CLIENT", "REFERRAL", "PROVIDER", "SERVICE", "STATUS", "SINCE", "FOLLOW UP"],
        empty="(no referrals)",
    )
