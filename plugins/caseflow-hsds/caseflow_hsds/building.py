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
from typing import Any

from caseflow import Directory, Location, Service
from caseflow_hsds.tables import Row

Valid = dict[str, dict[str, Row]]

RANGES = {"latitude": 90.0, "longitude": 180.0}


def build(valid: Valid, directory_id: str, title: str) -> tuple[Directory, list[str]]:
    """The directory, and one line for each link or value that had to be dropped."""
    notes: list[str] = []
    services = valid["service"]
    terms = valid["taxonomy_term"]
    organizations = valid["organization"]

    addresses = _linked(valid["address"].values(), "location_id", lambda row: row)
    locations = {key: _location(row, addresses.get(key, []), notes) for key, row in valid["location"].items()}
    places = _service_locations(valid, locations, notes)
    categories = _categories(valid, notes)
    languages = _linked(valid["language"].values(), "service_id", lambda row: _text(row, "code") or _text(row, "name"))
    service_phones = _linked(valid["phone"].values(), "service_id", lambda row: _text(row, "number"))
    organization_phones = _linked(valid["phone"].values(), "organization_id", lambda row: _text(row, "number"))

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
        phones = service_phones.get(key) or organization_phones.get(organization_id) or [""]
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
                active=row.data.get("status") == "active",
                description=_text(row, "description"),
                phone=phones[0],
                eligibility=_text(row, "eligibility_description"),
            )
        )
    return Directory(id=directory_id, title=title, services=tuple(built), parents=_parents(terms)), notes


def category(term: Row) -> str:
    """A taxonomy term as a caseflow category: its code, else its id."""
    return _text(term, "code") or term.id


def _parents(terms: dict[str, Row]) -> dict[str, str]:
    """Category -> its parent's category, for terms whose parent is in the data too."""
    parents: dict[str, str] = {}
    for term in terms.values():
        parent_id = term.data.get("parent_id")
        parent = terms.get(parent_id) if isinstance(parent_id, str) else None
        if parent is not None and category(parent) != category(term):
            parents.setdefault(category(term), category(parent))
    return parents


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


def _service_locations(valid: Valid, locations: dict[str, Location], notes: list[str]) -> dict[str, list[Location]]:
    """Service id -> its locations, through service_at_location rows."""
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
                _append(found.setdefault(service_id, []), locations[location_id])
    return found


def _location(row: Row, addresses: list[Row], notes: list[str]) -> Location:
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


def _text(row: Row | None, key: str) -> str:
    value = row.data.get(key) if row is not None else None
    return value if isinstance(value, str) else ""
