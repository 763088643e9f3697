"""Notes never collide across clones: two laptops offline each record a phone contact for the same
client on the same day, both sync, and both notes are on both laptops and the remote. Older names
(``-phone.md``, ``-phone-2.md``) stay valid beside the new ones (``-phone-0k7mq.md``)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow import Form
from caseflow.core.ids import random_name_id
from caseflow.testing import Result, git
from tests.samples import CLIENT, CLIENT_YAML

Run = Callable[..., Result]
TODAY = "2026-11-17"
NEW_NAME = re.compile(rf"{TODAY}-phone-[0-9a-hjkmnp-tv-z]{{5}}\.md")


@pytest.fixture
def laptops(case_repo: Callable[..., Path], invoke_caseflow: Run, tmp_path: Path) -> tuple[Path, Path, Path]:
    origin = case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML})
    hub = tmp_path / "hub.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(origin), str(hub)], check=True)
    for name in ("casey-laptop", "robin-laptop"):
        invoke_caseflow("clone", hub, tmp_path / name).assert_success()
    return hub, tmp_path / "casey-laptop", tmp_path / "robin-laptop"


def phone(invoke: Run, repo: Path, who: str, note: str) -> str:
    invoke(
        "--repo", repo, "--as", who, "visit", CLIENT, "--type", "phone", "--note", note,
        env={"CASEFLOW_TODAY": TODAY},
    ).assert_success()  # fmt: skip
    (name,) = [p.name for p in (repo / f"clients/{CLIENT}/visits").iterdir() if note in p.read_text()]
    assert NEW_NAME.fullmatch(name), name
    return name


def test_phone_notes_of_the_same_day_on_two_laptops_both_survive_sync(
    laptops: tuple[Path, Path, Path], invoke_caseflow: Run
) -> None:
    hub, casey, robin = laptops
    mine = phone(invoke_caseflow, casey, "casey", "Casey called: housing appointment confirmed.")
    theirs = phone(invoke_caseflow, robin, "robin", "Robin called back: rides to the clinic arranged.")
    assert mine != theirs  # both the first of the day on their laptop, still not the same name
    for who, repo in (("casey", casey), ("robin", robin), ("casey", casey)):
        invoke_caseflow("--repo", repo, "--as", who, "sync").assert_success()
    for repo in (casey, robin):
        notes = sorted(p.name for p in (repo / f"clients/{CLIENT}/visits").iterdir())
        assert notes == sorted([mine, theirs])
        invoke_caseflow("--repo", repo, "validate").assert_success()
    listed = git(hub, "ls-tree", "-r", "--name-only", "HEAD", f"clients/{CLIENT}/visits").split()
    assert sorted(Path(p).name for p in listed) == sorted([mine, theirs])
    later = phone(invoke_caseflow, casey, "casey", "A third call.")
    assert later[len(TODAY) + 7] == "2"  # the clone had two that day: it sorts after both


VISIT = Form(
    id="core.visit",
    title="Contact note",
    kind="markdown",
    path="visits/{date}-{type}.md",
    schema={},
    skeleton="forms/visit.md.j2",
)
SCREENING = Form(
    id="instruments.phq9",
    title="PHQ-9",
    kind="yaml",
    path="evaluation/{date}-phq9.yaml",
    schema={},
    skeleton="x",
)


@pytest.mark.parametrize(
    ("form", "name", "valid"),
    [
        (VISIT, "visits/2026-11-17-phone.md", True),  # older names stay valid
        (VISIT, "visits/2026-11-17-phone-2.md", True),
        (VISIT, "visits/2026-11-17-phone-0k7mq.md", True),
        (SCREENING, "evaluation/2026-11-17-phq9.yaml", True),
        (SCREENING, "evaluation/2026-11-17-phq9-12.yaml", True),
        (SCREENING, "evaluation/2026-11-17-phq9-0k7mq.yaml", True),
        (SCREENING, "evaluation/2026-11-17-phq9-abc.yaml", False),  # too short for an id
        (SCREENING, "evaluation/2026-11-17-phq9-0k7mqxyz.yaml", False),  # too long
        (SCREENING, "evaluation/2026-11-17-phq9-0K7MQ.yaml", False),  # ids are lower case
        (SCREENING, "evaluation/2026-11-17-phq9-0k7mu.yaml", False),  # not Crockford (no u)
        (SCREENING, "evaluation/2026-11-17-gad7-0k7mq.yaml", False),
    ],
)
def test_old_and_new_names_are_valid_and_others_are_not(form: Form, name: str, valid: bool) -> None:
    data = {"date": "2026-11-17", "type": "phone"}
    assert (form.matches_path(name) and form.path_agrees(name, data)) is valid


def test_a_name_that_disagrees_with_the_fields_is_still_wrong() -> None:
    data = {"date": "2026-11-17", "type": "home"}
    assert not VISIT.path_agrees("visits/2026-11-17-phone-0k7mq.md", data)
    assert not VISIT.path_agrees("visits/2026-11-16-home-0k7mq.md", data)


def test_a_short_id_says_how_many_came_before_and_is_never_all_digits() -> None:
    ids = [random_name_id(earlier) for earlier in (0, 1, 9, 10, 31, 99) for _ in range(50)]
    assert [i[0] for i in ids[::50]] == ["0", "1", "9", "a", "z", "z"]
    assert all(re.fullmatch(r"[0-9a-hjkmnp-tv-z]{5}", i) and not i.isdigit() for i in ids)
    assert len(set(ids)) > 290  # random after the first character
