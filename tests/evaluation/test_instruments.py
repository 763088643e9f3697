"""Screening instruments: every cut-off on both sides, special rules, skip logic, stored-score checks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow import CaseRepo, Instrument, Item, Option, Result, hookimpl, open_repo, sum_of
from caseflow.evaluation.cssrs import score_cssrs
from caseflow.evaluation.mood import score_gad7, score_phq9
from caseflow.evaluation.screening import AnswerError, parse_answers, scores, screen
from caseflow.evaluation.substance import score_audit, score_audit_c, score_dast10
from caseflow.testing import ONLY_BUILTIN_PLUGINS, git
from caseflow.testing import Result as Run


def answers_summing_to(total: int, items: int, top: int, first: str = "q") -> dict[str, int]:
    values = []
    for _ in range(items):
        step = min(top, total)
        values.append(step)
        total -= step
    assert total == 0
    return {f"{first}{number}": value for number, value in enumerate(values, start=1)}


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_bands(total: int, band: str) -> None:
    # items 1-8 first; item 9 only when the total needs it (it raises a flag of its own)
    answers = {**answers_summing_to(min(total, 24), 8, 3), "q9": total - min(total, 24)}
    result = score_phq9(answers, {})
    assert (result.total, result.band) == (total, band)


def test_phq9_item_9_flags_suicide_risk_whatever_the_total() -> None:
    low = {f"q{n}": 0 for n in range(1, 9)} | {"q9": 1}
    assert score_phq9(low, {}) == Result(1, "minimal", ("suicide-risk",), score_phq9(low, {}).interpretation)
    assert "assess suicide risk" in score_phq9(low, {}).interpretation
    assert score_phq9({f"q{n}": 0 for n in range(1, 10)}, {}).flags == ()
    assert score_phq9({f"q{n}": 0 for n in range(1, 10)} | {"difficulty": 3}, {}).total == 0  # item 10 is not scored


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands(total: int, band: str) -> None:
    result = score_gad7(answers_summing_to(total, 7, 3), {})
    assert (result.total, result.band) == (total, band)
    assert result.interpretation.startswith("refer for further evaluation") == (total >= 10)


def audit_answers(total: int) -> dict[str, int]:
    # Fill the consumption items first so the special rule (items 4-6, 9, 10) stays out of the way.
    answers = {f"q{n}": 0 for n in range(1, 11)}
    for item in ("q1", "q2", "q3", "q7", "q8"):
        answers[item] = min(4, total)
        total -= answers[item]
    answers["q4"] = answers["q5"] = answers["q6"] = 0
    for item in ("q4", "q5", "q6"):
        answers[item] = min(1, total)
        total -= answers[item]
    assert total == 0, "use a smaller total for these tests"
    return answers


@pytest.mark.parametrize(
    ("total", "zone"), [(0, "I"), (7, "I"), (8, "II"), (15, "II"), (16, "III"), (19, "III"), (20, "IV"), (23, "IV")]
)
def test_audit_zones(total: int, zone: str) -> None:
    result = score_audit(audit_answers(total), {})
    assert (result.total, result.band, result.flags) == (total, f"zone {zone}", ())


@pytest.mark.parametrize(
    ("change", "raised"),
    [
        ({"q4": 2}, True),
        ({"q5": 2}, True),
        ({"q6": 3}, True),
        ({"q9": 4}, True),
        ({"q10": 4}, True),
        ({"q4": 1}, False),
        ({"q9": 2}, False),
        ({"q10": 2}, False),
    ],
)
def test_audit_special_rule_raises_the_intervention(change: dict[str, int], raised: bool) -> None:
    answers = {f"q{n}": 0 for n in range(1, 11)} | change
    result = score_audit(answers, {})
    assert result.band == "zone I"
    assert (result.flags == ("intervention-raised",)) == raised
    assert ("simple advice (zone II)" in result.interpretation) == raised


def test_audit_zone_iv_cannot_be_raised_further() -> None:
    result = score_audit({f"q{n}": 4 for n in range(1, 9)} | {"q9": 4, "q10": 4}, {})
    assert (result.total, result.band, result.flags) == (40, "zone IV", ())


@pytest.mark.parametrize(
    ("sex", "total", "band"),
    [("male", 3, "negative"), ("male", 4, "positive"), ("female", 2, "negative"), ("female", 3, "positive")],
)
def test_audit_c_threshold_depends_on_sex(sex: str, total: int, band: str) -> None:
    answers = {"q1": min(total, 2), "q2": max(0, total - 2), "q3": 0}
    assert score_audit_c(answers, {"sex": sex}).band == band


def test_audit_c_points_from_item_1_alone_are_noted() -> None:
    assert "all points from item 1" in score_audit_c({"q1": 4, "q2": 0, "q3": 0}, {"sex": "male"}).interpretation


@pytest.mark.parametrize(
    ("yes", "band"),
    [
        (0, "none"),
        (1, "low"),
        (2, "low"),
        (3, "moderate"),
        (5, "moderate"),
        (6, "substantial"),
        (8, "substantial"),
        (9, "severe"),
        (10, "severe"),
    ],
)
def test_dast10_bands_with_item_3_reverse_scored(yes: int, band: str) -> None:
    # item 3 ("always able to stop?") scores a point for "No" (0)
    answers = {f"q{n}": 0 for n in range(1, 11)} | {"q3": 1}
    for number in [1, 2, 4, 5, 6, 7, 8, 9, 10, 3][:yes]:
        answers[f"q{number}"] = 0 if number == 3 else 1
    result = score_dast10(answers, {})
    assert (result.total, result.band) == (yes, band)


@pytest.mark.parametrize(
    ("answers", "level", "flagged"),
    [
        ({"q1": 0, "q2": 0, "q6": 0}, "none", False),
        ({"q1": 1, "q2": 0, "q6": 0}, "low", False),
        ({"q1": 1, "q2": 1, "q3": 0, "q4": 0, "q5": 0, "q6": 0}, "low", False),
        ({"q1": 1, "q2": 1, "q3": 1, "q4": 0, "q5": 0, "q6": 0}, "moderate", True),
        ({"q1": 0, "q2": 0, "q6": 1, "q6_recent": 0}, "moderate", True),
        ({"q1": 1, "q2": 1, "q3": 1, "q4": 1, "q5": 0, "q6": 0}, "high", True),
        ({"q1": 1, "q2": 1, "q3": 0, "q4": 0, "q5": 1, "q6": 0}, "high", True),
        ({"q1": 0, "q2": 0, "q6": 1, "q6_recent": 1}, "high", True),
    ],
)
def test_cssrs_triage(answers: dict[str, int], level: str, flagged: bool) -> None:
    result = score_cssrs(answers, {})
    assert (result.total, result.band, "suicide-risk" in result.flags) == (None, level, flagged)


@pytest.fixture
def repo(case_repo: Callable[..., Path]) -> CaseRepo:
    return open_repo(case_repo(), environ=ONLY_BUILTIN_PLUGINS)


def test_skip_logic_in_answers_and_documents(repo: CaseRepo) -> None:
    cssrs = repo.host.instruments()["instruments.cssrs"]
    assert parse_answers(cssrs, "1,0,0") == {"q1": 1, "q2": 0, "q6": 0}
    assert parse_answers(cssrs, "1,1,0,0,1,1,1") == {
        "q1": 1,
        "q2": 1,
        "q3": 0,
        "q4": 0,
        "q5": 1,
        "q6": 1,
        "q6_recent": 1,
    }
    with pytest.raises(AnswerError, match="4 answers given but only 3 questions were asked"):
        parse_answers(cssrs, "1,0,0,0")
    problems = [f.message for f in cssrs.problems({"q1": 0, "q2": 0, "q3": 0, "q6": 0}, {})]
    assert problems == ["q3 must be left out: it is not asked after these answers"]  # skipped means absent, not 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,3", "PHQ-9: no answer for q4"),
        ("1,2,3,0,0,0,0,0,0,0,1", "11 answers given but only 10 questions were asked"),
        ("0,0,0,4,0,0,0,0,0", "PHQ-9 q4: 4 is not an answer to this item"),
        ("0,0,zero,0,0,0,0,0,0", "PHQ-9 q3: 'zero' is not a number"),
    ],
)
def test_bad_answers_name_the_item(repo: CaseRepo, text: str, message: str) -> None:
    with pytest.raises(AnswerError, match=message):
        parse_answers(repo.host.instruments()["instruments.phq9"], text)


def test_a_tampered_score_or_missing_answer_is_invalid(repo: CaseRepo) -> None:
    casey = repo.actor("casey")
    client = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    saved, _ = screen(
        repo, casey, client, "phq9", parse_answers(repo.host.instruments()["instruments.phq9"], "1,1,1,1,1,1,1,1,0")
    )
    path = repo.root / saved.path
    path.write_text(path.read_text().replace("total: 8", "total: 3"))
    assert [p.message for p in repo.validate().problems] == ["the stored total 3 does not match the answers (8)"]
    path.write_text(path.read_text().replace("total: 3", "total: 8").replace("  q5: 1   # Several days\n", ""))
    messages = [p.message for p in repo.validate().problems]
    assert messages == ["the answer to q5 (Poor appetite or overeating) is missing"]
    path.write_text(path.read_text().replace("  q4: 1", "  q5: 1\n  q4: 7"))
    assert any(
        "q4: 7 is not one of the answers" in m or "Feeling tired" in m
        for m in (p.message for p in repo.validate().problems)
    )


def test_a_positive_screen_flags_the_client_in_the_same_commit(repo: CaseRepo) -> None:
    casey = repo.actor("casey")
    client = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    phq9 = repo.host.instruments()["instruments.phq9"]
    saved, result = screen(repo, casey, client, "phq9", parse_answers(phq9, "0,0,0,0,0,0,0,0,1"))
    assert result.flags == ("suicide-risk",)
    assert sorted(git(repo.root, "show", "--name-only", "--format=", "HEAD").split()) == [
        f"clients/{client}/client.yaml",
        saved.path,
    ]
    [flag] = repo.client_record(client)["risk_flags"]
    assert flag["flag"] == "Suicide risk" and flag["since"] == repo.today().isoformat()
    screen(repo, casey, client, "cssrs", parse_answers(repo.host.instruments()["instruments.cssrs"], "1,1,1,0,0,0"))
    assert len(repo.client_record(client)["risk_flags"]) == 1  # flagged once, not once per screening
    assert repo.validate().ok


def test_a_risk_flag_shortens_the_contact_cadence(repo: CaseRepo) -> None:
    from caseflow.workflow.monitoring import contact_days

    casey = repo.actor("casey")
    client = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    assert contact_days(repo.client_record(client), repo.workflow_spec.monitoring) == ("low", 30)
    screen(repo, casey, client, "cssrs", parse_answers(repo.host.instruments()["instruments.cssrs"], "1,1,1,0,0,0"))
    assert contact_days(repo.client_record(client), repo.workflow_spec.monitoring) == ("high", 7)


def test_response_remission_and_change_from_baseline(repo: CaseRepo) -> None:
    casey = repo.actor("casey")
    client = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    phq9 = repo.host.instruments()["instruments.phq9"]
    for date, text in (
        ("2026-08-05", "2,2,2,2,2,2,2,2,0"),
        ("2026-09-05", "1,1,1,1,2,1,1,1,0"),
        ("2026-10-05", "1,1,1,0,0,0,0,0,0"),
    ):
        screen(repo, casey, client, "phq9", parse_answers(phq9, text), date=date)
    history = scores(repo, client, "phq9")
    assert [(a.total, a.change, a.response, a.remission) for a in history] == [
        (16, 0, False, False),
        (9, -7, False, False),
        (3, -13, True, True),
    ]


class AgencyInstrument:
    @hookimpl
    def register_instruments(self) -> list[Instrument]:
        items = tuple(Item(f"q{n}", f"Question {n}", (Option(0, "No"), Option(1, "Yes"))) for n in (1, 2))
        return [
            Instrument(
                "riverbend.housing-stress",
                "Housing stress check",
                "0.1",
                items,
                lambda answers, params: Result(sum_of(answers, items), "stressed" if sum_of(answers, items) else "ok"),
            )
        ]


def test_an_agency_instrument_is_a_form_and_a_screening(case_repo: Callable[..., Path]) -> None:
    repo = open_repo(case_repo(), environ=ONLY_BUILTIN_PLUGINS, plugins=[AgencyInstrument()])
    assert repo.forms["riverbend.housing-stress"].path == "evaluation/{date}-housing-stress.yaml"
    casey = repo.actor("casey")
    client = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    saved, result = screen(repo, casey, client, "riverbend.housing-stress", {"q1": 1, "q2": 0})
    assert result.band == "stressed" and "-housing-stress-" in saved.path
    assert repo.validate().ok


def test_screen_from_the_command_line(case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Run]) -> None:
    path = case_repo()
    env = {"CASEFLOW_USER": "casey", "CASEFLOW_PLUGINS": ""}
    client = invoke_caseflow("intake", "--name", "Ana Example", "--dob", "1990-04-02", cwd=path, env=env).stdout.strip()
    head = git(path, "rev-parse", "HEAD")
    for args, message in (
        (["phq9", "--answers", "1,2"], "no answer for q3"),
        (["phq9", "--answers", "0,0,0,0,0,0,0,0,9"], "q9: 9 is not an answer"),
        (["nonsense", "--answers", "1"], "no instrument 'nonsense'"),
        (["phq9", "--answers", "0,0,0,0,0,0,0,0,0", "--date", "2999-01-01"], "is in the future"),
    ):
        code = 2 if args[0] == "nonsense" else 1  # a name that is not an instrument here is usage
        refused = invoke_caseflow("screen", client, *args, cwd=path, env=env).assert_refused(code)
        assert len(refused.stderr.splitlines()) == 1 and message in refused.stderr
    assert git(path, "rev-parse", "HEAD") == head

    # interactive: each question asked in turn (answers typed on standard input)
    answered = invoke_caseflow(
        "screen", client, "gad7", cwd=path, env=env, input="1\n1\n1\n1\n1\n1\n1\n0\n"
    ).assert_success()
    assert "Feeling nervous, anxious or on edge" in answered.stderr and "GAD-7: total 7, mild" in answered.stderr

    flagged = invoke_caseflow("screen", client, "cssrs", "--answers", "1,1,1,1,0,0", "--json", cwd=path, env=env)
    assert json.loads(flagged.assert_success().stdout)["band"] == "high"
    assert "SUICIDE RISK" in flagged.stderr
    listed = json.loads(invoke_caseflow("scores", client, "--json", cwd=path).assert_success().stdout)
    assert [(a["instrument"], a["band"]) for a in listed] == [
        ("instruments.cssrs", "high"),
        ("instruments.gad7", "mild"),
    ]
    assert "GAD-7" in invoke_caseflow("scores", client, cwd=path).stdout
    catalogue = json.loads(invoke_caseflow("instruments", "--json", cwd=path).assert_success().stdout)
    assert {i["id"] for i in catalogue} >= {
        "instruments.phq9",
        "instruments.gad7",
        "instruments.audit",
        "instruments.auditc",
        "instruments.dast10",
        "instruments.cssrs",
    }
    assert all(i["licence"] for i in catalogue)


def test_same_day_administrations_keep_their_order(repo: CaseRepo) -> None:
    casey = repo.actor("casey")
    client = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    phq9 = repo.host.instruments()["instruments.phq9"]
    screen(repo, casey, client, "phq9", parse_answers(phq9, "2,2,2,2,2,2,2,2,0"))
    screen(repo, casey, client, "phq9", parse_answers(phq9, "0,0,0,0,0,0,0,0,0"))
    assert [(a.total, a.change) for a in scores(repo, client, "phq9")] == [(16, 0), (0, -16)]


def test_answers_are_whole_numbers() -> None:
    from caseflow.evaluation.mood import register_instruments

    phq9 = register_instruments()[0]
    floats = {f"q{n}": 1.0 for n in range(1, 10)}
    assert len(phq9.problems(floats, {})) == 9


def test_audit_c_asks_for_its_parameter(case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Run]) -> None:
    path = case_repo()
    env = {"CASEFLOW_USER": "casey", "CASEFLOW_PLUGINS": ""}
    client = invoke_caseflow("intake", "--name", "Ana Example", "--dob", "1990-04-02", cwd=path, env=env).stdout.strip()
    done = invoke_caseflow("screen", client, "auditc", cwd=path, env=env, input="female\n1\n1\n1\n").assert_success()
    assert "AUDIT-C: total 3, positive" in done.stderr
    invoke_caseflow(
        "screen", client, "auditc", "--answers", "1,1,1", "--param", "sex", cwd=path, env=env
    ).assert_refused(2)
    refused = invoke_caseflow("screen", client, "gad7", cwd=path, env=env, input="").assert_refused(1)
    assert "no answers: give --answers" in refused.stderr
