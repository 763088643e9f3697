"""The repository format: a repository of a newer format is read (with one warning) and never
written to; ``caseflow upgrade`` moves an older one to this caseflow's format in one commit by an
admin. Real git repositories, the CLI in process (and in a subprocess where the warning's
once-per-process matters)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.core.config import FORMAT_VERSION
from caseflow.core.configfile import parse_config
from caseflow.testing import Result, commit_files, git

NEWER = FORMAT_VERSION + 1
MESSAGE = (
    f"this repository uses format {NEWER}; this caseflow knows formats up to {FORMAT_VERSION}: "
    "reading only — upgrade caseflow to change it"
)
CASEY = {"CASEFLOW_USER": "casey"}


def set_format(repo: Path, version: int, extra: str = "") -> None:
    """caseflow.yaml's ``format:`` changed by hand and committed with plain git."""
    text = (repo / "caseflow.yaml").read_text()
    text = re.sub(r"(?m)^format: \d+$", f"format: {version}", text) + extra
    commit_files(repo, {"caseflow.yaml": text}, message=f"format {version}")


def state(repo: Path) -> tuple[str, str, dict[str, bytes]]:
    """HEAD, git status and every file's bytes outside .git and .caseflow/."""
    files = {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and p.relative_to(repo).parts[0] not in (".git", ".caseflow")
    }
    return git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain"), files


@pytest.fixture
def newer_repo(case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]) -> tuple[Path, str]:
    """A repository with one client, then set by hand to a format newer than this caseflow's,
    with a setting this caseflow has never heard of."""
    repo = case_repo()
    made = invoke_caseflow("--repo", repo, "intake", "--name", "Ana Example", "--dob", "1990-04-02", env=CASEY)
    client = made.assert_success().stdout.strip().split()[-1]
    set_format(repo, NEWER, "naming:\n  notes: by-date\n")
    return repo, client


def test_a_newer_format_is_read_with_one_warning(
    newer_repo: tuple[Path, str], run_caseflow: Callable[..., Result]
) -> None:
    repo, client = newer_repo
    shown = run_caseflow("--repo", repo, "show", client, env=CASEY).assert_success()
    assert "Ana Example" in shown.stdout
    assert shown.stderr.count(MESSAGE) == 1
    listed = run_caseflow("--repo", repo, "clients", "--json", env=CASEY).assert_success()
    assert client in listed.stdout
    assert [line for line in listed.stderr.splitlines() if "format" in line] == [f"warning: {MESSAGE}"]


def test_the_warning_is_given_once_per_process(newer_repo: tuple[Path, str], capsys: pytest.CaptureFixture) -> None:
    from caseflow.repo import open_repo

    repo, client = newer_repo
    capsys.readouterr()
    for _ in range(3):
        assert open_repo(repo, environ={}).clients()[0]["id"] == client
    assert capsys.readouterr().err.count(MESSAGE) == 1


@pytest.mark.parametrize(
    "command",
    [
        ("set", "{client}", "client.yaml", "phone=555-0100"),
        ("visit", "{client}", "--type", "office", "--note", "Talked about housing."),
        ("new", "{client}", "core.visit", "--field", "type=home", "--field", "duration_minutes=45"),
        ("intake", "--name", "Ben Example", "--dob", "1985-01-01"),
        ("--as", "sam", "staff", "add", "dana", "--name", "Dana", "--email", "dana@riverbend.example",
         "--role", "director"),
    ],
    ids=["set", "visit", "new", "intake", "staff-add"],
)  # fmt: skip
def test_every_write_to_a_newer_format_is_refused_and_nothing_written(
    newer_repo: tuple[Path, str], invoke_caseflow: Callable[..., Result], command: tuple[str, ...]
) -> None:
    repo, client = newer_repo
    before = state(repo)
    refused = invoke_caseflow("--repo", repo, *(arg.format(client=client) for arg in command), env=CASEY)
    refused.assert_refused(1)
    assert f"error: {MESSAGE}" in refused.stderr.splitlines()
    assert state(repo) == before


def test_upgrade_refuses_a_newer_format(newer_repo: tuple[Path, str], invoke_caseflow: Callable[..., Result]) -> None:
    repo, _ = newer_repo
    before = state(repo)
    refused = invoke_caseflow("--repo", repo, "upgrade", env={"CASEFLOW_USER": "sam"}).assert_refused()
    assert "upgrade caseflow, not the repository" in refused.stderr
    assert state(repo) == before


@pytest.fixture
def format_1_repo(tmp_path: Path, invoke_caseflow: Callable[..., Result]) -> Path:
    """A repository made when caseflow knew format 1: its director made it, then added a case manager."""
    repo = tmp_path / "cases"
    invoke_caseflow(
        "init", repo, "--agency", "Riverbend", "--admin", "dana", "--name", "Dana Okonkwo",
        "--email", "dana@riverbend.example",
    ).assert_success()  # fmt: skip
    config = repo / "caseflow.yaml"
    config.write_text(config.read_text().replace(f"format: {FORMAT_VERSION}\n", "format: 1\n"))
    git(repo, "commit", "-q", "--amend", "--no-edit", "caseflow.yaml")  # still the root commit, still Dana's
    invoke_caseflow(
        "--repo",
        repo,
        "--as",
        "dana",
        "staff",
        "add",
        "casey",
        "--name",
        "Casey Rivera",
        "--email",
        "casey@riverbend.example",
        "--role",
        "case_manager",
    ).assert_success()  # fmt: skip
    return repo  # a format-1 repository is written to as before


def test_the_director_upgrades_a_format_1_repository_in_one_commit(
    format_1_repo: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    repo = format_1_repo
    assert parse_config((repo / "caseflow.yaml").read_bytes()).format == 1
    before = git(repo, "rev-parse", "HEAD").strip()
    upgraded = invoke_caseflow("--repo", repo, "--as", "dana", "upgrade").assert_success()
    assert f"upgraded from format 1 to {FORMAT_VERSION}" in upgraded.stderr
    assert f"caseflow.yaml: format: 1 -> {FORMAT_VERSION}" in upgraded.stdout
    assert "refs/caseflow/access" in upgraded.stdout  # what format 2 added
    assert git(repo, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert git(repo, "diff", "--name-only", before, "HEAD").split() == ["caseflow.yaml"]
    message = git(repo, "log", "-1", "--format=%an%n%B")
    assert message.startswith("Dana Okonkwo\nupgrade\n")
    assert "Caseflow-Action: upgrade" in message and f"Caseflow-Format: 1 -> {FORMAT_VERSION}" in message
    assert parse_config((repo / "caseflow.yaml").read_bytes()).format == FORMAT_VERSION
    assert "# plugins:" in (repo / "caseflow.yaml").read_text()  # the comments stay
    invoke_caseflow("--repo", repo, "verify").assert_success()

    again = invoke_caseflow("--repo", repo, "--as", "dana", "upgrade", "--json").assert_success()
    assert '"upgraded": false' in again.stdout
    assert git(repo, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert f"already format {FORMAT_VERSION}" in invoke_caseflow("--repo", repo, "upgrade").stderr


def test_a_case_manager_cannot_upgrade(format_1_repo: Path, invoke_caseflow: Callable[..., Result]) -> None:
    before = state(format_1_repo)
    refused = invoke_caseflow("--repo", format_1_repo, "--as", "casey", "upgrade").assert_refused()
    assert "made by an admin (dana)" in refused.stderr
    assert state(format_1_repo) == before


def test_without_an_admin_anyone_on_the_staff_list_may_upgrade_and_is_told(
    case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    repo = case_repo()  # casey, robin (case managers) and sam (supervisor): no director yet
    set_format(repo, 1)
    upgraded = invoke_caseflow("--repo", repo, "--as", "casey", "upgrade", "--json").assert_success()
    assert '"without_admin": true' in upgraded.stdout and '"from": 1' in upgraded.stdout
    assert parse_config((repo / "caseflow.yaml").read_bytes()).format == FORMAT_VERSION
    set_format(repo, 1)
    told = invoke_caseflow("--repo", repo, "--as", "casey", "upgrade").assert_success()
    assert "nobody on the staff list has the admin right yet" in told.stderr


def test_format_3_names_notes_uniquely_once_upgraded_and_renames_nothing(
    case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]
) -> None:
    """A format-2 repository keeps the names its older caseflows expect (``-phone.md``, then
    ``-phone-2.md``); `caseflow upgrade` moves it to 3 in one commit touching only caseflow.yaml,
    and from then on a new note's name ends in a short id. Every older name stays valid."""
    repo = case_repo()
    client = invoke_caseflow("--repo", repo, "intake", "--name", "Ana Example", "--dob", "1990-04-02", env=CASEY)
    client_id = client.assert_success().stdout.strip().split()[-1]
    set_format(repo, 2)
    visits = repo / "clients" / client_id / "visits"
    phone = ("--repo", repo, "visit", client_id, "--type", "phone", "--note", "Checked in.")
    day = {**CASEY, "CASEFLOW_TODAY": "2026-11-17"}
    for _ in range(2):
        invoke_caseflow(*phone, env=day).assert_success()
    assert sorted(p.name for p in visits.iterdir()) == ["2026-11-17-phone-2.md", "2026-11-17-phone.md"]

    before = git(repo, "rev-parse", "HEAD").strip()
    upgraded = invoke_caseflow("--repo", repo, "--as", "sam", "upgrade").assert_success()
    assert f"upgraded from format 2 to {FORMAT_VERSION}" in upgraded.stderr
    assert "format 3: new notes and other dated documents are named with a short random id" in upgraded.stdout
    assert git(repo, "diff", "--name-only", before, "HEAD").split() == ["caseflow.yaml"]  # nothing renamed

    invoke_caseflow(*phone, env=day).assert_success()
    (new,) = {p.name for p in visits.iterdir()} - {"2026-11-17-phone-2.md", "2026-11-17-phone.md"}
    assert re.fullmatch(r"2026-11-17-phone-2[0-9a-hjkmnp-tv-z]{4}\.md", new)  # two came before it
    invoke_caseflow("--repo", repo, "validate").assert_success()
