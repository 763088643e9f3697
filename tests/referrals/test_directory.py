"""Provider search: each filter, the ranking, distances and postal codes."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from caseflow import hookimpl, open_repo
from caseflow.referrals.directory import Directory, Location, Service, haversine_km, resolve_postal_code
from caseflow.referrals.provider_search import Match, Query
from caseflow.referrals.provider_search import search as search_query
from caseflow.testing import ONLY_BUILTIN_PLUGINS, Result

HERE = (39.80, -89.65)


def search(directories: list[Directory], category: str | None = None, **filters: Any) -> list[Match]:
    return search_query(directories, Query(categories=(category,) if category else (), **filters))


def service(
    sid: str, categories: tuple[str, ...], lat: float, languages: tuple[str, ...] = ("en",), **extra: object
) -> Service:
    return Service(
        sid,
        "test",
        f"Org {sid}",
        f"Service {sid}",
        categories,
        languages,
        (Location(lat, -89.65, f"6270{sid[-1]}"),),
        **extra,
    )  # type: ignore[arg-type]


DIRECTORY = Directory(
    "test",
    "Test directory",
    (
        service("s1", ("counseling",), 39.90, ("en", "es")),
        service("s2", ("family-therapy",), 39.81),
        service("s3", ("housing",), 39.805, description="rapid re-housing"),
        service("s4", ("counseling",), 39.801, active=False, status="inactive"),
    ),
    parents={"family-therapy": "counseling"},
)


def test_haversine_matches_a_known_distance() -> None:
    # one degree of latitude is about 111.2 km
    assert haversine_km((0.0, 0.0), (1.0, 0.0)) == pytest.approx(111.19, abs=0.01)


def test_a_category_matches_its_sub_categories_ranked_by_name() -> None:
    found = search([DIRECTORY], category="counseling")
    assert [m.service.id for m in found] == ["s1", "s2", "s4"]
    assert found[1].reasons[0] == "category family-therapy (under counseling)"


def test_near_somewhere_the_nearest_come_first_whatever_their_category() -> None:
    # the tour says "nearest first": 0.1, 1.1, 11.1 km, never an exact category 11 km away before
    # a sub-category 1 km away
    found = search([DIRECTORY], category="counseling", near=HERE)
    assert [m.service.id for m in found] == ["s4", "s2", "s1"]
    distances = [m.distance_km for m in found]
    assert distances == sorted(distances)  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"language": "es"}, ["s1"]),
        ({"accepting": True, "category": "counseling"}, ["s1", "s2"]),
        ({"statuses": ("inactive",)}, ["s4"]),
        ({"text": "re-housing"}, ["s3"]),
        ({"near": HERE, "within_km": 2.0}, ["s4", "s3", "s2"]),
    ],
)
def test_each_filter(filters: dict[str, object], expected: list[str]) -> None:
    assert [m.service.id for m in search([DIRECTORY], **filters)] == expected  # type: ignore[arg-type]


def test_postal_codes_from_the_agency_table_or_the_listed_locations() -> None:
    assert resolve_postal_code("99999", [DIRECTORY], {"99999": [40.0, -88.0]}) == (40.0, -88.0)
    assert resolve_postal_code("62701", [DIRECTORY], {}) == (39.90, -89.65)
    assert resolve_postal_code("00000", [DIRECTORY], {}) is None


def test_providers_commands_on_the_example_directory(tmp_path: Path, invoke_caseflow: Callable[..., Result]) -> None:
    from caseflow.agency.demo import example_dir

    copy = tmp_path / "agency"
    shutil.copytree(example_dir(), copy)
    found = json.loads(
        invoke_caseflow(
            "--repo",
            copy,
            "providers",
            "search",
            "--service",
            "counseling",
            "--language",
            "es",
            "--near",
            "62701",
            "--json",
        )
        .assert_success()
        .stdout
    )
    assert [s["id"] for s in found] == ["eastside-counseling-cbt", "lakeside-counseling"]
    assert found[0]["distance_km"] < found[1]["distance_km"]
    assert "language es" in found[0]["why"]
    invoke_caseflow("--repo", copy, "providers", "search", "--near", "00000").assert_refused(1)
    shown = json.loads(invoke_caseflow("--repo", copy, "providers", "show", "county-housing-vouchers", "--json").stdout)
    assert shown[0]["organization_id"] == "county-housing-authority"
    invoke_caseflow("--repo", copy, "providers", "show", "nobody").assert_refused(1)


class AgencyDirectory:
    @hookimpl
    def register_provider_directories(self, root: Path, config: Mapping[str, Any]) -> list[Directory]:
        return [Directory("riverbend", str(config.get("title", "Riverbend")), DIRECTORY.services)]


def test_a_plugin_directory_is_searched_with_the_repositorys_settings(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    config = path / "caseflow.yaml"
    config.write_text(config.read_text().replace("staff:", "directories:\n  title: Shared county list\nstaff:", 1))
    repo = open_repo(path, environ=ONLY_BUILTIN_PLUGINS, plugins=[AgencyDirectory()])
    [directory] = repo.referrals.directories()  # the repository has no providers/ folder of its own
    assert directory.title == "Shared county list"
    assert [m.service.id for m in search(repo.referrals.directories(), language="es")] == ["s1"]
