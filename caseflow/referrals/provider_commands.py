"""Provider directory commands: providers search, show, import, directories."""

from __future__ import annotations

from pathlib import Path

import click

from caseflow.cli.context import Settings, done, emit_json, json_option, repo_options, table, warn
from caseflow.errors import NotFound, UsageError
from caseflow.hookspecs import hookimpl

#: How many skipped records an import lists on a terminal before it summarises the rest.
SHOWN_SKIPS = 20


@hookimpl
def register_commands(cli: click.Group) -> None:
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
    """Search every directory. With --near: nearest first. Else: the exact category first (then
    its sub-categories), then the best text match."""
    from caseflow.referrals.directory import search

    repo = settings.repo()
    directories = repo.referrals.directories()
    for broken in repo.referrals.directory_sources():
        if broken.error:
            warn(f"directory '{broken.id}' was left out: {broken.error}")
    point = None
    if near:
        point = repo.referrals.locate(near)
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
                m.service.name,
                m.service.organization,
                m.service.directory,
                "-" if m.location is None else (m.location.address or m.location.postal_code or "-"),
                "-" if m.distance_km is None else f"{m.distance_km:.1f} km",
                "; ".join(m.reasons),
            )
            for m in found
        ],
        ["SERVICE", "NAME", "ORGANIZATION", "DIRECTORY", "NEAREST LOCATION", "DISTANCE", "WHY"],
        empty="(no service matches)",
    )


@providers.command("show")
@click.argument("service_id", metavar="ID")
@json_option
@repo_options
def show_command(settings: Settings, service_id: str, as_json: bool) -> None:
    """One service (or every service of one organization) in full."""
    services = [
        s
        for d in settings.repo().referrals.directories()
        for s in d.services
        if service_id in (s.id, s.organization_id)
    ]
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


@providers.command("import")
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@click.option("--id", "directory_id", metavar="ID", help="The directory's id (default: from the file or folder name).")
@click.option("--replace", is_flag=True, help="Update a directory imported before (its files are replaced).")
@json_option
@repo_options
def import_command(settings: Settings, path: Path, directory_id: str | None, replace: bool, as_json: bool) -> None:
    """Validate a directory file or folder (e.g. Open Referral HSDS) and record it in the repository.

    PATH is what a plugin reads: for HSDS a canonical JSON file or a CSV data package folder. Invalid
    records are listed with their id and field and left out; every valid one is kept. The files go to
    directories/ID in one commit, so every clone searches the same directory.
    """

    repo = settings.repo()
    report = repo.referrals.import_directory(repo.actor(settings.acting), path, directory_id, replace)
    if as_json:
        emit_json(report.as_json())
        return
    for line in report.skipped[:SHOWN_SKIPS]:
        warn(f"skipped {line}")
    if len(report.skipped) > SHOWN_SKIPS:
        warn(f"... and {len(report.skipped) - SHOWN_SKIPS} more skipped (--json lists them all)")
    skipped = f", {len(report.skipped)} invalid records left out" if report.skipped else ""
    done(f"imported '{report.id}' to {report.path}: {report.services} services{skipped} (read by {report.reader})")


@providers.command("directories")
@json_option
@repo_options
def directories_command(settings: Settings, as_json: bool) -> None:
    """The directories this repository searches, with their services and skipped records."""
    repo = settings.repo()
    loaded = repo.referrals.directory_sources()
    registered = repo.host.provider_directories(repo.root, repo.config.directories)
    if as_json:
        emit_json(
            [
                *(
                    {
                        "id": d.id,
                        "path": None,
                        "reader": "plugin",
                        "title": d.title,
                        "services": len(d.services),
                        "skipped": [],
                        "error": None,
                    }
                    for d in registered
                ),
                *(source.as_json() for source in loaded),
            ]
        )
        return
    rows: list[tuple[str, str, int | str, int, str]] = [
        (d.id, "(plugin)", len(d.services), 0, d.title) for d in registered
    ]
    rows += [
        (
            s.id,
            s.path,
            len(s.directory.services) if s.directory else "-",
            len(s.skipped),
            s.error or (s.directory.title if s.directory else ""),
        )
        for s in loaded
    ]
    table(
        rows,
        ["ID", "SOURCE", "SERVICES", "SKIPPED", "TITLE"],
        empty="(no directory: add providers/*.yaml or caseflow providers import PATH)",
    )
