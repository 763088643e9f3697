"""PHQ-9 (depression) and GAD-7 (anxiety): sums of 0-3 items over the last two weeks.

Items, cut-offs and LOINC codes as in shared/standards/README.md §3. Licence: © Pfizer Inc.;
"No permission required to reproduce, translate, display or distribute."
"""

from __future__ import annotations

from collections.abc import Mapping

from caseflow import Instrument, Item, Option, Result, band_of, hookimpl, sum_of

FREQUENCY = ("Not at all", "Several days", "More than half the days", "Nearly every day")
FREQUENCY_LOINC = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")
OPTIONS = tuple(
    Option(value, label, code) for value, (label, code) in enumerate(zip(FREQUENCY, FREQUENCY_LOINC, strict=True))
)
DIFFICULTY = tuple(
    Option(value, label)
    for value, label in enumerate(
        ("Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult")
    )
)
LICENCE = "© Pfizer Inc. No permission required to reproduce, translate, display or distribute."

PHQ9_ITEMS = (
    *tuple(
        Item(f"q{number}", text, OPTIONS, loinc)
        for number, (text, loinc) in enumerate(
            (
                ("Little interest or pleasure in doing things", "44250-9"),
                ("Feeling down, depressed, or hopeless", "44255-8"),
                ("Trouble falling or staying asleep, or sleeping too much", "44259-0"),
                ("Feeling tired or having little energy", "44254-1"),
                ("Poor appetite or overeating", "44251-7"),
                (
                    "Feeling bad about yourself - or that you are a failure or have let yourself or your family down",
                    "44258-2",
                ),
                ("Trouble concentrating on things, such as reading the newspaper or watching television", "44252-5"),
                (
                    "Moving or speaking so slowly that other people could have noticed? Or the opposite - "
                    "being so fidgety or restless that you have been moving around a lot more than usual",
                    "44253-3",
                ),
                ("Thoughts that you would be better off dead or of hurting yourself in some way", "44260-8"),
            ),
            start=1,
        )
    ),
    Item(
        "difficulty",
        "If you checked off any problems, how difficult have these problems made it for you to do your work, "
        "take care of things at home, or get along with other people?",
        DIFFICULTY,
        scored=False,
        optional=True,
    ),
)

GAD7_ITEMS = (
    *tuple(
        Item(f"q{number}", text, OPTIONS)
        for number, text in enumerate(
            (
                "Feeling nervous, anxious or on edge",
                "Not being able to stop or control worrying",
                "Worrying too much about different things",
                "Trouble relaxing",
                "Being so restless that it is hard to sit still",
                "Becoming easily annoyed or irritable",
                "Feeling afraid as if something awful might happen",
            ),
            start=1,
        )
    ),
    PHQ9_ITEMS[-1],
)


PHQ9_BANDS = ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "moderately severe"), (20, "severe"))
GAD7_BANDS = ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"))


def score_phq9(answers: Mapping[str, int], parameters: Mapping[str, str]) -> Result:
    total = sum_of(answers, PHQ9_ITEMS)
    # Item 9 flags suicide risk whatever the total: any answer other than "Not at all".
    flags = ("suicide-risk",) if answers.get("q9", 0) >= 1 else ()
    advice = (
        "probable major depression: further evaluation" if total >= 10 else "below the threshold for major depression"
    )
    if flags:
        advice += "; item 9 positive: assess suicide risk now (e.g. C-SSRS)"
    return Result(total, band_of(total, PHQ9_BANDS), flags, advice)


def score_gad7(answers: Mapping[str, int], parameters: Mapping[str, str]) -> Result:
    total = sum_of(answers, GAD7_ITEMS)
    advice = "refer for further evaluation" if total >= 10 else "below the threshold for referral"
    return Result(total, band_of(total, GAD7_BANDS), (), advice)


@hookimpl(trylast=True)
def register_instruments() -> list[Instrument]:
    return [
        Instrument(
            "instruments.phq9",
            "PHQ-9",
            "1.0",
            PHQ9_ITEMS,
            score_phq9,
            LICENCE,
            free_for_commercial_use=True,
            loinc_panel="44249-1",
            loinc_total="44261-6",
            description="Patient Health Questionnaire: depression over the last 2 weeks (0-27)",
        ),
        Instrument(
            "instruments.gad7",
            "GAD-7",
            "1.0",
            GAD7_ITEMS,
            score_gad7,
            LICENCE,
            free_for_commercial_use=True,
            loinc_panel="69737-5",
            loinc_total="70274-6",
            description="Generalized Anxiety Disorder scale: anxiety over the last 2 weeks (0-21)",
        ),
    ]
