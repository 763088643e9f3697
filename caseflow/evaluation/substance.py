"""AUDIT, AUDIT-C (alcohol) and DAST-10 (other drugs), scored as shared/standards/README.md §3 says.

AUDIT: © WHO 2001, free to reproduce but not for commercial purposes. AUDIT-C: public domain
(SAMHSA-HRSA). DAST-10: © 1982 Harvey A. Skinner and CAMH, for non-commercial use with credit.
"""

from __future__ import annotations

from collections.abc import Mapping

from caseflow import YES_NO, Instrument, Item, Option, Parameter, Result, band_of, hookimpl, sum_of

HOW_OFTEN = ("Never", "Less than monthly", "Monthly", "Weekly", "Daily or almost daily")


def options(labels: tuple[str, ...], values: tuple[int, ...] | None = None) -> tuple[Option, ...]:
    return tuple(Option(value, label) for value, label in zip(values or range(len(labels)), labels, strict=True))


NOT_IN_LAST_YEAR = options(("No", "Yes, but not in the last year", "Yes, during the last year"), (0, 2, 4))

AUDIT_ITEMS = (
    Item(
        "q1",
        "How often do you have a drink containing alcohol?",
        options(("Never", "Monthly or less", "2 to 4 times a month", "2 to 3 times a week", "4 or more times a week")),
    ),
    Item(
        "q2",
        "How many drinks containing alcohol do you have on a typical day when you are drinking?",
        options(("1 or 2", "3 or 4", "5 or 6", "7 to 9", "10 or more")),
    ),
    Item("q3", "How often do you have six or more drinks on one occasion?", options(HOW_OFTEN)),
    Item(
        "q4",
        "How often during the last year have you found that you were not able to stop drinking once you had started?",
        options(HOW_OFTEN),
    ),
    Item(
        "q5",
        "How often during the last year have you failed to do what was normally expected from you because of drinking?",
        options(HOW_OFTEN),
    ),
    Item(
        "q6",
        "How often during the last year have you needed a first drink in the morning to get yourself going "
        "after a heavy drinking session?",
        options(HOW_OFTEN),
    ),
    Item(
        "q7",
        "How often during the last year have you had a feeling of guilt or remorse after drinking?",
        options(HOW_OFTEN),
    ),
    Item(
        "q8",
        "How often during the last year have you been unable to remember what happened the night before "
        "because you had been drinking?",
        options(HOW_OFTEN),
    ),
    Item("q9", "Have you or someone else been injured as a result of your drinking?", NOT_IN_LAST_YEAR),
    Item(
        "q10",
        "Has a relative or friend or a doctor or another health worker been concerned about your drinking "
        "or suggested you cut down?",
        NOT_IN_LAST_YEAR,
    ),
)

ZONES = ((0, "I"), (8, "II"), (16, "III"), (20, "IV"))
INTERVENTIONS = {
    "I": "alcohol education",
    "II": "simple advice",
    "III": "simple advice plus brief counselling and continued monitoring",
    "IV": "referral to a specialist for diagnostic evaluation and treatment",
}


def score_audit(answers: Mapping[str, int], parameters: Mapping[str, str]) -> Result:
    total = sum_of(answers, AUDIT_ITEMS)
    zone = band_of(total, ZONES)
    # WHO: give the next higher level of intervention if items 4-6 score >= 2 or item 9 or 10 scores 4.
    raised = any(answers.get(q, 0) >= 2 for q in ("q4", "q5", "q6")) or any(answers.get(q) == 4 for q in ("q9", "q10"))
    names = [label for _, label in ZONES]
    level = names[min(names.index(zone) + 1, len(names) - 1)] if raised else zone  # zone IV is the top
    flags = ("intervention-raised",) if level != zone else ()
    return Result(total, f"zone {zone}", flags, f"intervention: {INTERVENTIONS[level]} (zone {level})")


def score_audit_c(answers: Mapping[str, int], parameters: Mapping[str, str]) -> Result:
    total = sum_of(answers, AUDIT_ITEMS[:3])
    threshold = 3 if parameters.get("sex") == "female" else 4
    positive = total >= threshold
    advice = f"positive screen (>= {threshold})" if positive else f"negative screen (< {threshold})"
    if positive and total == answers.get("q1"):
        advice += "; all points from item 1: drinking may be below recommended limits, review intake"
    return Result(total, "positive" if positive else "negative", (), advice)


DAST_ITEMS = tuple(
    Item(f"q{number}", text, YES_NO)
    for number, text in enumerate(
        (
            "Have you used drugs other than those required for medical reasons?",
            "Do you abuse more than one drug at a time?",
            "Are you always able to stop using drugs when you want to?",
            'Have you had "blackouts" or "flashbacks" as a result of drug use?',
            "Do you ever feel bad or guilty about your drug use?",
            "Does your spouse (or parents) ever complain about your involvement with drugs?",
            "Have you neglected your family because of your use of drugs?",
            "Have you engaged in illegal activities in order to obtain drugs?",
            "Have you ever experienced withdrawal symptoms (felt sick) when you stopped taking drugs?",
            "Have you had medical problems as a result of your drug use (e.g. memory loss, hepatitis, convulsions, "
            "bleeding)?",
        ),
        start=1,
    )
)
DAST_BANDS = ((0, "none"), (1, "low"), (3, "moderate"), (6, "substantial"), (9, "severe"))
DAST_ADVICE = {
    "none": "no problems reported",
    "low": "monitor, reassess later",
    "moderate": "further investigation",
    "substantial": "intensive assessment",
    "severe": "intensive assessment",
}


def score_dast10(answers: Mapping[str, int], parameters: Mapping[str, str]) -> Result:
    # One point per "Yes", except item 3 ("always able to stop?"), where "No" scores the point.
    points = [(1 - answers[i.id]) if i.id == "q3" else answers[i.id] for i in DAST_ITEMS if i.id in answers]
    total = sum(points)
    level = band_of(total, DAST_BANDS)
    return Result(total, level, (), DAST_ADVICE[level])


@hookimpl(trylast=True)
def register_instruments() -> list[Instrument]:
    return [
        Instrument(
            "instruments.audit",
            "AUDIT",
            "1.0",
            AUDIT_ITEMS,
            score_audit,
            "AUDIT manual © WHO 2001: may be freely reviewed, abstracted, reproduced and translated, but not for sale "
            "or for use in conjunction with commercial purposes.",
            free_for_commercial_use=False,
            loinc_total="75624-7",
            description="Alcohol Use Disorders Identification Test, past year (0-40, zones I-IV)",
        ),
        Instrument(
            "instruments.auditc",
            "AUDIT-C",
            "1.0",
            AUDIT_ITEMS[:3],
            score_audit_c,
            "AUDIT-C: available for use in the public domain (SAMHSA-HRSA).",
            free_for_commercial_use=True,
            loinc_panel="72109-2",
            loinc_total="75626-2",
            parameters=(Parameter("sex", "the client's sex for the threshold", ("male", "female")),),
            description="AUDIT consumption items 1-3 (0-12; positive >= 4 men, >= 3 women)",
        ),
        Instrument(
            "instruments.dast10",
            "DAST-10",
            "1.0",
            DAST_ITEMS,
            score_dast10,
            "Copyright 1982 by Harvey A. Skinner, PhD, and the Centre for Addiction and Mental Health, Toronto; "
            "may be reproduced for non-commercial use (clinical, research, training) crediting the author.",
            free_for_commercial_use=False,
            loinc_panel="82666-9",
            loinc_total="82667-7",
            description="Drug Abuse Screening Test, past 12 months (0-10)",
        ),
    ]
