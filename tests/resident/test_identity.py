"""A resident index answers exactly what the command computes itself, whatever happened before:
caseflow's writes, hand edits (valid or not), staging and committing by hand, deletions."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.testing import git, invoke
from tests.resident.conftest import Resident

TODAY = "2026-11-20"
ENV = {"CASEFLOW_TODAY": TODAY, "CASEFLOW_USER": "sam"}
READS = [
    ("clients",),
    ("clients", "--json"),
    ("due", "--all"),
    ("due", "--worker", "casey", "--json"),
    ("review", "--json"),
    ("validate",),
    ("validate", "--json"),
]


def _documents(root: Path) -> list[Path]:
    return sorted(p for p in (root / "clients").rglob("*") if p.is_file() and p.suffix in (".yaml", ".md"))


def _clients(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "clients").iterdir() if p.is_dir())


def _caseflow_write(root: Path, rng: random.Random) -> None:
    client = rng.choice(_clients(root))
    if rng.random() < 0.5:
        invoke("--repo", root, "visit", client, "--type", rng.choice(["phone", "office"]), env=ENV)
    else:
        invoke(
            "--repo",
            root,
            "set",
            client,
            "plan.yaml",
            f"review_date=2026-0{rng.randint(3, 9)}-1{rng.randint(0, 9)}",
            env=ENV,
        )


def _hand_edit(root: Path, rng: random.Random) -> None:
    target = rng.choice(_documents(root))
    text = target.read_text()
    choice = rng.random()
    if choice < 0.4:
        target.write_text(text + "\n# a note typed by hand\n")
    elif choice < 0.7:
        target.write_text(text.replace("2026-", "2025-", 1))
    else:
        target.write_text(text + "\nbroken: [unclosed\n")  # does not parse: a problem to report


def _hand_stage(root: Path, rng: random.Random) -> None:
    git(root, "add", "-A", "clients")


def _hand_commit(root: Path, rng: random.Random) -> None:
    git(root, "add", "-A", "clients")
    git(root, "commit", "-q", "--allow-empty", "-m", "by hand")


def _hand_delete(root: Path, rng: random.Random) -> None:
    rng.choice([p for p in _documents(root) if p.name != "client.yaml"]).unlink()


def _undo_by_hand(root: Path, rng: random.Random) -> None:
    git(root, "reset", "-q", "--hard")


def _unstage_by_hand(root: Path, rng: random.Random) -> None:
    """git's index alone moves: a document no longer staged (no file in the working tree changes)."""
    git(root, "rm", "-q", "--cached", str(rng.choice(_documents(root)).relative_to(root)))


def _git_status(root: Path, rng: random.Random) -> None:
    """git rewrites its index for its stat cache (after a commit it does): nothing staged changes."""
    git(root, "status", "--porcelain")


def _back_a_commit(root: Path, rng: random.Random) -> None:
    if git(root, "rev-list", "--count", "HEAD").strip() != "1":
        git(root, "reset", "-q", "--hard", "HEAD~1")


STEPS: list[Callable[[Path, random.Random], None]] = [
    _caseflow_write,
    _hand_edit,
    _hand_stage,
    _hand_commit,
    _hand_delete,
    _undo_by_hand,
    _unstage_by_hand,
    _git_status,
    _back_a_commit,
]


#: The fast suite's share: one of each command (the slow test asks every form above).
QUICK_READS = [("clients", "--json"), ("due", "--all"), ("review", "--json"), ("validate",)]


def _assert_same_answers(resident: Resident, root: Path, what: str, reads: list[tuple[str, ...]]) -> None:
    for argv in reads:
        answered = resident.ask(*argv, env=ENV)
        computed = invoke("--repo", root, *argv, env=ENV)
        assert (answered.exit_code, answered.stdout, answered.stderr) == (
            computed.exit_code,
            computed.stdout,
            computed.stderr,
        ), f"{' '.join(argv)} differs after {what}"


def _walk(resident: Resident, root: Path, seed: int, steps: int, reads: list[tuple[str, ...]]) -> None:
    rng = random.Random(seed)
    assert resident.ask("due", "--all", env=ENV).stdout.count("\n") > 5  # (answers worth comparing)
    _assert_same_answers(resident, root, "start", reads)
    done = []
    for _ in range(steps):
        step = rng.choice(STEPS)
        step(root, rng)
        done.append(step.__name__)
        _assert_same_answers(resident, root, f"seed {seed}: {' '.join(done)}", reads)
    assert resident.status()["answered"] == len(reads) * (steps + 1) + 1


@pytest.mark.parametrize("seed", [1])
def test_answers_equal_the_commands_own_over_random_edits(
    demo_repo: Callable[..., Path], start_resident: Callable[..., Resident], seed: int
) -> None:
    root = demo_repo()
    resident = start_resident(root)
    _walk(resident, root, seed, steps=6, reads=QUICK_READS)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2, 7))
def test_answers_equal_the_commands_own_over_long_random_edits(
    demo_repo: Callable[..., Path], start_resident: Callable[..., Resident], seed: int
) -> None:
    root = demo_repo()
    resident = start_resident(root)
    _walk(resident, root, seed, steps=25, reads=READS)
