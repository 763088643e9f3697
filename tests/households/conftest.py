"""What the household tests share: two fictional clients, and a household of both and one more person."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.testing import Result
from tests.samples import CLIENT, CLIENT_YAML

TODAY = "2026-03-10"
OTHER = "C-4T8M2Q"
Run = Callable[..., Result]


@pytest.fixture
def agency(case_repo: Callable[..., Path]) -> Path:
    active = CLIENT_YAML.replace("stage: intake", "stage: active")
    other = active.replace(CLIENT, OTHER).replace("Ana Example", "Ben Example").replace("1990-04-02", "2008-06-01")
    return case_repo({f"clients/{CLIENT}/client.yaml": active, f"clients/{OTHER}/client.yaml": other})


def caseflow(run: Run, repo: Path, *args: str | Path, who: str = "casey", today: str = TODAY) -> Result:
    return run("--repo", repo, "--as", who, *args, env={"CASEFLOW_TODAY": today})


def new_household(run: Run, agency: Path) -> str:
    # (a member id typed in lower case is the same client)
    made = caseflow(
        run, agency, "household", "new", "--member", f"{CLIENT}:head", "--member", f"{OTHER.lower()}:child",
        "--person", "Cal Example:child:2016", "--json",
    )  # fmt: skip
    made.assert_success()
    return str(json.loads(made.stdout)["id"])
