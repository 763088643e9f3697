"""Evaluation commands: screen, scores, instruments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from caseflow.cli.context import Settings, done, emit_json, json_option, repo_options, table
from caseflow.cli.params import ID
from caseflow.errors import CaseflowError, UsageError
from caseflow.hookspecs import hookimpl


@hookimpl
def register_commands(cli: click.Group) -> None:
    for command in (screen, scores, instruments):
        cli.add_command(command)


@click.command()
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.argument("instrument_id", metavar="INSTRUMENT")
@click.option(
    "--answers", metavar="0,1,2,...", help="One value per question asked, in order. Without it, each question is asked."
)
@click.option("--date", metavar="YYYY-MM-DD", help="When it was given (default: today, in the agency's time zone).")
@click.option(
    "--param", "params", multiple=True, metavar="KEY=VALUE", help="A scoring parameter, e.g. sex=female for AUDIT-C."
)
@json_option
@repo_options
def screen(
    settings: Settings,
    client_id: str,
    instrument_id: str,
    answers: str | None,
    date: str | None,
    params: tuple[str, ...],
    as_json: bool,
) -> None:
    """Give a screening instrument (PHQ-9, GAD-7, AUDIT, AUDIT-C, DAST-10, C-SSRS) and save it.

    The answers, the computed result and who gave it are saved in one commit. A positive
    suicide-risk result (PHQ-9 item 9, C-SSRS moderate or high) also sets the client's risk flag.
    """
    from caseflow.evaluation import screening

    repo = settings.repo()
    actor = settings.actor()
    spec = repo.evaluation.instrument(instrument_id)
    repo.client_dir(client_id)
    parameters = {}
    for text in params:
        key, sep, value = text.partition("=")
        if not sep or not key:
            raise UsageError(f"--param {text!r} is not KEY=VALUE")
        parameters[key.strip()] = value.strip()
    if answers is not None:
        given = screening.parse_answers(spec, answers)
    else:
        click.echo(click.style(f"{spec.name}", bold=True) + f" — {spec.description}", err=True)
        try:
            for parameter in spec.parameters:
                if parameter.id not in parameters:
                    parameters[parameter.id] = click.prompt(
                        f"{parameter.title}", type=click.Choice(list(parameter.options)), err=True
                    )
            given = screening.ask(spec, _prompt)
        except click.Abort:
            raise CaseflowError("no answers: give --answers 0,1,..., or answer each question when asked") from None
    saved, result = repo.evaluation.screen(actor, client_id, spec.id, given, date, parameters)
    if as_json:
        emit_json(
            {
                "document": saved.path,
                "commit": saved.commit,
                **result.as_data(),
                "interpretation": result.interpretation,
            }
        )
    else:
        total = "" if result.total is None else f"total {result.total}, "
        done(f"{spec.name}: {total}{result.band} — {result.interpretation} ({saved.path})")
    if "suicide-risk" in result.flags:
        from caseflow.workflow.monitoring import contact_days

        _, every = contact_days(repo.client_record(client_id), repo.workflow_spec.monitoring)
        cadence = f" Contact at least every {every} days from now." if every else ""
        warning = f"⚠ SUICIDE RISK: {client_id} screened positive on {spec.name}. Assess safety today.{cadence}"
        click.echo(click.style(warning, fg="red", bold=True, reverse=True), err=True)


def _prompt(item: Any, answers: Mapping[str, int]) -> int:
    choices = "  ".join(f"[{o.value}] {o.label}" for o in item.options)
    click.echo(f"\n{item.id}. {item.text}\n    {choices}", err=True)
    return int(click.prompt("   ", type=click.Choice([str(o.value) for o in item.options]), err=True))


@click.command()
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.option("--instrument", "instrument_id", metavar="INSTRUMENT", help="Only this one (e.g. phq9).")
@json_option
@repo_options
def scores(settings: Settings, client_id: str, instrument_id: str | None, as_json: bool) -> None:
    """Every screening over time: change from baseline, response and remission (PHQ-9, GAD-7)."""
    from caseflow.evaluation import screening

    repo = settings.repo()
    administrations = repo.evaluation.scores(client_id, instrument_id)
    if as_json:
        emit_json([a.as_json() for a in administrations])
        return
    if not administrations:
        click.echo("(no screenings yet)")
        return
    instruments = repo.host.instruments()
    for key in dict.fromkeys(a.instrument for a in administrations):
        rows = [a for a in administrations if a.instrument == key]
        top = max((o.value for item in instruments[key].items if item.scored for o in item.options), default=1)
        top *= sum(1 for item in instruments[key].items if item.scored)
        trend = screening.sparkline([a.total for a in rows], top) if any(a.total is not None for a in rows) else ""
        click.echo(click.style(instruments[key].name, bold=True) + f"  {trend}")
        table(
            [
                (a.date, a.total, a.band, _signed(a.change), _mark(a.response), _mark(a.remission), a.flags)
                for a in rows
            ],
            ["DATE", "TOTAL", "BAND", "CHANGE", "RESPONSE", "REMISSION", "FLAGS"],
        )
        click.echo()


def _signed(value: int | None) -> str:
    return "-" if value is None else f"{value:+d}"


def _mark(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


@click.command()
@json_option
@repo_options
def instruments(settings: Settings, as_json: bool) -> None:
    """The screening instruments available, with their licence terms."""
    found = sorted(settings.repo().host.instruments().values(), key=lambda i: i.id)
    if as_json:
        emit_json(
            [
                {
                    "id": i.id,
                    "name": i.name,
                    "version": i.version,
                    "items": len(i.items),
                    "loinc": i.loinc_panel,
                    "licence": i.licence,
                    "free_for_commercial_use": i.free_for_commercial_use,
                }
                for i in found
            ]
        )
        return
    table(
        [(i.id, i.name, i.version, len(i.items), "yes" if i.free_for_commercial_use else "no") for i in found],
        ["INSTRUMENT", "NAME", "VERSION", "ITEMS", "COMMERCIAL USE"],
    )
    click.echo()
    for i in found:
        click.echo(f"{i.name}: {i.licence}")
