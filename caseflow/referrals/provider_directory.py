"""The repository's own provider directory: ``providers/<provider-id>.yaml``, one provider a file.

form: core.provider
id: eastside-counseling
name: Eastside Counseling Associates
phone: 555-0140
address: {line1: 12 Main St, city: Springfield, postal_code: "62701"}
location: {lat: 39.80, lon: -89.65}
accepting_new_clients: true
services:
  - id: eastside-counseling-cbt
    name: Individual therapy (CBT)
    categories: [counseling]
    languages: [en, es]
    eligibility: Adults 18 and over
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from caseflow import Directory, Location, Service, hookimpl, read_yaml_file

FOLDER = "providers"


@hookimpl(trylast=True)
def register_provider_directories(root: Path, config: Mapping[str, Any]) -> list[Directory]:
    folder = root / FOLDER
    if not folder.is_dir() or folder.is_symlink():
        return []
    services: list[Service] = []
    for path in sorted(folder.glob("*.yaml")):
        provider = read_yaml_file(root, f"{FOLDER}/{path.name}")
        services.extend(_services(provider))
    return [Directory("agency", "The agency's own directory (providers/)", tuple(services))]


def _services(provider: Mapping[str, Any]) -> list[Service]:
    address: Mapping[str, Any] = provider["address"] if isinstance(provider.get("address"), Mapping) else {}
    position: Mapping[str, Any] = provider["location"] if isinstance(provider.get("location"), Mapping) else {}
    location = Location(
        _number(position.get("lat")),
        _number(position.get("lon")),
        str(address.get("postal_code")) if address.get("postal_code") is not None else None,
        ", ".join(str(address[k]) for k in ("line1", "city", "state") if address.get(k)),
    )
    found = []
    for service in provider.get("services") or []:
        if not isinstance(service, Mapping) or not service.get("id"):
            continue
        found.append(
            Service(
                id=str(service["id"]),
                directory="agency",
                organization=str(provider.get("name", provider.get("id", ""))),
                organization_id=str(provider.get("id", "")),
                name=str(service.get("name", service["id"])),
                categories=tuple(str(c) for c in service.get("categories") or []),
                languages=tuple(str(lang) for lang in service.get("languages") or provider.get("languages") or []),
                locations=(location,),
                active=bool(provider.get("accepting_new_clients", True)),
                description=str(service.get("description", "")),
                phone=str(provider.get("phone", "")),
                eligibility=str(service.get("eligibility", "")),
            )
        )
    return found


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
