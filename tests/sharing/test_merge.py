"""The merge driver: field by field, list items by id, layout kept, true conflicts settled by resolve."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.core.store import Store
from caseflow.sharing.merge import merge
from caseflow.testing import Result, git
from tests.samples import CLIENT, CLIENT_YAML

PLAN = f"""form: core.plan
client: {CLIENT}
# reviewed with the client every quarter
review_date: 2026-03-01
goals:
  - id: g1
    title: Stable housing
    status: active  # the most urgent
  - id: g2
    title: Feel less low
    status: active
"""


def merged(base: str, mine: str, theirs: str, path: str = "plan.yaml") -> tuple[str, list[tuple[object, ...]]]:
    texts = Store(Path.cwd()).merge_text  # git merge-file: no repository needed
    result = merge(path, base.encode(), mine.encode(), theirs.encode(), {}, texts)
    return result.data.decode(), [(c.path, c.mine, c.theirs) for c in result.conflicts]


def test_fields_far_apart_merge_as_text_keeping_both_sides_comments() -> None:
    mine = PLAN.replace("review_date: 2026-03-01", "review_date: 2026-04-01")
    theirs = PLAN.replace("title: Feel less low", "title: Treat depression  # her words").replace(
        "status: active  # the most urgent", "status: met  # the most urgent"
    )
    text, conflicts = merged(PLAN, mine, theirs)
    assert conflicts == []
    assert text == theirs.replace("review_date: 2026-03-01", "review_date: 2026-04-01")


def test_neighbouring_lines_merge_field_by_field() -> None:
    mine = PLAN.replace("title: Stable housing", "title: A home of her own")
    theirs = PLAN.replace("status: active  # the most urgent", "status: met  # the most urgent")
    text, conflicts = merged(PLAN, mine, theirs)  # adjacent lines: git alone would conflict
    assert conflicts == []
    assert "title: A home of her own" in text and "status: met" in text and "# the most urgent" in text


def test_a_whole_list_removed_on_one_side_is_removed() -> None:
    base = PLAN + "strengths:\n  - Supportive aunt\n  - Steady job\n"
    mine = base.replace("review_date: 2026-03-01", "review_date: 2026-04-01")
    theirs = PLAN.replace("title: Stable housing", "title: A home")
    text, conflicts = merged(base, mine, theirs)
    assert conflicts == [] and "strengths" not in text and "review_date: 2026-04-01" in text


def test_an_edit_inside_an_item_the_other_side_removed_is_a_conflict() -> None:
    mine = PLAN.replace("  - id: g2\n    title: Feel less low\n    status: active\n", "")
    theirs = PLAN.replace("title: Feel less low", "title: Treat depression")
    _, conflicts = merged(PLAN, mine, theirs)
    assert conflicts == [(("goals", "[g2]", "title"), None, "Treat depression")]


def test_crlf_files_stay_crlf() -> None:
    crlf = PLAN.replace("\n", "\r\n")
    mine = crlf.replace("review_date: 2026-03-01", "review_date: 2026-04-01")
    theirs = crlf.replace("title: Stable housing", "title: A home")
    text, conflicts = merged(crlf, mine, theirs)
    assert conflicts == [] and text.count("\r\n") == crlf.count("\r\n") and "\n" not in text.replace("\r\n", "")


def test_both_adding_the_same_new_document_merges_its_items_by_id() -> None:
    head = f"form: core.appointments\nclient: {CLIENT}\nappointments:\n"
    mine = head + "  - {id: A-1, with: x, date: 2026-03-01, status: scheduled}\n"
    theirs = head + "  - {id: A-2, with: y, date: 2026-03-02, status: scheduled}\n"
    text, conflicts = merged("", mine, theirs, "appointments.yaml")
    assert conflicts == [] and "A-1" in text and "A-2" in text


def test_items_added_on_both_sides_are_both_kept_and_a_removal_applies() -> None:
    mine = PLAN + "  - id: g3\n    title: Return to school\n    status: active\n"
    theirs = PLAN.replace("  - id: g2\n    title: Feel less low\n    status: active\n", "") + (
        "  - id: g4\n    title: Learn to drive\n    status: active\n"
    )
    text, conflicts = merged(PLAN, mine, theirs)
    assert conflicts == []
    assert "id: g2" not in text and "id: g3" in text and "id: g4" in text
    assert "# reviewed with the client every quarter" in text and "# the most urgent" in text


def test_the_same_field_changed_differently_is_a_conflict_without_markers() -> None:
    mine = PLAN.replace("review_date: 2026-03-01", "review_date: 2026-04-01")
    theirs = PLAN.replace("review_date: 2026-03-01", "review_date: 2026-05-01")
    text, conflicts = merged(PLAN, mine, theirs)
    assert conflicts == [(("review_date",), "2026-04-01", "2026-05-01")]
    assert text == mine and "<<<<<<<" not in text
    both = merged(PLAN, mine, mine)
    assert both == (mine, [])  # the same change on both sides is no conflict


def test_markdown_front_matter_by_field_and_body_as_text() -> None:
    base = f"---\nform: core.visit\nclient: {CLIENT}\ndate: 2026-01-05\ntype: phone\n---\nLine one.\nLine two.\n"
    mine = base.replace("type: phone", "type: video")
    theirs = base.replace("Line two.", "Line two, corrected.")
    result = merge("v.md", base.encode(), mine.encode(), theirs.encode(), {}, Store(Path.cwd()).merge_text)
    assert result.conflicts == [] and result.data.decode() == mine.replace("Line two.", "Line two, corrected.")


Run = Callable[..., Result]


@pytest.fixture
def two_branches(case_repo: Callable[..., Path], invoke_caseflow: Run) -> tuple[Path, Run]:
    path = case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML, f"clients/{CLIENT}/plan.yaml": PLAN})

    def caseflow(*args: str) -> Result:
        return invoke_caseflow("--repo", path, "--as", "casey", *args)

    git(path, "config", "--local", "--remove-section", "merge.caseflow-yaml")  # (a fresh clone has none)
    caseflow("clients").assert_success()  # any command registers the driver in this clone
    assert "merge-driver %O %A %B %P" in git(path, "config", "--get", "merge.caseflow-yaml.driver")
    git(path, "checkout", "-q", "-b", "theirs")
    caseflow("set", CLIENT, "plan.yaml", "review_date=2026-05-01", "goals[g2].title=Treat depression").assert_success()
    git(path, "checkout", "-q", "-")
    caseflow("set", CLIENT, "plan.yaml", "review_date=2026-04-01", "goals[g1].status=met").assert_success()
    return path, caseflow


def test_git_merge_uses_the_driver_and_resolve_settles_the_conflict(two_branches: tuple[Path, Run]) -> None:
    path, caseflow = two_branches
    merging = ["-c", "user.name=Casey Rivera", "-c", "user.email=casey@riverbend.example", "merge", "-q", "theirs"]
    with pytest.raises(Exception):  # noqa: B017 - git reports the unmerged path by failing
        git(path, *merging)
    plan = (path / f"clients/{CLIENT}/plan.yaml").read_text()
    assert "<<<<<<<" not in plan and "title: Treat depression" in plan and "status: met" in plan
    assert "review_date: 2026-04-01" in plan  # ours, until settled
    listed = json.loads(caseflow("resolve", "--json").assert_success().stdout)
    assert [(c["field"], c["mine"], c["theirs"]) for u in listed for c in u["conflicts"]] == [
        ("review_date", "2026-04-01", "2026-05-01")
    ]
    assert (listed[0]["mine_author"], listed[0]["theirs_author"]) == ("casey", "casey")
    bad = caseflow("resolve", CLIENT, "plan.yaml", "review_date", "--take", "soon")
    assert bad.exit_code == 1 and "nothing was changed" in bad.stderr
    caseflow("resolve", CLIENT, "plan.yaml", "review_date", "--take", "theirs").assert_success()
    assert "review_date: 2026-05-01" in (path / f"clients/{CLIENT}/plan.yaml").read_text()
    assert git(path, "diff", "--name-only", "--diff-filter=U") == ""  # staged: the merge can be committed
    git(path, "-c", "user.name=Casey Rivera", "-c", "user.email=casey@riverbend.example", "commit", "-qm", "merge")
    caseflow("validate").assert_success()
