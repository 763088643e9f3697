"""Intake, set, new and staff through the Python API (caseflow.open_repo)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow import (
    AlreadyExists,
    CaseflowError,
    CaseRepo,
    DocumentError,
    NotAllowed,
    NotFound,
    StoreError,
    UnknownPerson,
    UsageError,
    open_repo,
)
from caseflow.testing import ONLY_BUILTIN_PLUGINS, git


@pytest.fixture
def repo(case_repo: Callable[..., Path]) -> CaseRepo:
    return open_repo(case_repo(), environ=ONLY_BUILTIN_PLUGINS)


def head(repo: CaseRepo) -> str:
    return git(repo.root, "rev-parse", "HEAD")


def test_intake_creates_one_committed_client_record(repo: CaseRepo) -> None:
    casey = repo.actor("casey")
    client_id = repo.records.intake(
        casey, name="Ana Example", dob="1990-04-02", phone="555-0100", fields=["language=Spanish"]
    )
    assert re.fullmatch(r"C-[0-9A-HJKMNP-TV-Z]{6}", client_id)
    record = repo.client_record(client_id)
    assert record["stage"] == "intake"
    assert record["assigned_worker"] == "casey"
    assert record["language"] == "Spanish"
    assert record["stage_history"][0]["to"] == "intake"
    log = git(repo.root, "log", "-1", "--format=%an|%s|%b")
    assert log.startswith(f"Casey Rivera|intake {client_id}|")
    assert "Ana" not in git(repo.root, "log", "--format=%B")
    assert git(repo.root, "status", "--porcelain") == ""
    assert repo.validate().ok


def test_intake_refuses_an_invalid_date_of_birth_and_writes_nothing(repo: CaseRepo) -> None:
    before = head(repo)
    with pytest.raises(DocumentError, match=r"client.yaml:4:6: Date of birth: the value is not a date"):
        repo.records.intake(repo.actor("casey"), name="Ana Example", dob="2026-13-45")
    assert head(repo) == before
    assert not (repo.root / "clients").exists()


def test_intake_cannot_be_tricked_by_typed_text(repo: CaseRepo) -> None:
    client_id = repo.records.intake(repo.actor("casey"), name="Ana\nstage: discharged", dob="1990-04-02")
    record = repo.client_record(client_id)
    assert record["name"] == "Ana\nstage: discharged"
    assert record["stage"] == "intake"


def test_supervisor_must_name_the_worker(repo: CaseRepo) -> None:
    with pytest.raises(UsageError, match="--worker"):
        repo.records.intake(repo.actor("sam"), name="Ana Example", dob="1990-04-02")
    client_id = repo.records.intake(repo.actor("sam"), name="Ana Example", dob="1990-04-02", worker="robin")
    assert repo.client_record(client_id)["assigned_worker"] == "robin"


def test_set_changes_one_line_and_commits(repo: CaseRepo) -> None:
    casey = repo.actor("casey")
    client_id = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    saved = repo.records.set_fields(
        casey, client_id, "client.yaml", ["address.city=Springfield", "interpreter_needed=true"]
    )
    assert saved.commit == head(repo).strip()
    diff = git(repo.root, "diff", "HEAD~1", "--unified=0", "--", saved.path)
    added = [line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert added == ["+address:", "+  city: Springfield", "+interpreter_needed: true"]
    assert repo.client_record(client_id)["interpreter_needed"] is True


def test_set_by_list_item_id(repo: CaseRepo) -> None:
    casey = repo.actor("casey")
    client_id = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    repo.records.new_document(
        casey,
        client_id,
        "core.plan",
        fields=["goals[+].id=g1", "goals[g1].title=Stable housing", "goals[g1].status=active"],
    )
    repo.records.set_fields(casey, client_id, "core.plan", ["goals[g1].status=met"])
    diff = git(repo.root, "diff", "HEAD~1", "--unified=0")
    assert [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")] == [
        "-    status: active",
        "+    status: met",
    ]


def test_set_refuses_an_invalid_value_and_leaves_the_file(repo: CaseRepo) -> None:
    casey = repo.actor("casey")
    client_id = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    before = (repo.root / f"clients/{client_id}/client.yaml").read_bytes()
    with pytest.raises(DocumentError, match="Interpreter needed: expected boolean"):
        repo.records.set_fields(casey, client_id, "client.yaml", ["interpreter_needed=perhaps"])
    assert (repo.root / f"clients/{client_id}/client.yaml").read_bytes() == before
    with pytest.raises(NotFound, match="no item with id 'g7'"):
        repo.records.set_fields(casey, client_id, "client.yaml", ["risk_flags[g7].flag=x"])
    with pytest.raises(UsageError, match="form cannot be changed"):
        repo.records.set_fields(casey, client_id, "client.yaml", ["form=core.plan"])


def test_set_refuses_to_fold_in_uncommitted_hand_edits(repo: CaseRepo) -> None:
    casey = repo.actor("casey")
    client_id = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    path = repo.root / f"clients/{client_id}/client.yaml"
    path.write_text(path.read_text() + "pronouns: she/her\n")
    with pytest.raises(StoreError, match="not committed yet"):
        repo.records.set_fields(casey, client_id, "client.yaml", ["language=Spanish"])
    assert path.read_text().endswith("pronouns: she/her\n")


def test_new_document_from_skeleton_with_fields(repo: CaseRepo) -> None:
    casey = repo.actor("casey")
    client_id = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    saved = repo.records.new_document(
        casey, client_id, "core.visit", fields=["type=home", "date=2026-02-03", "duration_minutes=45"]
    )
    # named by date and type, then a short id: how many this clone had that day, and four random
    # characters (unique across clones)
    assert re.fullmatch(rf"clients/{client_id}/visits/2026-02-03-home-0[0-9a-hjkmnp-tv-z]{{4}}\.md", saved.path)
    again = repo.records.new_document(casey, client_id, "core.visit", fields=["type=home", "date=2026-02-03"])
    assert re.fullmatch(rf"clients/{client_id}/visits/2026-02-03-home-1[0-9a-hjkmnp-tv-z]{{4}}\.md", again.path)
    text = (repo.root / saved.path).read_text()
    assert text.startswith("---\nform: core.visit\n") and "duration_minutes: 45\n" in text and "## Next steps" in text
    with pytest.raises(AlreadyExists, match="caseflow set"):
        repo.records.new_document(casey, client_id, "core.plan")
        repo.records.new_document(casey, client_id, "core.plan")


def test_new_with_editor_keeps_an_invalid_draft(repo: CaseRepo) -> None:
    casey = repo.actor("casey")
    client_id = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    before = head(repo)

    def careless_editor(path: Path) -> None:
        path.write_text(path.read_text().replace("type: office", "type: carpool") + "\nA long note I typed.\n")

    with pytest.raises(DocumentError) as caught:
        repo.records.new_document(casey, client_id, "core.visit", edit=True, editor=careless_editor)
    draft = Path(caught.value.note.split("kept at ")[1].split(";")[0])
    assert draft.read_text().endswith("A long note I typed.\n")
    assert str(caught.value.problems[0]).startswith(f"{draft}:5:7: Contact type: 'carpool' is not one of")
    assert head(repo) == before

    draft.write_text(draft.read_text().replace("type: carpool", "type: phone"))
    saved = repo.records.new_document(casey, client_id, "core.visit", from_file=draft)
    assert (repo.root / saved.path).read_text().endswith("A long note I typed.\n")


def test_actor_comes_from_as_then_environment(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    assert open_repo(path, environ={**ONLY_BUILTIN_PLUGINS, "CASEFLOW_USER": "robin"}).actor().id == "robin"
    assert open_repo(path, environ={**ONLY_BUILTIN_PLUGINS, "CASEFLOW_USER": "robin"}).actor("sam").id == "sam"
    with pytest.raises(UnknownPerson, match="'nobody' is not on the staff list"):
        open_repo(path, environ=ONLY_BUILTIN_PLUGINS).actor("nobody")


def test_actor_from_git_email(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    git(path, "config", "user.email", "ROBIN@riverbend.example")
    assert open_repo(path, environ=ONLY_BUILTIN_PLUGINS).actor().id == "robin"
    git(path, "config", "user.email", "stranger@example.org")
    with pytest.raises(UnknownPerson, match="who is acting"):
        open_repo(path, environ=ONLY_BUILTIN_PLUGINS).actor()


def test_only_supervisors_add_staff(repo: CaseRepo) -> None:
    with pytest.raises(NotAllowed, match="supervisor or director"):
        repo.agency.add_staff(
            repo.actor("casey"), staff_id="lee", name="Lee Example", email="lee@riverbend.example", role="case_manager"
        )
    repo.agency.add_staff(
        repo.actor("sam"), staff_id="lee", name="Lee Example", email="lee@riverbend.example", role="case_manager"
    )
    assert open_repo(repo.root, environ=ONLY_BUILTIN_PLUGINS).actor("lee").role == "case_manager"
    with pytest.raises(AlreadyExists):
        repo.agency.add_staff(
            repo.actor("sam"), staff_id="casey", name="X", email="x@riverbend.example", role="director"
        )


def test_agency_templates_override_the_built_in_skeleton(case_repo: Callable[..., Path]) -> None:
    override = (
        "---\nform: core.visit\nclient: {{ client_id }}\ndate: {{ today }}\ntype: phone\nauthor: {{ actor }}\n---\n"
        "# Riverbend contact note\n"
    )
    path = case_repo({"templates/forms/visit.md.j2": override})
    repo = open_repo(path, environ=ONLY_BUILTIN_PLUGINS)
    casey = repo.actor("casey")
    client_id = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    saved = repo.records.new_document(casey, client_id, "core.visit")
    assert (repo.root / saved.path).read_text().endswith("---\n# Riverbend contact note\n")


def test_agency_templates_run_sandboxed(case_repo: Callable[..., Path]) -> None:
    sneaky = "form: core.plan\nclient: {{ client_id }}\nx: {{ ''.__class__.__mro__[1].__subclasses__() }}\n"
    path = case_repo({"templates/forms/plan.yaml.j2": sneaky})
    repo = open_repo(path, environ=ONLY_BUILTIN_PLUGINS)
    casey = repo.actor("casey")
    client_id = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    before = head(repo)
    with pytest.raises(CaseflowError, match="sandbox forbids"):
        repo.records.new_document(casey, client_id, "core.plan")
    assert head(repo) == before


def test_a_missing_editor_keeps_the_draft_and_says_so(repo: CaseRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    casey = repo.actor("casey")
    client_id = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    monkeypatch.setenv("EDITOR", "/nonexistent/editor --wait")
    monkeypatch.delenv("VISUAL", raising=False)
    with pytest.raises(DocumentError) as caught:
        repo.records.new_document(casey, client_id, "core.visit", edit=True)
    assert "could not start the editor '/nonexistent/editor --wait'" in str(caught.value)
    draft = Path(caught.value.note.split("kept at ")[1].split(";")[0])
    assert draft.exists() and oct(draft.stat().st_mode & 0o777) == "0o600"


def test_a_one_per_client_document_is_refused_before_the_editor_opens(repo: CaseRepo) -> None:
    casey = repo.actor("casey")
    client_id = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    repo.records.new_document(casey, client_id, "core.plan")
    opened: list[Path] = []
    with pytest.raises(AlreadyExists):
        repo.records.new_document(casey, client_id, "core.plan", edit=True, editor=opened.append)
    assert opened == []


def test_a_resumed_draft_is_removed_once_it_is_committed(repo: CaseRepo) -> None:
    casey = repo.actor("casey")
    client_id = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")

    def wrong_type(path: Path) -> None:
        path.write_text(path.read_text().replace("type: office", "type: carpool"))

    with pytest.raises(DocumentError) as caught:
        repo.records.new_document(casey, client_id, "core.visit", edit=True, editor=wrong_type)
    draft = Path(caught.value.note.split("kept at ")[1].split(";")[0])
    draft.write_text(draft.read_text().replace("type: carpool", "type: video"))
    saved = repo.records.new_document(casey, client_id, "core.visit", from_file=draft)
    assert "-video-" in saved.path
    assert not draft.exists()


def test_a_client_is_assigned_only_to_staff(repo: CaseRepo) -> None:
    casey = repo.actor("casey")
    with pytest.raises(DocumentError, match="assigned worker 'mallory' is not on the staff list"):
        repo.records.intake(casey, name="Ana Example", dob="1990-04-02", fields=["assigned_worker=mallory"])
    client_id = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    with pytest.raises(DocumentError, match=r"client.yaml:5:18: assigned worker 'mallory'"):
        repo.records.set_fields(casey, client_id, "client.yaml", ["assigned_worker=mallory"])
    with pytest.raises(UnknownPerson, match="supervisor 'nobody'"):
        repo.agency.add_staff(
            repo.actor("sam"),
            staff_id="lee",
            name="Lee Example",
            email="lee@x.example",
            role="case_manager",
            supervisor="nobody",
        )


def test_nothing_bigger_than_the_reading_cap_is_committed(repo: CaseRepo, tmp_path: Path) -> None:
    casey = repo.actor("casey")
    client_id = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    huge = tmp_path / "huge.md"
    huge.write_text(
        f"---\nform: core.visit\nclient: {client_id}\ndate: 2026-02-03\ntype: phone\nauthor: casey\n---\n"
        + "x" * 2_000_000
    )
    before = head(repo)
    with pytest.raises(DocumentError, match="capped at 1,048,576"):
        repo.records.new_document(casey, client_id, "core.visit", from_file=huge)
    with pytest.raises(DocumentError, match="is not a regular file"):
        repo.records.new_document(casey, client_id, "core.visit", from_file=Path("/dev/zero"))
    with pytest.raises(DocumentError, match=r"would be .* bytes; documents are capped"):
        repo.records.set_fields(casey, client_id, "client.yaml", [f"address.line1={'y' * 1_100_000}"])
    assert head(repo) == before


def test_an_editor_that_swaps_the_draft_for_a_link_or_folder_is_refused(repo: CaseRepo, tmp_path: Path) -> None:
    casey = repo.actor("casey")
    client_id = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    secret = tmp_path / "secret.md"
    secret.write_text("---\nform: core.visit\n---\n")

    def link_it(path: Path) -> None:
        path.unlink()
        path.symlink_to(secret)

    def folder_it(path: Path) -> None:
        path.unlink()
        path.mkdir()

    def remove_it(path: Path) -> None:
        path.unlink()

    with pytest.raises(DocumentError, match="is a symbolic link"):
        repo.records.new_document(casey, client_id, "core.visit", edit=True, editor=link_it)
    with pytest.raises(DocumentError, match="is not a regular file"):
        repo.records.new_document(casey, client_id, "core.visit", edit=True, editor=folder_it)
    with pytest.raises(DocumentError) as caught:
        repo.records.new_document(casey, client_id, "core.visit", edit=True, editor=remove_it)
    assert caught.value.note == "the draft file is gone (removed by the editor?); nothing was saved"


def test_ids_are_unique_and_file_names_agree_with_their_fields(repo: CaseRepo) -> None:
    casey = repo.actor("casey")
    client_id = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    fields = ["id=R-AAAAAA", "provider=eastside-counseling", "service=Counseling", "category=counseling"]
    repo.records.new_document(casey, client_id, "core.referral", fields=fields)
    with pytest.raises(AlreadyExists, match="ids are unique"):
        repo.records.new_document(casey, client_id, "core.referral", fields=fields)
    with pytest.raises(DocumentError, match=r"needs a valid 'id'"):
        repo.records.new_document(casey, client_id, "core.referral", fields=["id=../../x", *fields[1:]])
    moved = repo.root / f"clients/{client_id}/referrals/R-BBBBBB.yaml"
    (repo.root / f"clients/{client_id}/referrals/R-AAAAAA.yaml").rename(moved)
    [problem] = repo.validate().problems
    assert problem.message == "the file is named referrals/R-BBBBBB.yaml but its fields say referrals/R-AAAAAA.yaml"
