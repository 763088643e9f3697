"""Bad input: one line saying why (file:line:col where known), exit 1, nothing written."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow import InvalidId, open_repo
from caseflow.testing import ONLY_BUILTIN_PLUGINS, Result, commit_files, git
from tests.samples import CLIENT, CLIENT_YAML

PLAN = f"form: core.plan\nclient: {CLIENT}\nreview_date: 2026-04-01\ngoals: []\n"
PLAN_PATH = f"clients/{CLIENT}/plan.yaml"
LAUGHS = "\n".join(
    ["form: core.plan", 'a0: &a0 ["lol"]']
    + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
)

BAD_PLANS: dict[str, tuple[bytes, str]] = {
    "malformed": (b"form: core.plan\ngoals: [1, 2\nreview_date: 2026-04-01\n", f"{PLAN_PATH}:3:12: "),
    "duplicate-key": (
        PLAN.encode() + b"review_date: 2026-05-01\n",
        f"{PLAN_PATH}:5:1: duplicate key 'review_date' (first defined on line 3)",
    ),
    "anchor-alias": (PLAN.encode() + b"x: &a [1]\ny: *a\n", f"{PLAN_PATH}:5:4: anchors (&name) are not allowed"),
    "billion-laughs": (LAUGHS.encode() + b"\n", f"{PLAN_PATH}:2:5: anchors (&name) are not allowed"),
    "yaml-1.1": (b"%YAML 1.1\n---\n" + PLAN.encode(), f"{PLAN_PATH}:1:1: has a %YAML directive"),
    "conflict-markers": (
        PLAN.replace(
            "review_date: 2026-04-01\n",
            "<<<<<<< ours\nreview_date: 2026-04-01\n=======\nreview_date: 2026-05-01\n>>>>>>> theirs\n",
        ).encode(),
        f"{PLAN_PATH}:3:1: holds git conflict markers",
    ),
    "invalid-utf8": (PLAN.encode() + b"note: caf\xe9\n", f"{PLAN_PATH}:5:10: is not valid UTF-8"),
    "nul-byte": (PLAN.encode() + b"note: a\x00b\n", f"{PLAN_PATH}:5:8: contains a NUL byte"),
    "too-big": (
        PLAN.encode() + b"#" * (20 * 1024 * 1024) + b"\n",
        f"{PLAN_PATH}: is 20,971,588 bytes; documents are capped at 1,048,576",
    ),
    "too-deep": (
        b"form: core.plan\nx: " + b"[" * 10_000 + b"]" * 10_000 + b"\n",
        f"{PLAN_PATH}:2:67: nested deeper than 64 levels",
    ),
    "unknown-form": (PLAN.replace("core.plan", "core.planz").encode(), f"{PLAN_PATH}:1:7: unknown form 'core.planz'"),
    "invalid-date": (
        PLAN.replace("2026-04-01", "2026-13-45").encode(),
        f"{PLAN_PATH}:3:14: Plan review date: '2026-13-45' is not a date",
    ),
}


@pytest.fixture
def repo_with_client(case_repo: Callable[..., Path]) -> Path:
    return case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML, PLAN_PATH: PLAN})


def snapshot(path: Path) -> tuple[str, str, bytes]:
    return (
        git(path, "rev-parse", "HEAD"),
        git(path, "status", "--porcelain", "--ignored"),
        git(path, "ls-files", "-s").encode(),
    )


def assert_one_line_refusal(result: Result, expected: str, code: int = 1) -> None:
    result.assert_refused(code)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: " + expected), lines[0]
    assert "Traceback" not in result.stderr


#: cases that take seconds (a document 10,000 levels deep), run by ``make test-all``
SLOW_PLANS = {"too-deep"}


@pytest.mark.parametrize(
    "case", [pytest.param(c, marks=pytest.mark.slow) if c in SLOW_PLANS else c for c in sorted(BAD_PLANS)]
)
def test_a_bad_document_refuses_a_write_and_is_reported_by_validate(
    repo_with_client: Path, invoke_caseflow: Callable[..., Result], case: str
) -> None:
    content, expected = BAD_PLANS[case]
    commit_files(repo_with_client, {PLAN_PATH: content})
    before = snapshot(repo_with_client)
    env = {**ONLY_BUILTIN_PLUGINS, "CASEFLOW_USER": "casey"}
    result = invoke_caseflow("--repo", repo_with_client, "set", CLIENT, "plan.yaml", f"client={CLIENT}", env=env)
    assert_one_line_refusal(result, expected)
    assert snapshot(repo_with_client) == before
    assert (repo_with_client / PLAN_PATH).read_bytes() == content

    validated = invoke_caseflow("--repo", repo_with_client, "validate", env=env).assert_refused(1)
    assert validated.stdout.startswith(expected)
    assert snapshot(repo_with_client) == before


def test_an_invalid_value_is_refused_with_its_position(
    repo_with_client: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    before = snapshot(repo_with_client)
    env = {**ONLY_BUILTIN_PLUGINS, "CASEFLOW_USER": "casey"}
    result = invoke_caseflow("--repo", repo_with_client, "set", CLIENT, "plan.yaml", "review_date=2026-13-45", env=env)
    assert_one_line_refusal(
        result, f"{PLAN_PATH}:3:14: Plan review date: '2026-13-45' is not a date written YYYY-MM-DD"
    )
    assert snapshot(repo_with_client) == before


def test_a_symlinked_document_is_never_followed(repo_with_client: Path, invoke_caseflow: Callable[..., Result]) -> None:
    (repo_with_client / PLAN_PATH).unlink()
    os.symlink("../../caseflow.yaml", repo_with_client / PLAN_PATH)
    git(repo_with_client, "add", PLAN_PATH)
    git(repo_with_client, "commit", "-qm", "symlink")
    before = snapshot(repo_with_client)
    env = {**ONLY_BUILTIN_PLUGINS, "CASEFLOW_USER": "casey"}
    result = invoke_caseflow("--repo", repo_with_client, "set", CLIENT, "plan.yaml", "review_date=2026-06-01", env=env)
    assert_one_line_refusal(result, f"{PLAN_PATH}: is a symbolic link; caseflow never follows links")
    assert snapshot(repo_with_client) == before
    assert "agency: Test Agency" in (repo_with_client / "caseflow.yaml").read_text()


def test_unclosed_front_matter(repo_with_client: Path, invoke_caseflow: Callable[..., Result]) -> None:
    note = f"clients/{CLIENT}/visits/2026-01-06-home.md"
    commit_files(repo_with_client, {note: f"---\nform: core.visit\nclient: {CLIENT}\n# forgot to close\n"})
    before = snapshot(repo_with_client)
    env = {**ONLY_BUILTIN_PLUGINS, "CASEFLOW_USER": "casey"}
    result = invoke_caseflow(
        "--repo", repo_with_client, "set", CLIENT, "visits/2026-01-06-home.md", "type=home", env=env
    )
    assert_one_line_refusal(result, f"{note}:1:1: front matter opened here is never closed")
    assert snapshot(repo_with_client) == before


@pytest.mark.parametrize("client_id", ["../../etc", "/abs", "a/../b", ".git", "-rf", "C-7K/2M9Q", "C-7K\\2M9Q"])
def test_unsafe_client_ids_are_refused(
    repo_with_client: Path, invoke_caseflow: Callable[..., Result], client_id: str
) -> None:
    before = snapshot(repo_with_client)
    env = {**ONLY_BUILTIN_PLUGINS, "CASEFLOW_USER": "casey"}
    for args in (
        ["show", "--", client_id],
        ["set", "--", client_id, "plan.yaml", "review_date=2026-06-01"],
        ["validate", "--", client_id],
    ):
        result = invoke_caseflow("--repo", repo_with_client, *args, env=env)
        assert_one_line_refusal(result, f"{client_id!r} is not a client id")
    assert snapshot(repo_with_client) == before


def _called_by_coverage() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith("coverage."):
            return True
        frame = frame.f_back
    return False


def test_client_ids_are_checked_before_any_file_system_call(
    repo_with_client: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = open_repo(repo_with_client, environ=ONLY_BUILTIN_PLUGINS)
    casey = repo.actor("casey")

    def refusing(name: str) -> Callable[..., object]:
        real = getattr(os, name)

        def no_file_system(*args: object, **kwargs: object) -> object:
            if _called_by_coverage():  # `make coverage`: the tracer looks up source files as code runs
                return real(*args, **kwargs)
            raise AssertionError(f"file system touched with {args!r}")

        return no_file_system

    for name in ("stat", "lstat", "open", "scandir", "listdir"):
        monkeypatch.setattr(os, name, refusing(name))
    for client_id in ("../../etc", "/abs", "a\x00b", "C-7K/2M9Q", ".git", "-rf"):
        with pytest.raises(InvalidId):
            repo.client_dir(client_id)
        with pytest.raises(InvalidId):
            repo.records.set_fields(casey, client_id, "plan.yaml", ["review_date=2026-06-01"])


def test_a_bad_document_name_is_refused(repo_with_client: Path, invoke_caseflow: Callable[..., Result]) -> None:
    env = {**ONLY_BUILTIN_PLUGINS, "CASEFLOW_USER": "casey"}
    result = invoke_caseflow("--repo", repo_with_client, "set", CLIENT, "../../caseflow.yaml", "agency=x", env=env)
    assert_one_line_refusal(result, "'../../caseflow.yaml' is not a document path")


def test_unknown_acting_person(repo_with_client: Path, invoke_caseflow: Callable[..., Result]) -> None:
    before = snapshot(repo_with_client)
    result = invoke_caseflow(
        "--repo", repo_with_client, "--as", "mallory", "intake", "--name", "X Y", "--dob", "1990-01-01"
    )
    assert_one_line_refusal(result, "'mallory' is not on the staff list in caseflow.yaml")
    result = invoke_caseflow(
        "--repo",
        repo_with_client,
        "intake",
        "--name",
        "X Y",
        "--dob",
        "1990-01-01",
        env={"HOME": str(repo_with_client)},
    )
    assert_one_line_refusal(result, "who is acting?")
    assert snapshot(repo_with_client) == before


def test_outside_a_case_repository(tmp_path: Path, invoke_caseflow: Callable[..., Result]) -> None:
    for args in (["clients"], ["validate"], ["--as", "casey", "intake", "--name", "X", "--dob", "1990-01-01"]):
        result = invoke_caseflow(*args, cwd=tmp_path)
        assert_one_line_refusal(result, "not inside a case repository (no caseflow.yaml here or above)")
    assert list(tmp_path.iterdir()) == []


def test_usage_errors_exit_2(repo_with_client: Path, invoke_caseflow: Callable[..., Result]) -> None:
    invoke_caseflow("--repo", repo_with_client, "intake").assert_refused(2)
    invoke_caseflow(
        "--repo", repo_with_client, "set", CLIENT, "plan.yaml", "no-equals-sign", env={"CASEFLOW_USER": "casey"}
    ).assert_refused(2)


def test_a_folder_that_is_not_a_git_repository(tmp_path: Path, invoke_caseflow: Callable[..., Result]) -> None:
    import shutil

    from caseflow.agency.demo import example_dir

    copy = tmp_path / "copy"
    shutil.copytree(example_dir(), copy)
    result = invoke_caseflow("--repo", copy, "--as", "casey", "set", "C-7K2M9Q", "plan.yaml", "review_date=2026-12-01")
    assert_one_line_refusal(result, f"{copy} is not a git repository")
    invoke_caseflow("--repo", copy, "validate").assert_success()


def test_init_that_git_refuses_leaves_nothing_behind(tmp_path: Path, invoke_caseflow: Callable[..., Result]) -> None:
    refuse_signing = {
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": "commit.gpgsign",
        "GIT_CONFIG_VALUE_0": "true",
        "GIT_CONFIG_KEY_1": "gpg.program",
        "GIT_CONFIG_VALUE_1": "false",
    }
    result = invoke_caseflow("init", tmp_path / "agency", "--agency", "Test", env=refuse_signing)
    assert_one_line_refusal(result, "git refused the first commit")
    assert not (tmp_path / "agency").exists()
    (tmp_path / "empty").mkdir()
    invoke_caseflow("init", tmp_path / "empty", "--agency", "Test", env=refuse_signing).assert_refused(1)
    assert list((tmp_path / "empty").iterdir()) == []
    invoke_caseflow("init", tmp_path / "empty", "--agency", "Test").assert_success()


def test_an_unknown_time_zone_or_empty_acting_person(tmp_path: Path, invoke_caseflow: Callable[..., Result]) -> None:
    result = invoke_caseflow("init", tmp_path / "agency", "--agency", "Test", "--timezone", "Not/AZone")
    assert_one_line_refusal(result, "--timezone 'Not/AZone' is not an IANA time zone", code=2)
    assert not (tmp_path / "agency").exists()
    invoke_caseflow("init", tmp_path / "agency", "--agency", "Test").assert_success()
    result = invoke_caseflow(
        "--repo",
        tmp_path / "agency",
        "--as",
        "",
        "intake",
        "--name",
        "A B",
        "--dob",
        "1990-01-01",
        env={"CASEFLOW_USER": "someone"},
    )
    assert_one_line_refusal(result, "'' is not a staff id")
