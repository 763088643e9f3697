"""Provider directory commands: providers search, providers show."""

from __future__ import annotations

import re

import click

from caseflow.cli.context import Settings, emit_json, json_option, repo_options, table
from caseflow.errors import NotFound, UsageError


def register(cli: click.Group) -> None:
    cli.add_command(providers)


@click.group()
def providers() -> None:
    """Find providers and services in the agency's directories."""


@providers.command("search")
@click.option("--service", "category", metavar="CATEGORY", help="A service category (its sub-categories match too).")
@click.option("--text", help="Words to look for in names and descriptions.")
@click.option("--language", metavar="CODE", help="A language the service is offered in (e.g. es).")
@click.option("--near", metavar="LAT,LON|POSTAL_CODE", help="Rank by distance from here.")
@click.option("--within", "within_km", type=float, metavar="KM", help="Only services this close (needs --near).")
@click.option("--accepting", is_flag=True, help="Only services that are active (taking clients).")
@json_option
@repo_options
def search_command(
    settings: Settings,
    category: str | None,
    text: str | None,
    language: str | None,
    near: str | None,
    within_km: float | None,
    accepting: bool,
    as_json: bool,
) -> None:
    """Search every directory; exact category first, then nearest, then best text match."""
    from caseflow.core.directory import resolve_postal_code, search

    repo = settings.repo()
    directories = repo.directories()
    point = None
    if near:
        coordinates = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*", near)
        if coordinates:
            point = (float(coordinates.group(1)), float(coordinates.group(2)))
        else:
            point = resolve_postal_code(near.strip(), directories, repo.config.directories.get("postal_codes") or {})
            if point is None:
                raise NotFound(f"postal code {near!r} is not in directories.postal_codes nor at any listed location")
    elif within_km is not None:
        raise UsageError("--within needs --near")
    found = search(
        directories,
        category=category,
        text=text,
        language=language,
        near=point,
        within_km=within_km,
        accepting=accepting,
    )
    if as_json:
        emit_json([m.as_json() for m in found])
        return
    table(
        [
            (
                m.service.id,
                m.service.organization,
                m.service.name,
                "-" if m.distance_km is None else f"{m.distance_km:.1f} km",
                "; ".join(m.reasons),
            )
            for m in found
        ],
        ["SERVICE", "ORGANIZATION", "NAME", "DISTANCE", "WHY"],
        empty="(no service matches)",
    )


@providers.command("show")
@click.argument("service_id", metavar="ID")
@json_option
@repo_options
def show_command(settings: Settings, service_id: str, as_json: bool) -> None:
    """One service (or every service of one organization) in full."""
    services = [s for d in settings.repo().directories() for s in d.services if service_id in (s.id, s.organization_id)]
    if not services:
        raise NotFound(f"no service or provider '{service_id}' in the directories (caseflow providers search)")
    if as_json:
        emit_json([s.as_json() for s in services])
        return
    for service in services:
        click.echo(click.style(f"{service.name}", bold=True) + f"  ({service.id}, {service.directory})")
        click.echo(f"  {service.organization}  {service.phone}")
        click.echo(
            f"  categories: {', '.join(service.categories) or '-'}   languages: {', '.join(service.languages) or '-'}"
        )
        click.echo(f"  {'accepting new clients' if service.active else 'not accepting new clients'}")
        for location in service.locations:
            click.echo(f"  at {location.address or '-'} {location.postal_code or ''}")
        if service.eligibility:
            click.echo(f"  eligibility: {service.eligibility}")
