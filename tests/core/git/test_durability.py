"""git's durable settings (``core.fsync=all``, ``core.fsyncMethod=fsync``, ``transfer.fsckObjects``,
``receive.fsckObjects``) in every case repository: written by ``caseflow init``, by ``caseflow clone``
before the clone fetches anything, and by any command that opens a repository lacking them. Real
repositories, real git."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.core.git import repository
from caseflow.core.git.repository import (
    DURABLE_SETTINGS,
    ensure_durable,
    local_config_file,
    missing_durable_settings,
)
from caseflow.core.git.runner import GitFailed
from caseflow.testing import Result, git

Run = Callable[..., Result]
KEYS = [f"{section}.{key}" for section, key, _ in DURABLE_SETTINGS]
EXPECTED = {f"{section}.{key}".lower(): value for section, key, value in DURABLE_SETTINGS}


def local_settings(path: Path) -> dict[str, str]:
    """The durable settings as git reads them from the repository's own config only."""
    found = {}
    for key in KEYS:
        done = subprocess.run(["git", "config", "--local", "--get", key], cwd=path, capture_output=True, text=True)
        if done.returncode == 0:
            found[key.lower()] = done.stdout.strip()
    return found


def strip_settings(path: Path) -> None:
    for key in KEYS:
        subprocess.run(["git", "config", "--local", "--unset-all", key], cwd=path, check=False)
    assert local_settings(path) == {}


def test_init_writes_every_durable_setting(tmp_path: Path, invoke_caseflow: Run) -> None:
    path = tmp_path / "agency"
    invoke_caseflow("init", path, "--agency", "Riverbend").assert_success()
    assert local_settings(path) == EXPECTED
    assert missing_durable_settings(path) == []


def test_clone_writes_them_before_it_fetches(
    case_repo: Callable[..., Path], tmp_path: Path, invoke_caseflow: Run
) -> None:
    origin = case_repo()
    strip_settings(origin)  # the remote lacks them: a clone must not depend on its remote's config
    hub = tmp_path / "hub.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(origin), str(hub)], check=True)
    for url in (str(hub), f"file://{hub}"):
        target = tmp_path / f"laptop-{len(url)}"
        invoke_caseflow("clone", url, target).assert_success()
        assert local_settings(target) == EXPECTED, url


def test_clone_refuses_a_remote_holding_a_malformed_object(
    case_repo: Callable[..., Path], tmp_path: Path, invoke_caseflow: Run
) -> None:
    """transfer.fsckObjects is in force during the clone's own fetch: a broken commit is refused."""
    origin = case_repo()
    tree = git(origin, "rev-parse", "HEAD^{tree}").strip()
    parent = git(origin, "rev-parse", "HEAD").strip()
    broken = f"tree {tree}\nparent {parent}\nauthor No Email <> 0 +0000\ncommitter x <x@x> notatime +0000\n\nbroken\n"
    done = subprocess.run(
        ["git", "hash-object", "-t", "commit", "-w", "--literally", "--stdin"],
        cwd=origin,
        input=broken,
        capture_output=True,
        text=True,
        check=True,
    )
    git(origin, "update-ref", "refs/heads/main", done.stdout.strip())
    target = tmp_path / "laptop"
    refused = invoke_caseflow("clone", f"file://{origin}", target).assert_refused()
    assert "the remote holds a damaged object" in refused.stderr and "badDate" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert not (target / "caseflow.yaml").exists()


def test_any_command_adds_them_to_a_repository_that_lacks_them(
    case_repo: Callable[..., Path], run_caseflow: Run
) -> None:
    path = case_repo()
    strip_settings(path)
    run_caseflow("clients", cwd=path, env={"CASEFLOW_USER": "casey"}).assert_success()
    assert local_settings(path) == EXPECTED


def test_some_missing_only_those_are_added_and_a_chosen_value_is_kept(
    case_repo: Callable[..., Path], invoke_caseflow: Run
) -> None:
    path = case_repo()
    strip_settings(path)
    git(path, "config", "--local", "core.fsync", "committed")  # someone's choice, on purpose
    git(path, "config", "--local", "receive.fsckObjects", "false")
    assert missing_durable_settings(path) == ["core.fsyncMethod", "transfer.fsckObjects"]
    invoke_caseflow("clients", cwd=path, env={"CASEFLOW_USER": "casey"}).assert_success()
    assert local_settings(path) == {
        "core.fsync": "committed",
        "core.fsyncmethod": "fsync",
        "transfer.fsckobjects": "true",
        "receive.fsckobjects": "false",
    }


def test_a_repository_that_has_them_starts_no_git(
    case_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = case_repo()
    assert local_settings(path) == EXPECTED

    def no_git(*args: object, **kwargs: object) -> str:
        raise AssertionError(f"git started: {args}")

    monkeypatch.setattr(repository, "git", no_git)
    assert ensure_durable(path) == []


def test_a_config_that_cannot_be_written_is_left_and_the_command_still_runs(
    case_repo: Callable[..., Path], invoke_caseflow: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = case_repo()
    strip_settings(path)

    def refused(*args: object, **kwargs: object) -> str:
        raise GitFailed("could not lock config file .git/config: Permission denied")

    monkeypatch.setattr(repository, "git", refused)
    invoke_caseflow("clients", cwd=path, env={"CASEFLOW_USER": "casey"}).assert_success()
    assert local_settings(path) == {}
    monkeypatch.undo()
    assert ensure_durable(path) == KEYS  # the next command tries again
    assert local_settings(path) == EXPECTED


def test_a_linked_worktree_reads_and_writes_its_main_repository_config(
    case_repo: Callable[..., Path], tmp_path: Path
) -> None:
    path = case_repo()
    strip_settings(path)
    worktree = tmp_path / "second"
    git(path, "worktree", "add", "-q", "-b", "second", str(worktree))
    config = local_config_file(worktree)
    assert config is not None and config.resolve() == (path / ".git" / "config").resolve()
    assert missing_durable_settings(worktree) == KEYS
    assert ensure_durable(worktree) == KEYS
    assert local_settings(path) == EXPECTED
    assert missing_durable_settings(path) == []


def test_not_a_git_repository_is_left_alone(tmp_path: Path) -> None:
    assert missing_durable_settings(tmp_path) is None
    assert ensure_durable(tmp_path) == []


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("[core]\n\tfsync = all\n\tfsyncMethod = fsync\n[transfer]\n\tfsckObjects\n[receive]\nfsckobjects=1\n", []),
        ("[Core]\n\tFSYNC = all\n", ["core.fsyncMethod", "transfer.fsckObjects", "receive.fsckObjects"]),
        (
            '[remote "core"]\n\tfsync = all\n[core] fsyncMethod = fsync\n',
            ["core.fsync", "transfer.fsckObjects", "receive.fsckObjects"],
        ),
        ("[core]\n\t# fsync = all\n\t; fsyncMethod = fsync\n[transfer]\n", KEYS),
        ("", KEYS),
    ],
)
def test_the_config_file_is_read_as_git_reads_it(tmp_path: Path, text: str, missing: list[str]) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text(text)
    assert missing_durable_settings(tmp_path) == missing
