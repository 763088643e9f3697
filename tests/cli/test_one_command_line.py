"""One command line (issue 19): names that are not this repository's say what was meant, usage
errors exit 2 and refusals 1, ids in any case, colour only where wanted, ages never negative."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from caseflow.cli import make_cli
from caseflow.testing import Result, git
from tests.review.test_queue import PLAN
from tests.samples import CLIENT, CLIENT_YAML

Run = Callable[..., Result]


@pytest.fixture
def repo(case_repo: Callable[..., Path]) -> Path:
    """One client in planning with a plan never approved."""
    client = CLIENT_YAML.replace("stage: intake", "stage: planning")
    return case_repo({f"clients/{CLIENT}/client.yaml": client, f"clients/{CLIENT}/plan.yaml": PLAN})


@pytest.fixture
def caseflow(repo: Path, invoke_caseflow: Run) -> Run:
    def run(*args: str, who: str = "casey", env: dict[str, str] | None = None) -> Result:
        return invoke_caseflow("--repo", repo, "--as", who, *args, env=env)

    return run


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("clients", "--stage", "plannin"), "no stage 'plannin' (did you mean 'planning'?)"),
        (("clients", "--stage", "bogus"), "no stage 'bogus'; the stages are: active, discharged, evaluation"),
        (("clients", "--worker", "cassey"), "no staff member 'cassey' (did you mean 'casey'?)"),
        (("due", "--worker", "robyn"), "no staff member 'robyn' (did you mean 'robin'?)"),
        (("new", CLIENT, "core.pln"), "no form 'core.pln' (did you mean 'core.plan'"),
        (("screen", CLIENT, "phq-9", "--answers", "0"), "no instrument 'phq-9' (did you mean 'phq9'?)"),
        (("scores", CLIENT, "--instrument", "gad8"), "no instrument 'gad8' (did you mean 'gad7'"),
        (("advance", CLIENT, "--to", "activ"), "no stage 'activ' (did you mean 'active'?)"),
        (("report", "caseloads"), "no report 'caseloads' (did you mean 'caseload'"),
        (("visit", CLIENT, "--type", "hom"), "Invalid value for '--type': 'hom' is not one of"),
        (
            ("visit", CLIENT, "--type", "home", "--note", "Seen.", "--date", "3/3/2026"),
            "--date '3/3/2026' is not a date written",
        ),
        (("referral", CLIENT, "R-NOPE00", "--status", "sent"), "unknown status 'sent'"),
    ],
)
def test_a_name_not_in_this_repository_or_a_bad_choice_is_a_usage_error(
    caseflow: Run, repo: Path, args: tuple[str, ...], said: str
) -> None:
    """Exit 2 and what was meant, where `clients --stage bogus` listed nobody and exited 0."""
    head = git(repo, "rev-parse", "HEAD")
    result = caseflow(*args, who="sam" if args[0] == "report" else "casey").assert_refused(2)
    assert said in result.stderr
    assert git(repo, "rev-parse", "HEAD") == head and git(repo, "status", "--porcelain") == ""


def test_a_refusal_of_valid_usage_still_exits_1(caseflow: Run) -> None:
    assert "no client C-0THER0" in caseflow("show", "C-0THER0").assert_refused(1).stderr
    assert "cannot move from planning to discharged" in caseflow("advance", CLIENT, "--to", "discharged").stderr


def test_ids_and_staff_ids_in_any_case(caseflow: Run) -> None:
    shown = json.loads(caseflow("show", CLIENT.lower(), "--json", who="CASEY").assert_success().stdout)
    assert shown["id"] == CLIENT
    listed = json.loads(caseflow("clients", "--worker", "Casey", "--stage", "planning", "--json").stdout)
    assert [row["id"] for row in listed] == [CLIENT]
    missing = caseflow("show", "c-0ther0").assert_refused(1)
    assert "no client C-0THER0" in missing.stderr  # as ids are written, not as typed


def test_colour_only_where_wanted(repo: Path, tmp_path: Path) -> None:
    """A terminal gets bold headers; NO_COLOR (any value) and --no-color take every style away."""
    env = {"CASEFLOW_USER": "casey", "CASEFLOW_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": ""}

    def clients(*options: str, **more: str) -> str:
        args = [*options, "--repo", str(repo), "clients"]
        result = CliRunner().invoke(make_cli(argv=[]), args, env={**env, **more}, color=True)  # as on a terminal
        assert result.exit_code == 0, result.output
        return result.output

    assert "\x1b[1m" in clients()
    assert "\x1b[" not in clients(NO_COLOR="1")
    assert "\x1b[" not in clients("--no-color")
    args = ["--repo", str(repo), "show", "C-0THER0"]
    refused = CliRunner().invoke(make_cli(argv=[]), args, env={**env, "NO_COLOR": "1"}, color=True)
    assert refused.exit_code == 1 and "\x1b[" not in refused.output and "error: no client" in refused.output


def test_the_review_age_counts_to_the_repositorys_today_never_below_zero(caseflow: Run) -> None:
    """The demo's CASEFLOW_TODAY is behind the clock its commits were made by: the age is 0, not -17."""
    [pending] = json.loads(caseflow("review", "--json", who="sam", env={"CASEFLOW_TODAY": "2001-01-01"}).stdout)
    assert pending["age_days"] == 0
    text = caseflow("review", who="sam", env={"CASEFLOW_TODAY": "2001-01-01"}).assert_success().stdout
    assert " 0 d " in text and "-" not in text.splitlines()[1].split()[3]
    [later] = json.loads(caseflow("review", "--json", who="sam", env={"CASEFLOW_TODAY": "2099-01-11"}).stdout)
    assert later["age_days"] > 20000
