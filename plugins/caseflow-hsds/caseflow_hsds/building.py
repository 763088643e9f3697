"""Turning the valid flat records into a caseflow :class:`~caseflow.Directory`.

Only links between valid records count. A link the directory depends on that leads nowhere (a
service_at_location to a location that is missing or was skipped, an attribute to an unknown
taxonomy term) drops that link and is reported. A service whose organization is missing is kept,
under its organization's id, and reported. Links HSDS allows to point at objects the directory does
not read (an attribute on a contact, a location's organization) are simply not followed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from caseflow import Directory, Hours, Location, Service, time_of_day
from caseflow_hsds.tables import Row

Valid = dict[str, dict[str, Row]]

RANGES = {"latitude": 90.0, "longitude": 180.0}
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def build(valid: Valid, directory_id: str, title: str) -> tuple[Directory, list[str]]:
    """The directory, and one line for each link or value that had to be dropped."""
    notes: list[str] = []
    services = valid["service"]
    organizations = valid["organization"]

    phones = {
        column: _linked(valid["phone"].values(), column, lambda row: _text(row, "number"))
        for column in ("service_id", "organization_id", "location_id", "service_at_location_id")
    }
    hours = _schedules(valid["schedule"].values(), notes)
    addresses = _linked(valid["address"].values(), "location_id", lambda row: row)
    locations = {
        key: _location(row, addresses.get(key, []), phones["location_id"].get(key, []), notes)
        for key, row in valid["location"].items()
    }
    places = _service_locations(valid, locations, phones["service_at_location_id"], hours, notes)
    categories = _categories(valid, notes)
    languages = _linked(valid["language"].values(), "service_id", lambda row: _text(row, "code") or _text(row, "name"))

    built = []
    for key, row in services.items():
        organization_id = next(iter(row.links("organization_id")), "")
        organization = organizations.get(organization_id)
        if organization is None and organization_id:
            notes.append(
                f"{row.label()}: organization_id: organization {organization_id} is missing or was skipped; "
                "the service is kept under the organization's id"
            )
        elif organization is None:
            notes.append(f"{row.label()}: organization_id: names no organization; the service is kept without one")
        status = _text(row, "status") or "active"
        built.append(
            Service(
                id=key,
                directory=directory_id,
                organization=_text(organization, "name") if organization else organization_id,
                organization_id=organization_id,
                name=_text(row, "name"),
                categories=tuple(categories.get(key, [])),
                languages=tuple(languages.get(key, [])),
                locations=tuple(places.get(key, [])),
                active=status == "active",
                description=_text(row, "description"),
                phone=next(iter(phones["service_id"].get(key, [])), ""),
                eligibility=_text(row, "eligibility_description"),
                status=status,
                alert=_text(row, "alert"),
                minimum_age=_number(row, "minimum_age"),
                maximum_age=_number(row, "maximum_age"),
                organization_phone=next(iter(phones["organization_id"].get(organization_id, [])), ""),
                hours=tuple(hours["service_id"].get(key, [])),
            )
        )
    parents, names = _taxonomy(valid["taxonomy_term"], notes)
    directory = Directory(id=directory_id, title=title, services=tuple(built), parents=parents, category_names=names)
    return directory, notes


def category(term: Row) -> str:
    """A taxonomy term as a caseflow category: its code, else its id."""
    return _text(term, "code") or term.id


def _taxonomy(terms: dict[str, Row], notes: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Category -> its parent's category, and category -> its name.

    A parent that is missing (or was skipped) leaves the term at the top of the tree; a cycle of
    parents is broken (see below), so that every term is under finitely many.
    """
    links: dict[str, str] = {}
    for key, term in terms.items():
        parent_id = term.data.get("parent_id")
        if not isinstance(parent_id, str):
            continue
        if parent_id not in terms:
            notes.append(
                f"{term.label()}: parent_id: taxonomy_term {parent_id} is missing or was skipped; "
                "the term is kept at the top of the tree"
            )
            continue
        links[key] = parent_id
    for key in terms:
        path, parent = [key], links.get(key)
        while parent is not None and parent not in path:
            path.append(parent)
            parent = links.get(parent)
        if parent is None:
            continue
        # A cycle: broken at its first category in sorted order, so that every serialization of
        # the same taxonomy (whatever order its terms come in) gives the same tree.
        loop = path[path.index(parent) :]
        first = min(loop, key=lambda k: (category(terms[k]), k))
        start = loop.index(first)
        ring = [*loop[start:], *loop[:start], first]
        notes.append(
            f"{terms[first].label()}: parent_id: the taxonomy's parents form a cycle "
            f"({' -> '.join(category(terms[k]) for k in ring)}); the link from {category(terms[first])} is dropped"
        )
        del links[first]
    parents: dict[str, str] = {}
    for key, parent_id in links.items():
        child, parent = category(terms[key]), category(terms[parent_id])
        if child != parent:
            parents.setdefault(child, parent)
    names = {category(term): _text(term, "name") for term in terms.values() if _text(term, "name")}
    return parents, names


def _schedules(rows: Iterable[Row], notes: list[str]) -> dict[str, dict[str, list[Hours]]]:
    """Weekly opening hours by what they belong to: ``service_id``, ``location_id`` or
    ``service_at_location_id`` -> that record's id -> its hours."""
    found: dict[str, dict[str, list[Hours]]] = {
        "service_id": {},
        "location_id": {},
        "service_at_location_id": {},
    }
    for row in rows:
        hours = _opening(row, notes)
        if hours is None:
            continue
        for column, by_id in found.items():
            for target in row.links(column):
                by_id.setdefault(target, []).append(hours)
    return found


def _opening(row: Row, notes: list[str]) -> Hours | None:
    """One schedule row as weekly hours; None (with a note for an impossible one) when it is not."""
    if row.data.get("freq") == "MONTHLY":
        return None  # "the first Monday" is not a weekly opening; --open answers for weekly hours
    times: dict[str, int | None] = {}
    for name in ("opens_at", "closes_at"):
        value = row.data.get(name)
        if value is None:
            times[name] = None
            continue
        times[name] = time_of_day(value, closing=name == "closes_at") if isinstance(value, str) else None
        if times[name] is None:
            notes.append(f"{row.label()}: {name}: {value!r} is not a time of day (HH:MM); the schedule is left out")
            return None
    if times["opens_at"] is not None and times["opens_at"] == times["closes_at"]:
        notes.append(f"{row.label()}: closes_at: the same time as opens_at; the schedule is left out")
        return None
    days: list[int] = []
    byday = row.data.get("byday")
    for token in byday.split(",") if isinstance(byday, str) and byday.strip() else WEEKDAYS:
        code = token.strip().upper()
        if code not in WEEKDAYS:
            notes.append(
                f"{row.label()}: byday: {token.strip()!r} is not a day (MO, TU, ... SU); the schedule is left out"
            )
            return None
        if WEEKDAYS.index(code) not in days:
            days.append(WEEKDAYS.index(code))
    offset = row.data.get("timezone")
    if offset is not None and not (isinstance(offset, int | float) and -12 <= offset <= 14):
        notes.append(
            f"{row.label()}: timezone: {offset!r} is not an offset from UTC in hours; the schedule is left out"
        )
        return None
    return Hours(tuple(sorted(days)), times["opens_at"], times["closes_at"], None if offset is None else float(offset))


def _categories(valid: Valid, notes: list[str]) -> dict[str, list[str]]:
    """Service id -> categories of the taxonomy terms its attributes link to."""
    found: dict[str, list[str]] = {}
    for attribute in valid["attribute"].values():
        targets = [key for key in attribute.links("link_id") if key in valid["service"]]
        if not targets:
            continue  # an attribute of some other object, or of a service that was skipped
        for term_id in attribute.links("taxonomy_term_id"):
            term = valid["taxonomy_term"].get(term_id)
            if term is None:
                notes.append(
                    f"{attribute.label()}: taxonomy_term_id: taxonomy_term {term_id} is missing or was skipped"
                )
                continue
            for key in targets:
                _append(found.setdefault(key, []), category(term))
    return found


def _service_locations(
    valid: Valid,
    locations: dict[str, Location],
    phones: dict[str, list[str]],
    hours: dict[str, dict[str, list[Hours]]],
    notes: list[str],
) -> dict[str, list[Location]]:
    """Service id -> its locations through service_at_location rows, each with the phone and hours
    that apply there: the service at that location's own, else the service's hours (else the
    location's) and the location's phone."""
    found: dict[str, list[Location]] = {}
    for link in valid["service_at_location"].values():
        service_ids, location_ids = link.links("service_id"), link.links("location_id")
        dangling = [
            f"service_id: service {key} is missing or was skipped" for key in service_ids if key not in valid["service"]
        ]
        dangling += [
            f"location_id: location {key} is missing or was skipped" for key in location_ids if key not in locations
        ]
        if not service_ids:
            dangling.append("service_id: names no service")
        if not location_ids:
            dangling.append("location_id: names no location")
        if dangling:
            notes.append(f"{link.label()}: {dangling[0]}")
            continue
        for service_id in service_ids:
            for location_id in location_ids:
                place = locations[location_id]
                here = (
                    hours["service_at_location_id"].get(link.id)
                    or hours["service_id"].get(service_id)
                    or hours["location_id"].get(location_id)
                    or []
                )
                phone = next(iter(phones.get(link.id, [])), "") or place.phone
                _append(found.setdefault(service_id, []), replace(place, phone=phone, hours=tuple(here)))
    return found


def _location(row: Row, addresses: list[Row], phones: list[str], notes: list[str]) -> Location:
    """A caseflow Location; only a physical location has coordinates to measure distance from."""
    address = next((a for a in addresses if a.data.get("address_type") == "physical"), None)
    address = address or (addresses[0] if addresses else None)
    latitude, longitude = None, None
    if row.data.get("location_type") == "physical":
        latitude, longitude = _coordinates(row, notes)
    return Location(
        latitude=latitude,
        longitude=longitude,
        postal_code=(_text(address, "postal_code") or None) if address else None,
        address=", ".join(p for p in (_text(address, k) for k in ("address_1", "city", "state_province")) if p)
        if address
        else "",
        id=row.id,
        name=_text(row, "name"),
        city=_text(address, "city") if address else "",
        phone=next(iter(phones), ""),
    )


def _coordinates(row: Row, notes: list[str]) -> tuple[float | None, float | None]:
    """Both coordinates, or neither: a position with one of them out of range is unusable."""
    values = {name: row.data.get(name) for name in RANGES}
    present = {name: value for name, value in values.items() if value is not None}
    if not present:
        return None, None
    for name, limit in RANGES.items():
        value = present.get(name)
        if value is None:
            notes.append(f"{row.label()}: {name}: missing while the other coordinate is given; no coordinates kept")
            return None, None
        if not (math.isfinite(value) and -limit <= value <= limit):
            notes.append(f"{row.label()}: {name}: {value!r} is outside [{-limit:g}, {limit:g}]; no coordinates kept")
            return None, None
    return float(present["latitude"]), float(present["longitude"])


def _linked(rows: Iterable[Row], column: str, value: Any) -> dict[str, list[Any]]:
    """Target id -> the distinct non-empty ``value(row)`` of the rows linking to it, in order."""
    found: dict[str, list[Any]] = {}
    for row in rows:
        item = value(row)
        if item == "":
            continue
        for target in row.links(column):
            _append(found.setdefault(target, []), item)
    return found


def _append(items: list[Any], item: Any) -> None:
    if item not in items:
        items.append(item)


def _number(row: Row, key: str) -> float | None:
    value = row.data.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _text(row: Row | None, key: str) -> str:
    value = row.data.get(key) if row is not None else None
    return value if isinstance(value, str) else ""
