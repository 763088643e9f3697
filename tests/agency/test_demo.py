"""The example agency validates clean, and `caseflow demo` turns it into weeks of real history."""

from __future__ import annotations

import datetime as dt
import json
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow import open_repo
from caseflow.agency.demo import example_dir
from caseflow.core.casefiles import client_ids
from caseflow.core.documents import load_plain
from caseflow.testing import Result, copy_repo, git


def test_example_casefiles_validate_clean() -> None:
    repo = open_repo(example_dir(), environ={})
    report = repo.validate()
    assert report.problems == []
    assert report.documents >= 20
    stages = sorted(row["stage"] for row in repo.clients())
    assert stages == ["active", "evaluation", "intake", "planning"]
    assert [m.role for m in repo.config.staff] == ["case_manager", "case_manager", "supervisor", "director"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_template: tuple[Path, Result]) -> tuple[Path, Result]:
    """What `caseflow demo --storied-only` built and printed (a copy of the session's: the tour below
    writes to it); the whole demo's year of caseload is `make test-all`'s (tests/agency/test_caseload.py)."""
    template, result = demo_template
    return copy_repo(template, tmp_path_factory.mktemp("demo") / "caseflow-demo"), result


def test_demo_builds_a_repository_with_a_guided_tour(demo: tuple[Path, Result]) -> None:
    path, result = demo
    result.assert_success()
    storied = client_ids(example_dir())
    assert set(storied) == set(open_repo(path, environ={}).client_ids())
    for client_id in storied:
        assert client_id in result.stdout
    assert "caseflow show C-" in result.stdout and "git log" in result.stdout
    assert "caseflow household show H-" in result.stdout and "forms/agency.hmis-ude.yaml" in result.stdout
    assert git(path, "status", "--porcelain") == ""


@pytest.mark.slow  # the whole demo (150 more clients): make test-all
def test_the_whole_demo_has_a_years_caseload_around_the_storied_clients(
    demo_caseload_template: tuple[Path, Result],
) -> None:
    path, result = demo_caseload_template
    storied = client_ids(example_dir())
    assert set(storied) < set(open_repo(path, environ={}).client_ids())
    assert "and 150 more over the year" in result.stdout


def test_demo_history_is_multi_author_over_weeks(demo: tuple[Path, Result]) -> None:
    path, _ = demo
    log = git(path, "log", "--format=%an|%ad|%B%x00", "--date=short").split("\x00")
    entries = [e.strip() for e in log if e.strip()]
    authors = {e.split("|")[0] for e in entries}
    days = sorted(dt.date.fromisoformat(e.split("|")[1]) for e in entries)
    assert len(authors) >= 3
    assert (days[-1] - days[0]).days >= 28
    assert all("Caseflow-Action:" in e for e in entries)


def test_demo_commit_messages_hold_no_client_names(demo: tuple[Path, Result]) -> None:
    path, _ = demo
    messages = git(path, "log", "--format=%B")
    for client_id in open_repo(path, environ={}).client_ids():
        record, _ = load_plain("client.yaml", (path / "clients" / client_id / "client.yaml").read_bytes())
        for part in str(record["name"]).split():
            assert part not in messages


def test_demo_repository_works_with_every_command(
    demo: tuple[Path, Result], invoke_caseflow: Callable[..., Result]
) -> None:
    path, _ = demo
    invoke_caseflow("validate", cwd=path).assert_success()
    assert "active" in invoke_caseflow("clients", cwd=path).assert_success().stdout


def test_demo_never_overwrites_other_folders(
    tmp_path: Path, invoke_caseflow: Callable[..., Result], demo_repo: Callable[..., Path]
) -> None:
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "notes.txt").write_text("mine\n")
    invoke_caseflow("demo", tmp_path / "work").assert_refused(1)
    invoke_caseflow("demo", tmp_path / "work", "--force").assert_refused(1)
    assert (tmp_path / "work" / "notes.txt").read_text() == "mine\n"
    # A folder `caseflow demo` built (the session's demo fixture built one in a new folder) is rebuilt.
    again = demo_repo("again")
    invoke_caseflow("demo", again, "--force", "--storied-only").assert_success()
    assert git(again, "status", "--porcelain") == ""


def storied(path: Path, stage: str) -> str:
    """The storied client (of the example case files) in this stage."""
    rows = open_repo(path, environ={}).clients()
    return next(row["id"] for row in rows if row["stage"] == stage and row["id"] in client_ids(example_dir()))


def test_the_demo_tour_works_as_printed(demo: tuple[Path, Result], invoke_caseflow: Callable[..., Result]) -> None:
    path, result = demo
    planning, active = storied(path, "planning"), storied(path, "active")
    assert f"caseflow --as sam approve {planning} plan.yaml" in result.stdout
    env = {"CASEFLOW_USER": "casey"}
    # the active client's plan was approved by the supervisor in the replayed history
    assert "review: ready" in invoke_caseflow("stages", active, cwd=path, env=env).assert_success().stdout
    invoke_caseflow("advance", planning, "--dry-run", cwd=path, env=env).assert_refused(1)
    invoke_caseflow("--as", "sam", "approve", planning, "plan.yaml", cwd=path).assert_success()
    invoke_caseflow("advance", planning, cwd=path, env=env).assert_success()
    invoke_caseflow("log", active, cwd=path).assert_success()
    assert "caseflow verify" in result.stdout and "git switch forged-approval" in result.stdout
    invoke_caseflow("verify", cwd=path, env=env).assert_success()
    # find, as the tour types it, and the early closure it shows
    [find] = [line.split("#")[0].strip() for line in result.stdout.splitlines() if "caseflow find " in line]
    found = invoke_caseflow("find", shlex.split(find)[2], "--json", cwd=path, env={"CASEFLOW_USER": "sam"})
    assert active in [row["id"] for row in json.loads(found.assert_success().stdout)["matches"]]
    intake = storied(path, "intake")
    [close] = [line.split("#")[0].strip() for line in result.stdout.splitlines() if " discharge " in line]
    invoke_caseflow(*shlex.split(close)[1:], cwd=path, env=env).assert_success()
    assert open_repo(path, environ={}).client_record(intake)["stage"] == "discharged"
    # the tour ends in the browser
    assert result.stdout.rstrip().splitlines()[-1].strip().startswith("caseflow serve --open")


def test_a_demo_client_goes_from_intake_to_discharged_and_back_with_commands_alone(
    demo_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    path = demo_repo()  # what `caseflow demo` builds
    client = storied(path, "intake")

    # The interview written in $EDITOR: an editor that adds a paragraph under the skeleton's headings.
    editor = 'sh -c \'printf "\\nLow mood since the spring; sleeping badly.\\n" >> "$1"\' editor'

    def as_(who: str, *args: str) -> Result:
        return invoke_caseflow(*args, cwd=path, env={"CASEFLOW_USER": who, "EDITOR": editor, "VISUAL": ""})

    worker = open_repo(path, environ={}).client_record(client)["assigned_worker"]
    steps = [
        (worker, "advance", client),
        (worker, "new", client, "core.intake-interview", "--edit"),
        (worker, "screen", client, "phq9", "--answers", "2,2,1,1,1,1,1,1,0"),
        (worker, "advance", client),
        (
            worker,
            "set",
            client,
            "plan.yaml",
            "goals[+].id=g1",
            "goals[g1].title=Steady work",
            "goals[g1].status=active",
            "goals[g1].objectives[+].id=g1-o1",
            "goals[g1].objectives[g1-o1].statement=Apply for two jobs a week",
            "goals[g1].objectives[g1-o1].target_date=2027-01-15",
            "goals[g1].objectives[g1-o1].responsible=client",
        ),
        ("sam", "approve", client, "plan.yaml"),
        (worker, "advance", client),
        (worker, "advance", client, "--to", "review"),
        (worker, "screen", client, "phq9", "--answers", "1,1,0,0,1,0,0,0,0"),
        (worker, "advance", client, "--to", "active"),
        (
            worker,
            "new",
            client,
            "core.discharge",
            "--field",
            "reason=goals-met",
            "--field",
            "outcome=Working again",
            "--field",
            "goals[+].goal=g1",
            "--field",
            "goals[0].status=met",
        ),
        ("sam", "approve", client, "discharge.yaml"),
        (worker, "advance", client, "--to", "discharged"),
        (worker, "advance", client, "--reason", "Asked to come back after a relapse"),
    ]
    for who, *args in steps:
        as_(who, *args).assert_success()
    record = open_repo(path, environ={}).client_record(client)
    assert [h["to"] for h in record["stage_history"]][-7:] == [
        "evaluation",
        "planning",
        "active",
        "review",
        "active",
        "discharged",
        "intake",
    ]
    invoke_caseflow("validate", cwd=path).assert_success()


def test_a_demo_built_at_a_relative_path_signs_its_commits(
    tmp_path: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    """`make demo` gives a relative PATH; git signs from inside the repository, so keys are found by absolute path."""
    invoke_caseflow("demo", "caseflow-demo", "--storied-only", cwd=tmp_path).assert_success()
    path = tmp_path / "caseflow-demo"
    if (path / ".caseflow" / "keys").is_dir():  # ssh-keygen was there: the director turned signing on
        assert "-----BEGIN SSH SIGNATURE-----" in git(path, "cat-file", "commit", "forged-approval")
    invoke_caseflow("--as", "sam", "approve", "C-4HX8TB", "plan.yaml", cwd=path).assert_success()
    invoke_caseflow("verify", cwd=path).assert_success()
