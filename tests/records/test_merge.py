"""``caseflow merge-clients KEEP OTHER``: two records of one person joined, both histories kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow import CaseRepo, open_repo
from caseflow.testing import ONLY_BUILTIN_PLUGINS, Result, commit_files, copy_repo, git, hermetic


@pytest.fixture(scope="module")
def _twins_taken_in(_template_case_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str, str]:
    """One fictional person entered twice: KEEP and OTHER each with a plan; OTHER with a contact
    note whose name KEEP also has (by chance), KEEP's own note of that name differing. Built once
    for the module: each test merges a copy."""
    with hermetic():
        root = copy_repo(_template_case_repo, tmp_path_factory.mktemp("merge") / "cases")
        repo = open_repo(root, environ=ONLY_BUILTIN_PLUGINS)
        casey = repo.actor("casey")
        keep = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
        other = repo.records.intake(casey, name="Ana Exampel", dob="1990-04-02", new_person=True)
        for client in (keep, other):
            repo.records.new_document(casey, client, "core.plan")
        note = repo.records.new_document(casey, other, "core.visit", fields=["type=home", "date=2026-02-03"]).path
        inner = note.split("/", 2)[2]
        text = (root / note).read_text().replace(other, keep).replace("## Next steps", "## Next steps\n\nKEEP's own.")
        commit_files(root, {f"clients/{keep}/{inner}": text})
    return root, keep, other, inner


@pytest.fixture
def twins(_twins_taken_in: tuple[Path, str, str, str], tmp_path: Path) -> tuple[CaseRepo, str, str, str]:
    built, keep, other, inner = _twins_taken_in
    return open_repo(copy_repo(built, tmp_path / "cases"), environ=ONLY_BUILTIN_PLUGINS), keep, other, inner


def test_merge_moves_every_document_without_overwriting_and_keeps_the_record(
    twins: tuple[CaseRepo, str, str, str], invoke_caseflow: Callable[..., Result]
) -> None:
    repo, keep, other, note = twins
    root = repo.root
    keep_note = (root / "clients" / keep / note).read_bytes()
    other_plan = (root / "clients" / other / "plan.yaml").read_bytes()
    commits = int(git(root, "rev-list", "--count", "HEAD"))
    merged = invoke_caseflow("--as", "sam", "merge-clients", keep, other, "--reason", "entered twice", cwd=root)
    assert f"{other} merged into {keep}" in merged.assert_success().stderr
    assert int(git(root, "rev-list", "--count", "HEAD")) == commits + 1  # one commit
    assert git(root, "log", "-1", "--format=%an|%s").startswith(f"Sam Whitfield|merge-clients {keep}")
    assert f"Caseflow-Merged-From: {other}" in git(root, "log", "-1", "--format=%b")
    assert not (root / "clients" / other).exists()
    folder = root / "clients" / keep
    # OTHER's record and its clashing plan are kept as they were; its note is renamed, never overwriting
    assert (folder / "merged-from" / other / "client.yaml").read_text().count(f"id: {other}") == 1
    assert (folder / "merged-from" / other / "plan.yaml").read_bytes() == other_plan
    assert (folder / note).read_bytes() == keep_note
    notes = sorted(p.name for p in (folder / "visits").iterdir())
    assert len(notes) == 2
    moved = next(n for n in notes if f"visits/{n}" != note)
    assert f"client: {keep}\n" in (folder / "visits" / moved).read_text()  # its client is KEEP now
    record = repo.client_record(keep)
    assert record["merged_from"] == [
        {"id": other, "on": repo.today().isoformat(), "by": "sam", "reason": "entered twice"}
    ]
    # both histories remain: the moved note's life in OTHER's folder is found by following it
    follow = git(root, "log", "--follow", "--format=%s", "--", f"clients/{keep}/visits/{moved}")
    assert len(follow.splitlines()) == 2 and follow.splitlines()[-1].endswith(other)  # made in OTHER's folder
    # merged records are no live documents, and OTHER's id points to KEEP
    assert open_repo(root, environ=ONLY_BUILTIN_PLUGINS).validate().ok
    assert [c["id"] for c in repo.clients()] == [keep]
    shown = invoke_caseflow("--as", "sam", "show", other, cwd=root).assert_refused(1)
    assert f"{other} was merged into {keep}; use {keep}" in shown.stderr
    found = invoke_caseflow("--as", "sam", "find", "1990-04-02", "--json", cwd=root).assert_success()
    assert other not in found.stdout and keep in found.stdout


@pytest.mark.parametrize(
    ("who", "ids", "why"),
    [
        ("sam", ("KEEP", "KEEP"), "cannot be merged into itself"),
        ("sam", ("KEEP", "C-ZZZZZZ"), "no client C-ZZZZZZ"),
        ("casey", ("KEEP", "OTHER"), "casey may not merge clients"),
    ],
)
def test_merge_refusals_write_nothing(
    twins: tuple[CaseRepo, str, str, str],
    invoke_caseflow: Callable[..., Result],
    who: str,
    ids: tuple[str, str],
    why: str,
) -> None:
    repo, keep, other, _ = twins
    named = [{"KEEP": keep, "OTHER": other}.get(i, i) for i in ids]
    head = git(repo.root, "rev-parse", "HEAD")
    refused = invoke_caseflow("--as", who, "merge-clients", *named, cwd=repo.root).assert_refused(1)
    assert why in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert git(repo.root, "rev-parse", "HEAD") == head and git(repo.root, "status", "--porcelain") == ""


def test_merging_into_a_discharged_client_needs_a_reason(
    twins: tuple[CaseRepo, str, str, str], invoke_caseflow: Callable[..., Result]
) -> None:
    repo, keep, other, _ = twins
    path = repo.root / "clients" / keep / "client.yaml"
    # a closed case, as the history would have it (the stage rules are not what this test is about)
    text = path.read_text().replace("stage: intake", "stage: discharged")
    closed = "    reason: intake\n  - from: intake\n    to: discharged\n    on: 2026-01-05\n    by: sam\n"
    commit_files(repo.root, {f"clients/{keep}/client.yaml": text.replace("    reason: intake\n", closed)})
    head = git(repo.root, "rev-parse", "HEAD")
    refused = invoke_caseflow("--as", "sam", "merge-clients", keep, other, cwd=repo.root).assert_refused(1)
    assert f"{keep} is discharged" in refused.stderr and "--reason" in refused.stderr
    assert git(repo.root, "rev-parse", "HEAD") == head
    invoke_caseflow(
        "--as", "sam", "merge-clients", keep, other, "--reason", "late paperwork", cwd=repo.root
    ).assert_success()
