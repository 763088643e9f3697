"""``caseflow init``: a new repository, and with ``--admin`` its first member of staff (a director,
the admin), so nobody bootstraps with an unchecked ``staff add``; ``--require-signing`` with a real
ssh-keygen key. The CLI in process, real git repositories."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.core.config import FORMAT_VERSION
from caseflow.core.configfile import parse_config
from caseflow.testing import Result, git

needs_ssh_keygen = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs OpenSSH's ssh-keygen")

AGENCY = ("--agency", "Riverbend Community Services", "--timezone", "America/Chicago")
DANA = ("--admin", "dana", "--name", "Dana Okonkwo", "--email", "dana@riverbend.example")


def make_key(folder: Path, who: str) -> Path:
    """A real ed25519 key pair (no passphrase); the private key's path (``.pub`` beside it)."""
    path = folder / who
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(path)], check=True)
    return path


def test_init_without_admin_works_as_before_and_points_to_admin(
    invoke_caseflow: Callable[..., Result], tmp_path: Path
) -> None:
    repo = tmp_path / "cases"
    made = invoke_caseflow("init", repo, *AGENCY).assert_success()
    assert "--admin" in made.stdout
    config = parse_config((repo / "caseflow.yaml").read_bytes())
    assert config.staff == ()
    assert config.format == FORMAT_VERSION
    assert not config.signing_required


def test_init_with_admin_lets_the_director_add_staff_and_verify_passes(
    invoke_caseflow: Callable[..., Result], tmp_path: Path
) -> None:
    repo = tmp_path / "cases"
    made = invoke_caseflow("init", repo, *AGENCY, *DANA).assert_success()
    assert "dana (director) is the admin" in made.stderr
    text = (repo / "caseflow.yaml").read_text()
    assert "# plugins:" in text and "# admin:" in text  # the comments for the IT person stay
    config = parse_config(text.encode())
    (dana,) = config.staff
    assert (dana.id, dana.name, dana.email, dana.role) == ("dana", "Dana Okonkwo", "dana@riverbend.example", "director")
    assert config.admins == (dana,)
    # the first commit is the admin's
    assert git(repo, "log", "--format=%an <%ae>").strip() == "Dana Okonkwo <dana@riverbend.example>"

    invoke_caseflow(
        "--repo", repo, "--as", "dana", "staff", "add", "casey", "--name", "Casey Rivera",
        "--email", "casey@riverbend.example", "--role", "case_manager",
    ).assert_success()  # fmt: skip
    checked = invoke_caseflow("--repo", repo, "verify").assert_success()
    assert "2 commits keep every rule" in checked.stderr


def test_a_case_manager_added_later_cannot_add_staff(invoke_caseflow: Callable[..., Result], tmp_path: Path) -> None:
    repo = tmp_path / "cases"
    invoke_caseflow("init", repo, *AGENCY, *DANA).assert_success()
    invoke_caseflow(
        "--repo", repo, "--as", "dana", "staff", "add", "casey", "--name", "Casey Rivera",
        "--email", "casey@riverbend.example", "--role", "case_manager",
    ).assert_success()  # fmt: skip
    head = git(repo, "rev-parse", "HEAD")
    refused = invoke_caseflow(
        "--repo", repo, "--as", "casey", "staff", "add", "robin", "--name", "Robin Okafor",
        "--email", "robin@riverbend.example", "--role", "supervisor",
    ).assert_refused()  # fmt: skip
    assert "only an admin adds staff (dana)" in refused.stderr
    assert git(repo, "rev-parse", "HEAD") == head
    assert "robin" not in (repo / "caseflow.yaml").read_text()


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("--require-signing", *DANA), "--require-signing needs"),
        (("--require-signing",), "--require-signing needs"),
        (("--admin", "dana", "--name", "Dana Okonkwo"), "--admin needs --name and --email"),
        (("--name", "Dana Okonkwo", "--email", "dana@riverbend.example"), "give it with --admin ID"),
        (("--admin", "Dana!", "--name", "Dana", "--email", "dana@riverbend.example"), "Dana!"),
        (("--admin", "dana", "--name", "Dana", "--email", "dana.riverbend.example"), "not an email address"),
    ],
)
def test_init_refuses_an_incomplete_admin_and_creates_nothing(
    invoke_caseflow: Callable[..., Result], tmp_path: Path, args: tuple[str, ...], reason: str
) -> None:
    repo = tmp_path / "cases"
    refused = invoke_caseflow("init", repo, *AGENCY, *args)
    assert refused.exit_code in (1, 2)
    assert reason in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1  # one line: the reason
    assert not repo.exists()


def test_init_refuses_a_private_key_given_as_the_public_one(
    invoke_caseflow: Callable[..., Result], tmp_path: Path
) -> None:
    private = tmp_path / "dana"
    private.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
    refused = invoke_caseflow("init", tmp_path / "cases", *AGENCY, *DANA, "--key", private).assert_refused()
    assert "is a private key" in refused.stderr
    assert not (tmp_path / "cases").exists()


@needs_ssh_keygen
def test_init_require_signing_then_a_signed_write_verifies(
    invoke_caseflow: Callable[..., Result], tmp_path: Path
) -> None:
    key = make_key(tmp_path, "dana")
    repo = tmp_path / "cases"
    made = invoke_caseflow("init", repo, *AGENCY, *DANA, "--key", f"{key}.pub", "--require-signing").assert_success()
    assert "signing with SHA256:" in made.stderr
    config = parse_config((repo / "caseflow.yaml").read_bytes())
    assert config.signing_required and config.signing_baseline is None  # the first commit needs no baseline
    public = (Path(f"{key}.pub").read_text().split())[:2]
    assert config.staff[0].keys == (" ".join(public),)

    signed = {"CASEFLOW_SIGNING_KEY": str(key), "CASEFLOW_USER": "dana"}
    invoke_caseflow(
        "--repo", repo, "staff", "add", "sam", "--name", "Sam Whitfield",
        "--email", "sam@riverbend.example", "--role", "supervisor", env=signed,
    ).assert_success()  # fmt: skip
    assert git(repo, "cat-file", "commit", "HEAD").count("-----BEGIN SSH SIGNATURE-----") == 1
    checked = invoke_caseflow("--repo", repo, "verify").assert_success()
    assert "2 commits keep every rule" in checked.stderr

    # without her key, the admin's next write is refused, and nothing is written
    head = git(repo, "rev-parse", "HEAD")
    invoke_caseflow(
        "--repo", repo, "staff", "add", "robin", "--name", "Robin Okafor",
        "--email", "robin@riverbend.example", "--role", "case_manager", env={"CASEFLOW_USER": "dana"},
    ).assert_refused()  # fmt: skip
    assert git(repo, "rev-parse", "HEAD") == head
