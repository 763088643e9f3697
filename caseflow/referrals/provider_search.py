"""Provider search: what a case manager asks a directory, answered per service at each location.

Every filter narrows (they combine): categories (any of them, each with every category below it),
the service's language, a radius around a point, the location's town or postal code, opening hours
at a moment, an age within the service's minimum and maximum, the service's status, and words in
names, descriptions and addresses. Each result is one service at one of its locations, ranked
nearest first when a point is given (ties by name), otherwise by name; :func:`ranking` says which.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from caseflow.core.names import unknown_name
from caseflow.errors import UsageError
from caseflow.referrals.directory import STATUSES, Directory, Location, Service, haversine_km
from caseflow.referrals.opening_hours import OpenAt, is_open

#: Ages a person can be, for refusing ``--age 160`` as a typing slip.
MAX_AGE = 130


@dataclass(frozen=True)
class Query:
    """One search. Empty fields do not filter; ``agency_offset_minutes`` is the agency's UTC offset."""

    categories: tuple[str, ...] = ()
    text: str = ""
    language: str = ""
    near: tuple[float, float] | None = None
    near_label: str = ""
    within_km: float | None = None
    town: str = ""
    postal_code: str = ""
    open_at: OpenAt | None = None
    age: float | None = None
    statuses: tuple[str, ...] = ()
    accepting: bool = False
    agency_offset_minutes: int = 0


@dataclass(frozen=True)
class Match:
    """One service at one location (``location`` None for a service listed without any)."""

    service: Service
    location: Location | None
    distance_km: float | None
    reasons: tuple[str, ...]

    @property
    def phone(self) -> str:
        return self.service.contact_phone(self.location)

    def as_json(self) -> dict[str, Any]:
        service, location = self.service, self.location
        return {
            "id": service.id,
            "name": service.name,
            "directory": service.directory,
            "organization": service.organization,
            "organization_id": service.organization_id,
            "location_id": location.id if location else None,
            "location_name": location.name if location else None,
            "address": location.address if location else None,
            "city": location.city if location else None,
            "postal_code": location.postal_code if location else None,
            "distance_km": None if self.distance_km is None else round(self.distance_km, 2),
            "status": service.status,
            "accepting": service.active,
            "alert": service.alert,
            "phone": self.phone,
            "categories": list(service.categories),
            "languages": list(service.languages),
            "minimum_age": service.minimum_age,
            "maximum_age": service.maximum_age,
            "hours": [h.describe() for h in (location.hours if location and location.hours else service.hours)],
            "why": list(self.reasons),
        }


def ranking(query: Query) -> str:
    """The heading over the results: how they are ordered."""
    if query.near is not None:
        return f"nearest first from {query.near_label or f'{query.near[0]:.4f},{query.near[1]:.4f}'} (ties by name)"
    return "by name (give --near to rank by distance)"


def check_query(directories: Sequence[Directory], query: Query) -> None:
    """Refuse categories and languages no directory knows, saying what was meant (a usage error)."""
    known_categories = set().union(*(d.categories() for d in directories)) if directories else set()
    for category in query.categories:
        if category not in known_categories:
            raise unknown_name("category", category, known_categories, listed_by="caseflow providers categories")
    if query.language:
        languages = {lang.lower() for d in directories for s in d.services for lang in s.languages}
        if query.language.lower() not in languages:
            raise unknown_name("language", query.language, languages)
    for status in query.statuses:
        if status not in STATUSES:
            raise unknown_name("status", status, STATUSES)
    if query.within_km is not None and query.near is None:
        raise UsageError("--within needs --near (a postal code or latitude,longitude to measure from)")
    if query.within_km is not None and not (query.within_km > 0 and math.isfinite(query.within_km)):
        raise UsageError("--within: give a distance above 0 km")


def parse_age(text: str) -> float:
    """``16`` or ``16.5`` (years) as a number; a usage error otherwise."""
    try:
        age = float(text.strip())
    except ValueError:
        age = math.nan
    if not (0 <= age <= MAX_AGE):
        raise UsageError(f"--age: {text[:20]!r} is not an age in years (a number from 0 to {MAX_AGE})")
    return age


def search(directories: Iterable[Directory], query: Query) -> list[Match]:
    """Every service at every location that passes every filter, ranked (see :func:`ranking`)."""
    words = re.findall(r"\w+", query.text.lower())
    town, postal = query.town.strip().casefold(), query.postal_code.strip()
    language = query.language.lower()
    found: list[Match] = []
    for directory in directories:
        wanted = {c: directory.under(c) for c in query.categories}
        for service in directory.services:
            reasons = _service_reasons(service, query, wanted, language)
            if reasons is None:
                continue
            places: Sequence[Location | None] = service.locations or (None,)
            for location in places:
                match = _at(service, location, query, words, town, postal, reasons)
                if match is not None:
                    found.append(match)
    if query.near is not None:
        return sorted(found, key=lambda m: (_away(m), _by_name(m)))
    return sorted(found, key=_by_name)


def _away(match: Match) -> float:
    return math.inf if match.distance_km is None else match.distance_km


def _by_name(match: Match) -> tuple[str, str, str, str]:
    location = match.location
    return (
        match.service.name.casefold(),
        match.service.organization.casefold(),
        (location.name or location.address).casefold() if location else "",
        match.service.id,
    )


def _service_reasons(service: Service, query: Query, wanted: dict[str, set[str]], language: str) -> list[str] | None:
    """Why the service itself fits (None when it does not): the filters on the service, not the place."""
    reasons: list[str] = []
    if query.categories:
        hits = [(c, asked) for asked, under in wanted.items() for c in service.categories if c in under]
        if not hits:
            return None
        hit, asked = min(hits, key=lambda pair: (pair[0] != pair[1], pair[0]))
        reasons.append(f"category {hit}" if hit == asked else f"category {hit} (under {asked})")
    if language:
        if language not in {lang.lower() for lang in service.languages}:
            return None
        reasons.append(f"language {query.language}")
    if query.statuses:
        if service.status not in query.statuses:
            return None
        reasons.append(f"status {service.status}")
    if query.accepting:
        if not service.active:
            return None
        reasons.append("accepting (active)")
    if query.age is not None:
        low, high = service.minimum_age, service.maximum_age
        if (low is not None and query.age < low) or (high is not None and query.age > high):
            return None
        reasons.append(f"age {query.age:g} ({_ages(service)})")
    return reasons


def _ages(service: Service) -> str:
    low, high = service.minimum_age, service.maximum_age
    if low is None and high is None:
        return "any age"
    if high is None:
        return f"{low:g} and over"
    if low is None:
        return f"up to {high:g}"
    return f"{low:g}-{high:g}"


def _at(
    service: Service,
    location: Location | None,
    query: Query,
    words: list[str],
    town: str,
    postal: str,
    reasons: list[str],
) -> Match | None:
    """The service at this location, if the location's filters pass too."""
    here = list(reasons)
    if town:
        if location is None or location.city.casefold() != town:
            return None
        here.append(f"in {location.city}")
    if postal:
        if location is None or (location.postal_code or "").strip() != postal:
            return None
        here.append(f"postal code {postal}")
    if query.open_at is not None:
        hours = location.hours if location is not None and location.hours else service.hours
        if not is_open(hours, query.open_at, query.agency_offset_minutes):
            return None
        here.append(f"open {query.open_at.describe()}")
    if words:
        haystack = " ".join(
            (
                service.name,
                service.organization,
                service.description,
                *((location.name, location.address, location.city, location.postal_code or "") if location else ()),
            )
        ).lower()
        hits = sum(1 for word in words if word in haystack)
        if not hits:
            return None
        here.append(f"text: {hits} of {len(words)} words")
    distance = None
    if query.near is not None:
        if location is not None and location.latitude is not None and location.longitude is not None:
            distance = haversine_km(query.near, (location.latitude, location.longitude))
        if query.within_km is not None and (distance is None or distance > query.within_km):
            return None
        if distance is not None:
            here.append(f"{distance:.1f} km away")
    return Match(service, location, distance, tuple(here))


@dataclass(frozen=True)
class CategoryNode:
    """One category of the directories' tree, with how many services it (or a category under it) has."""

    code: str
    name: str
    services: int
    children: tuple[CategoryNode, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "services": self.services,
            "children": [child.as_json() for child in self.children],
        }


def category_tree(directories: Sequence[Directory]) -> list[CategoryNode]:
    """Every directory's categories as one tree (by code), each counting the services a search finds."""
    parents: dict[str, str] = {}
    names: dict[str, str] = {}
    for directory in directories:
        for child, parent in directory.parents.items():
            parents.setdefault(child, parent)
        for code, name in directory.category_names.items():
            names.setdefault(code, name)
    known = set().union(*(d.categories() for d in directories)) if directories else set()
    children: dict[str | None, list[str]] = {}
    for code in sorted(known):
        above = parents.get(code)
        children.setdefault(above if above in known else None, []).append(code)

    def node(code: str, seen: frozenset[str]) -> CategoryNode:
        under = [c for c in children.get(code, []) if c not in seen]
        below = [(directory, directory.under(code)) for directory in directories]  # once per category
        count = sum(
            1
            for directory, codes in below
            for service in directory.services
            if not codes.isdisjoint(service.categories)
        )
        return CategoryNode(code, names.get(code, ""), count, tuple(node(c, seen | {c}) for c in under))

    return [node(code, frozenset({code})) for code in children.get(None, [])]
