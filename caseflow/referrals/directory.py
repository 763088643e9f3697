"""Provider directories and search: which services fit, where they are, and why they matched.

A directory (registered through ``register_provider_directories``) lists services with their
organization, categories, languages, status, ages and hours, and the locations each is offered at.
Searching them is :mod:`caseflow.referrals.provider_search`.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EARTH_RADIUS_KM = 6371.0088
DAY_MINUTES = 24 * 60
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


@dataclass(frozen=True)
class Hours:
    """Open on ``days`` (0 = Monday) from ``opens`` to ``closes`` (minutes after midnight).

    ``opens``/``closes`` of None mean the start/end of the day; a closing time before the opening
    time runs past midnight. ``utc_offset`` is in hours east of UTC; None means the agency's own.
    """

    days: tuple[int, ...]
    opens: int | None = None
    closes: int | None = None
    utc_offset: float | None = None

    def as_list(self) -> list[object]:
        return [list(self.days), self.opens, self.closes, self.utc_offset]

    def describe(self) -> str:
        days = ",".join(DAYS[d] for d in self.days)
        if self.opens is None and self.closes is None:
            return f"{days} all day"
        return f"{days} {clock(self.opens or 0)}-{clock(DAY_MINUTES if self.closes is None else self.closes)}"


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def time_of_day(text: str, *, closing: bool = False) -> int | None:
    """``"09:30"`` or ``"09:30:00"`` as minutes after midnight; None if it is no time of day.

    ``24:00`` is allowed as a closing time (the end of the day).
    """
    found = _CLOCK.fullmatch(text.strip())
    if found is None:
        return None
    hours, minutes, seconds = int(found[1]), int(found[2]), int(found[3] or 0)
    if minutes > 59 or seconds > 59:
        return None
    if hours == 24 and closing and minutes == 0 and seconds == 0:
        return DAY_MINUTES
    return hours * 60 + minutes if hours < 24 else None


@dataclass(frozen=True)
class Location:
    """A place a service is offered, as it is for that service (its hours and phone there).

    Only ``latitude``/``longitude`` measure distance; ``address`` is one line for people, ``city``
    and ``postal_code`` answer "in this town".
    """

    latitude: float | None
    longitude: float | None
    postal_code: str | None = None
    address: str = ""
    id: str = ""
    name: str = ""
    city: str = ""
    phone: str = ""
    hours: tuple[Hours, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "postal_code": self.postal_code,
            "city": self.city,
            "address": self.address,
            "phone": self.phone,
            "hours": [h.describe() for h in self.hours],
        }


#: HSDS 3.0 service statuses; a service that does not say is active.
STATUSES = ("active", "inactive", "defunct", "temporarily closed")


@dataclass(frozen=True)
class Service:
    """One service of one organization, as a directory lists it.

    ``phone`` is the service's own; ``organization_phone`` the organization's. ``hours`` are the
    service's own (each location carries the hours that apply there). Ages are in years.
    """

    id: str
    directory: str
    organization: str
    name: str
    categories: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    locations: tuple[Location, ...] = ()
    active: bool = True
    description: str = ""
    phone: str = ""
    eligibility: str = ""
    organization_id: str = ""
    status: str = "active"
    alert: str = ""
    minimum_age: float | None = None
    maximum_age: float | None = None
    organization_phone: str = ""
    hours: tuple[Hours, ...] = ()

    def contact_phone(self, location: Location | None = None) -> str:
        """The number to call: the service's, else the location's, else the organization's."""
        return self.phone or (location.phone if location else "") or self.organization_phone

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "directory": self.directory,
            "organization": self.organization,
            "organization_id": self.organization_id,
            "name": self.name,
            "categories": list(self.categories),
            "languages": list(self.languages),
            "active": self.active,
            "status": self.status,
            "alert": self.alert,
            "minimum_age": self.minimum_age,
            "maximum_age": self.maximum_age,
            "phone": self.contact_phone(),
            "eligibility": self.eligibility,
            "hours": [h.describe() for h in self.hours],
            "locations": [loc.as_json() for loc in self.locations],
        }


@dataclass(frozen=True)
class Directory:
    """A loaded directory: its services, its category tree (child -> parent) and category names."""

    id: str
    title: str
    services: tuple[Service, ...]
    parents: Mapping[str, str] = field(default_factory=dict)
    category_names: Mapping[str, str] = field(default_factory=dict)

    def under(self, category: str) -> set[str]:
        """``category`` and every category below it (a cycle in the data cannot loop forever)."""
        children = self._children
        found = {category}
        waiting = [category]
        while waiting:
            for child in children.get(waiting.pop(), ()):
                if child not in found:
                    found.add(child)
                    waiting.append(child)
        return found

    @functools.cached_property
    def _children(self) -> dict[str, list[str]]:
        # (Kept on the instance: a frozen dataclass still has a __dict__ for cached properties.)
        children: dict[str, list[str]] = {}
        for child, parent in self.parents.items():
            children.setdefault(parent, []).append(child)
        return children

    def categories(self) -> set[str]:
        """Every category this directory knows: in its tree, or given to a service."""
        known = {*self.parents, *self.parents.values(), *self.category_names}
        for service in self.services:
            known.update(service.categories)
        return {c for c in known if c}


@dataclass(frozen=True)
class DirectoryLoad:
    """What a directory reader made of one source: the directory, and every record it skipped.

    ``skipped`` has one line per invalid record, naming where it is, its kind and id, the field
    and why (``services.csv:4: service 0d3c…: status: 'open' is not one of [...]``); the valid
    records are all kept. ``files`` are the files read, relative to the source when it is a folder
    (``caseflow providers import`` records exactly these).
    """

    directory: Directory
    skipped: tuple[str, ...] = ()
    files: tuple[Path, ...] = ()


def find_service(services: Iterable[Service], directory_id: str) -> Service | None:
    """The service with this id, else the first service of the organization with this id."""
    listed = list(services)
    exact = next((s for s in listed if s.id == directory_id), None)
    return exact or next((s for s in listed if s.organization_id == directory_id), None)


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def resolve_postal_code(
    code: str, directories: Sequence[Directory], table: Mapping[str, Any]
) -> tuple[float, float] | None:
    """A postal code's position: the agency's table, else the mean of the directories' locations there."""
    if code in table and isinstance(table[code], Sequence) and len(table[code]) == 2:
        return float(table[code][0]), float(table[code][1])
    points = [
        (loc.latitude, loc.longitude)
        for directory in directories
        for service in directory.services
        for loc in service.locations
        if loc.postal_code == code and loc.latitude is not None and loc.longitude is not None
    ]
    if not points:
        return None
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def directory_to_json(directory: Directory) -> dict[str, Any]:
    """A loaded directory as plain JSON data (the cache under ``.caseflow/`` stores this)."""
    return {
        "id": directory.id,
        "title": directory.title,
        "parents": dict(directory.parents),
        "names": dict(directory.category_names),
        "services": [
            [
                s.id,
                s.organization,
                s.organization_id,
                s.name,
                list(s.categories),
                list(s.languages),
                [_location_row(loc) for loc in s.locations],
                s.active,
                s.description,
                s.phone,
                s.eligibility,
                s.status,
                s.alert,
                s.minimum_age,
                s.maximum_age,
                s.organization_phone,
                [h.as_list() for h in s.hours],
            ]
            for s in directory.services
        ],
    }


def _location_row(loc: Location) -> list[Any]:
    return [
        loc.latitude,
        loc.longitude,
        loc.postal_code,
        loc.address,
        loc.id,
        loc.name,
        loc.city,
        loc.phone,
        [h.as_list() for h in loc.hours],
    ]


def _hours(rows: Sequence[Sequence[Any]]) -> tuple[Hours, ...]:
    return tuple(Hours(tuple(row[0]), row[1], row[2], row[3]) for row in rows)


def directory_from_json(data: Mapping[str, Any]) -> Directory:
    """The inverse of :func:`directory_to_json` (rows are positional: 5,000 services load in ms)."""
    directory_id = str(data["id"])
    services = tuple(
        Service(
            id=row[0],
            directory=directory_id,
            organization=row[1],
            organization_id=row[2],
            name=row[3],
            categories=tuple(row[4]),
            languages=tuple(row[5]),
            locations=tuple(Location(*loc[:8], hours=_hours(loc[8])) for loc in row[6]),  # type: ignore[misc]
            active=row[7],
            description=row[8],
            phone=row[9],
            eligibility=row[10],
            status=row[11],
            alert=row[12],
            minimum_age=row[13],
            maximum_age=row[14],
            organization_phone=row[15],
            hours=_hours(row[16]),
        )
        for row in data["services"]
    )
    return Directory(directory_id, str(data["title"]), services, dict(data["parents"]), dict(data["names"]))
