"""``caseflow find`` and the likely-duplicate check of ``intake``, through the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow import open_repo
from caseflow.core import access_record
from caseflow.testing import ONLY_BUILTIN_PLUGINS, Result, copy_repo, git, hermetic

#: Fictional people: (name, dob, phone, worker)
PEOPLE = [
    ("Tomás Reyes Vidal", "1990-04-02", "(555) 010-0123", "casey"),
    ("Tomasa Reyna", "1988-11-30", "555-010-0777", "robin"),
    ("Ana Example", "2001-06-15", None, "robin"),
]


@pytest.fixture(scope="module")
def _people_taken_in(
    _template_case_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str]]:
    """The fictional people taken in once for the module (each test reads a copy)."""
    with hermetic():
        root = copy_repo(_template_case_repo, tmp_path_factory.mktemp("find") / "cases")
        repo = open_repo(root, environ=ONLY_BUILTIN_PLUGINS)
        ids = {}
        for name, dob, phone, worker in PEOPLE:
            ids[name] = repo.records.intake(repo.actor("sam"), name=name, dob=dob, phone=phone, worker=worker)
    return root, ids


@pytest.fixture
def cases(_people_taken_in: tuple[Path, dict[str, str]], tmp_path: Path) -> tuple[Path, dict[str, str]]:
    built, ids = _people_taken_in
    return copy_repo(built, tmp_path / "cases"), dict(ids)


def find(invoke: Callable[..., Result], root: Path, *args: str, who: str = "casey") -> dict:  # type: ignore[type-arg]
    result = invoke("--as", who, "find", *args, "--json", cwd=root).assert_success()
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("typed", ["reyes tomas", "Tomás Reyes", "Tomas Reyse", "tomas reyes vidal"])
def test_find_forgives_accents_order_and_typos(
    cases: tuple[Path, dict[str, str]], invoke_caseflow: Callable[..., Result], typed: str
) -> None:
    root, ids = cases
    found = find(invoke_caseflow, root, typed)
    assert found["matches"][0]["id"] == ids["Tomás Reyes Vidal"]
    assert ids["Ana Example"] not in [m["id"] for m in found["matches"]]


def test_exact_matches_come_before_close_ones(
    cases: tuple[Path, dict[str, str]], invoke_caseflow: Callable[..., Result]
) -> None:
    root, ids = cases
    found = find(invoke_caseflow, root, "tomas", who="sam")
    assert [(m["id"], m["match"]) for m in found["matches"]] == [
        (ids["Tomás Reyes Vidal"], "exact"),
        (ids["Tomasa Reyna"], "close"),  # "tomas" begins "tomasa"
    ]


def test_find_by_birth_date_and_by_phone_digits(
    cases: tuple[Path, dict[str, str]], invoke_caseflow: Callable[..., Result]
) -> None:
    root, ids = cases
    assert [m["id"] for m in find(invoke_caseflow, root, "1990-04-02")["matches"]] == [ids["Tomás Reyes Vidal"]]
    assert [m["id"] for m in find(invoke_caseflow, root, "5550100123")["matches"]] == [ids["Tomás Reyes Vidal"]]
    both = find(invoke_caseflow, root, "reina", "--dob", "1988-11-30", who="sam")["matches"]
    assert [m["id"] for m in both] == [ids["Tomasa Reyna"]]
    assert find(invoke_caseflow, root, "reyes", "--dob", "1988-11-30")["matches"] == []  # two letters off
    assert find(invoke_caseflow, root, "Ana", "--dob", "1990-04-02")["matches"] == []


def test_names_only_for_those_allowed_and_every_search_is_recorded(
    cases: tuple[Path, dict[str, str]], invoke_caseflow: Callable[..., Result]
) -> None:
    root, ids = cases
    before = len(access_record.entries(root))
    casey = {m["id"]: m["name"] for m in find(invoke_caseflow, root, "tomas")["matches"]}
    assert casey[ids["Tomás Reyes Vidal"]] == "Tomás Reyes Vidal"  # her own client
    assert casey[ids["Tomasa Reyna"]] is None  # robin's: id, stage and worker only
    text = invoke_caseflow("--as", "casey", "find", "tomas", cwd=root).assert_success().stdout
    assert "Tomasa" not in text and ids["Tomasa Reyna"] in text
    sam = {m["id"]: m["name"] for m in find(invoke_caseflow, root, "tomas", who="sam")["matches"]}
    assert sam[ids["Tomasa Reyna"]] == "Tomasa Reyna"  # a supervisor sees every name
    entries = access_record.entries(root)[before:]
    assert [(e.who, e.action) for e in entries] == [("casey", "find"), ("casey", "find"), ("sam", "find")]
    assert entries[0].what == "find by name: 2 found" and set(entries[0].clients) == {
        ids["Tomás Reyes Vidal"],
        ids["Tomasa Reyna"],
    }
    assert all("tomas" not in e.what.lower() for e in entries)  # never the text searched


def test_find_refuses_nothing_to_find_and_a_bad_date(
    cases: tuple[Path, dict[str, str]], invoke_caseflow: Callable[..., Result]
) -> None:
    root, _ = cases
    assert "give a name" in invoke_caseflow("--as", "casey", "find", cwd=root).assert_refused(2).stderr
    bad = invoke_caseflow("--as", "casey", "find", "ana", "--dob", "1990-02-31", cwd=root).assert_refused(2)
    assert "not a date" in bad.stderr


def test_intake_refuses_a_likely_duplicate_and_writes_nothing(
    cases: tuple[Path, dict[str, str]], invoke_caseflow: Callable[..., Result]
) -> None:
    root, ids = cases
    head = git(root, "rev-parse", "HEAD")
    same = ("--as", "casey", "intake", "--name", "Tomas Reyes", "--dob", "1990-04-02")
    refused = invoke_caseflow(*same, cwd=root).assert_refused(1)
    lines = refused.stderr.strip().splitlines()
    assert (
        lines[0]
        == f"error: likely duplicate {ids['Tomás Reyes Vidal']} (intake, casey): same birth date and a similar name"
    )
    assert "--new-person" in lines[-1] and "Tomas" not in refused.stderr
    phone = ("--as", "casey", "intake", "--name", "Someone Else", "--dob", "1970-01-01", "--phone", "555 010 0777")
    by_phone = invoke_caseflow(*phone, cwd=root).assert_refused(1)
    assert f"likely duplicate {ids['Tomasa Reyna']} (intake, robin): same phone" in by_phone.stderr
    assert git(root, "rev-parse", "HEAD") == head and git(root, "status", "--porcelain") == ""
    made = invoke_caseflow(*same, "--new-person", cwd=root).assert_success().stdout.strip()
    assert made not in ids.values() and (root / "clients" / made / "client.yaml").exists()


def test_a_longer_name_on_the_same_birth_date_is_a_likely_duplicate_too(
    cases: tuple[Path, dict[str, str]], invoke_caseflow: Callable[..., Result]
) -> None:
    root, ids = cases
    longer = ("--as", "robin", "intake", "--name", "Ana María Example Soto", "--dob", "2001-06-15")
    assert ids["Ana Example"] in invoke_caseflow(*longer, cwd=root).assert_refused(1).stderr
    other_day = ("--as", "robin", "intake", "--name", "Ana Example", "--dob", "2001-06-16")
    invoke_caseflow(*other_day, cwd=root).assert_success()  # another birth date, no phone: another person
