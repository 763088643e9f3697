"""Provider directory commands: providers search, show, import, directories."""

from __future__ import annotations

from pathlib import Path

import click

from caseflow.cli.context import Settings, done, emit_json, json_option, repo_options, table, warn
from caseflow.errors import NotFound
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
@click.option(
    "--service",
    "categories",
    metavar="CATEGORY",
    multiple=True,
    help="A service category, with every category under it; repeat for any of several.",
)
@click.option("--text", default="", help="Words to look for in names, descriptions and addresses.")
@click.option("--language", default="", metavar="CODE", help="A language the service is offered in (e.g. es).")
@click.option("--near", default="", metavar="LAT,LON|POSTAL_CODE", help="Rank by distance from here.")
@click.option("--within", "within_km", type=float, metavar="KM", help="Only locations this close (needs --near).")
@click.option("--town", default="", metavar="TOWN", help="Only locations in this town or city.")
@click.option("--postal-code", default="", metavar="CODE", help="Only locations with this postal code.")
@click.option(
    "--open", "open_at", default="", metavar="DAY [HH:MM]", help="Open then, in the agency's time: sat, 'mon 18:00'."
)
@click.option(
    "--age", default="", metavar="YEARS", help="Only services whose minimum and maximum age include this age."
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    metavar="STATUS",
    help="active, inactive, defunct or 'temporarily closed'; repeat for any of several.",
)
@click.option("--accepting", is_flag=True, help="Only services that are active (taking clients).")
@json_option
@repo_options
def search_command(
    settings: Settings,
    categories: tuple[str, ...],
    text: str,
    language: str,
    near: str,
    within_km: float | None,
    town: str,
    postal_code: str,
    open_at: str,
    age: str,
    statuses: tuple[str, ...],
    accepting: bool,
    as_json: bool,
) -> None:
    """Search every directory: each result is a service at one of its locations. With --near:
    nearest first (ties by name); else by name. Filters combine."""
    repo = settings.repo()
    for broken in repo.referrals.directory_sources():
        if broken.error:
            warn(f"directory '{broken.id}' was left out: {broken.error}")
    heading, found = repo.referrals.search_providers(
        categories=categories,
        text=text,
        language=language,
        near=near,
        within_km=within_km,
        town=town,
        postal_code=postal_code,
        open_at=open_at,
        age=age,
        statuses=statuses,
        accepting=accepting,
    )
    if as_json:
        emit_json([m.as_json() for m in found])
        return
    if found:
        click.echo(f"{len(found)} services at locations, {heading}")
    table(
        [
            (
                m.service.id,
                m.service.name,
                m.service.organization,
                "-" if m.location is None else f"{m.location.name or '-'} ({m.location.id or '-'})",
                "-" if m.location is None else (m.location.address or m.location.postal_code or "-"),
                "-" if m.distance_km is None else f"{m.distance_km:.1f} km",
                m.service.status + (f": {m.service.alert}" if m.service.alert else ""),
                m.phone or "-",
                "; ".join(m.reasons),
            )
            for m in found
        ],
        ["SERVICE", "NAME", "ORGANIZATION", "LOCATION", "ADDRESS", "DISTANCE", "STATUS", "PHONE", "WHY"],
        empty="(no service matches)",
    )


@providers.command("categories")
@json_option
@repo_options
def categories_command(settings: Settings, as_json: bool) -> None:
    """The service categories of every directory as a tree, with how many services each finds
    (a category finds its own services and those of every category under it)."""
    from caseflow.referrals.provider_search import CategoryNode, category_tree

    tree = category_tree(settings.repo().referrals.directories())
    if as_json:
        emit_json([node.as_json() for node in tree])
        return
    if not tree:
        click.echo("(no categories: no directory lists any)")

    def show(node: CategoryNode, depth: int) -> None:
        named = f"  {node.name}" if node.name else ""
        click.echo(f"{'  ' * depth}{node.code}{named}  ({node.services} service{'' if node.services == 1 else 's'})")
        for child in node.children:
            show(child, depth + 1)

    for node in tree:
        show(node, 0)


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
        click.echo(f"  {service.organization}  {service.contact_phone()}")
        click.echo(
            f"  categories: {', '.join(service.categories) or '-'}   languages: {', '.join(service.languages) or '-'}"
        )
        accepting = "accepting new clients" if service.active else "not accepting new clients"
        click.echo(f"  status: {service.status} ({accepting})")
        if service.alert:
            click.echo(f"  alert: {service.alert}")
        for location in service.locations:
            named = f"{location.name} ({location.id})" if location.name else location.id
            click.echo(f"  at {named + ': ' if named else ''}{location.address or '-'} {location.postal_code or ''}")
            if location.hours:
                click.echo(f"     open {'; '.join(h.describe() for h in location.hours)}")
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
