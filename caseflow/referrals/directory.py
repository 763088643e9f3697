"""Provider directories and search: which services fit, where they are, and why they matched.

A directory (registered through ``register_provider_directories``) lists services with their
organization, categories, languages, locations and status. Search filters on category (a category
matches itself and every term under it), language, text, distance and status, and ranks exact
category matches first, then nearer services, then better text matches.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Location:
    latitude: float | None
    longitude: float | None
    postal_code: str | None = None
    address: str = ""


@dataclass(frozen=True)
class Service:
    """One service of one organization, as a directory lists it."""

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
            "phone": self.phone,
            "eligibility": self.eligibility,
            "locations": [
                {
                    "latitude": loc.latitude,
                    "longitude": loc.longitude,
                    "postal_code": loc.postal_code,
                    "address": loc.address,
                }
                for loc in self.locations
            ],
        }


@dataclass(frozen=True)
class Directory:
    """A loaded directory: its services, and its category tree (child -> parent)."""

    id: str
    title: str
    services: tuple[Service, ...]
    parents: Mapping[str, str] = field(default_factory=dict)

    def under(self, category: str) -> set[str]:
        """``category`` and every category below it."""
        found = {category}
        changed = True
        while changed:
            changed = False
            for child, parent in self.parents.items():
                if parent in found and child not in found:
                    found.add(child)
                    changed = True
        return found


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


@dataclass(frozen=True)
class Match:
    service: Service
    distance_km: float | None
    location: Location | None
    reasons: tuple[str, ...]
    rank: tuple[float, float, int]  # (nearest, exact category, text) with --near; else (exact, nearest, text)

    def as_json(self) -> dict[str, Any]:
        location = self.location
        return {
            **self.service.as_json(),
            "distance_km": None if self.distance_km is None else round(self.distance_km, 2),
            "nearest_location": None
            if location is None
            else {"postal_code": location.postal_code, "address": location.address},
            "why": list(self.reasons),
        }


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


def search(
    directories: Iterable[Directory],
    *,
    category: str | None = None,
    text: str | None = None,
    language: str | None = None,
    near: tuple[float, float] | None = None,
    within_km: float | None = None,
    accepting: bool = False,
) -> list[Match]:
    words = [w for w in re.findall(r"\w+", (text or "").lower()) if w]
    matches = []
    for directory in directories:
        wanted = directory.under(category) if category else set()
        for service in directory.services:
            reasons: list[str] = []
            exact = 1
            if category:
                hit = set(service.categories) & wanted
                if not hit:
                    continue
                exact = 0 if category in service.categories else 1
                reasons.append(
                    f"category {category}" if exact == 0 else f"category {sorted(hit)[0]} (under {category})"
                )
            if language:
                if language.lower() not in {lang.lower() for lang in service.languages}:
                    continue
                reasons.append(f"language {language}")
            if accepting:
                if not service.active:
                    continue
                reasons.append("accepting (active)")
            haystack = " ".join((service.name, service.organization, service.description)).lower()
            found = sum(1 for w in words if w in haystack)
            if words:
                if not found:
                    continue
                reasons.append(f"text: {found} of {len(words)} words")
            distance, nearest = None, (service.locations[0] if service.locations else None)
            if near is not None:
                placed = [loc for loc in service.locations if loc.latitude is not None and loc.longitude is not None]
                if placed:
                    distance, nearest = min(
                        ((haversine_km(near, (loc.latitude, loc.longitude)), loc) for loc in placed),  # type: ignore[arg-type]
                        key=lambda pair: pair[0],
                    )
                if within_km is not None and (distance is None or distance > within_km):
                    continue
                if distance is not None:
                    reasons.append(f"{distance:.1f} km away")
            away = distance if distance is not None else math.inf
            # asked for what is near: nearest first (then an exact category before a narrower one);
            # else an exact category first, then the best text match
            rank = (away, exact, -found) if near is not None else (exact, away, -found)
            matches.append(Match(service, distance, nearest, tuple(reasons), rank))
    return sorted(matches, key=lambda m: (m.rank, m.service.name))


def directory_to_json(directory: Directory) -> dict[str, Any]:
    """A loaded directory as plain JSON data (the cache under ``.caseflow/`` stores this)."""
    return {
        "id": directory.id,
        "title": directory.title,
        "parents": dict(directory.parents),
        "services": [
            [
                s.id,
                s.organization,
                s.organization_id,
                s.name,
                list(s.categories),
                list(s.languages),
                [[loc.latitude, loc.longitude, loc.postal_code, loc.address] for loc in s.locations],
                s.active,
                s.description,
                s.phone,
                s.eligibility,
            ]
            for s in directory.services
        ],
    }


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
            locations=tuple(Location(*loc) for loc in row[6]),
            active=row[7],
            description=row[8],
            phone=row[9],
            eligibility=row[10],
        )
        for row in data["services"]
    )
    return Directory(directory_id, str(data["title"]), services, dict(data["parents"]))
