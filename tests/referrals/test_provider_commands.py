"""`caseflow providers`: the text views of show and directories, next to their --json."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.testing import Result


@pytest.fixture
def agency(tmp_path: Path) -> Path:
    """The shipped example agency (a providers/ directory of its own), as a plain folder."""
    from caseflow.agency.demo import example_dir

    return Path(shutil.copytree(example_dir(), tmp_path / "agency"))


def test_show_in_text_gives_what_the_json_gives(agency: Path, invoke_caseflow: Callable[..., Result]) -> None:
    [service] = json.loads(
        invoke_caseflow("--repo", agency, "providers", "show", "county-housing-vouchers", "--json").stdout
    )
    text = invoke_caseflow("--repo", agency, "providers", "show", "county-housing-vouchers").assert_success().stdout
    assert text.splitlines()[0] == f"{service['name']}  ({service['id']}, {service['directory']})"
    assert f"{service['organization']}  {service['phone']}" in text
    assert ("accepting new clients" if service["active"] else "not accepting new clients") in text
    for location in service["locations"]:
        assert f"at {location['address'] or '-'}" in text


def test_an_organization_id_shows_each_of_its_services(agency: Path, invoke_caseflow: Callable[..., Result]) -> None:
    everything = json.loads(invoke_caseflow("--repo", agency, "providers", "search", "--json").stdout)
    organization = everything[0]["organization_id"]
    expected = sorted(s["id"] for s in everything if s["organization_id"] == organization)
    shown = json.loads(invoke_caseflow("--repo", agency, "providers", "show", organization, "--json").stdout)
    assert sorted(s["id"] for s in shown) == expected


def test_directories_lists_each_source_in_json_and_text(agency: Path, invoke_caseflow: Callable[..., Result]) -> None:
    listed = json.loads(invoke_caseflow("--repo", agency, "providers", "directories", "--json").assert_success().stdout)
    assert listed and all(d["error"] is None for d in listed)
    assert sum(d["services"] for d in listed) == len(
        json.loads(invoke_caseflow("--repo", agency, "providers", "search", "--json").stdout)
    )
    text = invoke_caseflow("--repo", agency, "providers", "directories").assert_success().stdout
    for directory in listed:
        assert directory["id"] in text
