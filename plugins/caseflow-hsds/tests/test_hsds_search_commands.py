"""`caseflow providers search` and `providers categories` as a case manager types them, on a
directory built for the tests and imported as canonical JSON collections."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import small_county as county

from caseflow.testing import Result, _make_hermetic, commit_files, copy_repo, git, invoke

Run = Callable[..., Result]


@pytest.fixture(scope="module")
def repo(_template_case_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One repository for the module's read-only searches, with the county imported once."""
    root = copy_repo(_template_case_repo, tmp_path_factory.mktemp("repo") / "cases")
    source = county.write_collections(tmp_path_factory.mktemp("source") / "county")
    config = root / "caseflow.yaml"  # the county's time: UTC-6 all year, as its schedules say
    commit_files(root, {"caseflow.yaml": config.read_text().replace("timezone: UTC", "timezone: Etc/GMT+6")})
    with pytest.MonkeyPatch.context() as monkeypatch:
        _make_hermetic(monkeypatch)
        invoke("--repo", root, "--as", "casey", "providers", "import", source, "--id", "county").assert_success()
    return root


def search(run: Run, repo: Path, *args: str) -> Result:
    return run("--repo", repo, "providers", "search", *args)


def test_the_import_keeps_every_file_it_was_given(repo: Path) -> None:
    assert git(repo, "ls-files", "directories").split() == [
        "directories/county/organizations.json",
        "directories/county/taxonomies.json",
        "directories/county/taxonomy_terms.json",
    ]


def test_filters_combine_and_the_heading_says_the_ranking(invoke_caseflow: Run, repo: Path) -> None:
    found = search(
        invoke_caseflow,
        repo,
        "--service",
        "mh",
        "--language",
        "es",
        "--town",
        "Riverton",
        "--age",
        "16",
        "--open",
        "sat",
    )
    text = found.assert_success().stdout
    assert text.splitlines()[0] == "1 services at locations, by name (give --near to rank by distance)"
    assert "Youth mentoring" in text and "Northfield youth hub" in text
    near = search(invoke_caseflow, repo, "--near", "39.80,-89.65", "--within", "2", "--json")
    rows = json.loads(near.assert_success().stdout)
    assert [(r["name"], r["location_name"]) for r in rows][:2] == [
        ("Adult outpatient therapy", "Lantern Grove main office"),
        ("Evening counseling group", "Lantern Grove main office"),
    ]
    heading = search(invoke_caseflow, repo, "--near", "39.80,-89.65", "--within", "2").stdout.splitlines()[0]
    assert heading == "4 services at locations, nearest first from 39.80,-89.65 (ties by name)"


def test_service_repeats_for_any_of_several(invoke_caseflow: Run, repo: Path) -> None:
    rows = json.loads(search(invoke_caseflow, repo, "--service", "shelter", "--service", "food", "--json").stdout)
    assert [r["name"] for r in rows] == ["Emergency shelter beds", "Food pantry"]


def test_each_filter_from_the_command_line(invoke_caseflow: Run, repo: Path) -> None:
    def names(*args: str) -> list[str]:
        return [r["name"] for r in json.loads(search(invoke_caseflow, repo, *args, "--json").assert_success().stdout)]

    assert names("--postal-code", "62650") == ["Food pantry", "Rental assistance", "Transitional housing (closed)"]
    assert names("--status", "temporarily closed") == ["Teen counseling"]
    assert names("--open", "mon 18:00") == ["Evening counseling group", "Rental assistance", "Youth crisis phone line"]
    assert names("--text", "maple", "--accepting") == ["Food pantry", "Rental assistance"]
    closed = json.loads(search(invoke_caseflow, repo, "--status", "temporarily closed", "--json").stdout)[0]
    assert closed["alert"] == "Closed until the new counselor starts in March."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--service", "housng"), "no category 'housng' (did you mean 'housing'?)"),
        (("--language", "esp"), "no language 'esp' (did you mean 'es'?)"),
        (("--status", "closed"), "no status 'closed'"),
        (("--open", "funday"), "--open: 'funday' is not a day and time"),
        (("--open", "sat 25:00"), "--open: '25:00' is not a time of day"),
        (("--age", "sixteen"), "--age: 'sixteen' is not an age in years"),
        (("--within", "5"), "--within needs --near"),
    ],
)
def test_what_does_not_parse_is_a_usage_error(
    invoke_caseflow: Run, repo: Path, args: tuple[str, ...], message: str
) -> None:
    refused = search(invoke_caseflow, repo, *args)
    assert refused.exit_code == 2, refused.stderr
    assert message in refused.stderr


def test_a_postal_code_with_no_position_is_refused(invoke_caseflow: Run, repo: Path) -> None:
    refused = search(invoke_caseflow, repo, "--near", "00000")
    assert refused.exit_code == 1 and "postal code '00000'" in refused.stderr


def test_categories_as_a_tree_with_service_counts(invoke_caseflow: Run, repo: Path) -> None:
    tree = json.loads(invoke_caseflow("--repo", repo, "providers", "categories", "--json").assert_success().stdout)
    top = {node["code"]: node for node in tree}
    assert sorted(top) == ["food", "housing", "mh", "sud"]
    assert top["mh"]["services"] == 6 and top["mh"]["name"] == "Mental health"
    [outpatient] = top["mh"]["children"]
    assert (outpatient["code"], outpatient["services"]) == ("mh-outpatient", 4)
    assert [c["code"] for c in outpatient["children"]] == ["mh-youth"]
    text = invoke_caseflow("--repo", repo, "providers", "categories").assert_success().stdout
    assert "  mh-outpatient  Outpatient mental health  (4 services)" in text.splitlines()
