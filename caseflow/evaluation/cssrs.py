"""The C-SSRS screener: six yes/no questions with skip logic, and a triaged risk level (no total).

Q3-Q5 are asked only when Q2 is yes; Q6's follow-up only when Q6 is yes. Triage (standards §3):
yes to Q4 or Q5, or Q6 within 3 months -> high; yes to Q3, or Q6 longer ago -> moderate;
yes to Q1 or Q2 only -> low; nothing endorsed -> none.
"""

from __future__ import annotations

from collections.abc import Mapping

from caseflow import YES_NO, Instrument, Item, Result, hookimpl


def _thoughts(answers: Mapping[str, int]) -> bool:
    return answers.get("q2") == 1


def _behaviour(answers: Mapping[str, int]) -> bool:
    return answers.get("q6") == 1


ITEMS = (
    Item("q1", "Have you wished you were dead or wished you could go to sleep and not wake up?", YES_NO, "93246-7"),
    Item("q2", "Have you actually had any thoughts of killing yourself?", YES_NO, "93247-5"),
    Item("q3", "Have you been thinking about how you might do this?", YES_NO, "93248-3", asked_if=_thoughts),
    Item(
        "q4",
        "Have you had these thoughts and had some intention of acting on them?",
        YES_NO,
        "93249-1",
        asked_if=_thoughts,
    ),
    Item(
        "q5",
        "Have you started to work out or worked out the details of how to kill yourself? Do you intend to "
        "carry out this plan?",
        YES_NO,
        "93250-9",
        asked_if=_thoughts,
    ),
    Item(
        "q6",
        "Have you ever done anything, started to do anything, or prepared to do anything to end your life?",
        YES_NO,
        "93267-3",
    ),
    Item("q6_recent", "Was this within the past 3 months?", YES_NO, "93269-9", asked_if=_behaviour),
)


def score_cssrs(answers: Mapping[str, int], parameters: Mapping[str, str]) -> Result:
    def yes(item: str) -> bool:
        return answers.get(item) == 1

    if yes("q4") or yes("q5") or (yes("q6") and yes("q6_recent")):
        level = "high"
    elif yes("q3") or yes("q6"):
        level = "moderate"
    elif yes("q1") or yes("q2"):
        level = "low"
    else:
        level = "none"
    flags: tuple[str, ...] = ("suicide-risk",) if level in ("moderate", "high") else ()
    advice = {
        "high": "imminent risk: patient-safety precautions until a mental-health professional evaluates",
        "moderate": "mental-health referral; safety planning",
        "low": "mental-health referral at the discretion of the clinician",
        "none": "no suicidal ideation or behaviour reported",
    }[level]
    return Result(None, level, flags, advice)


@hookimpl(trylast=True)
def register_instruments() -> list[Instrument]:
    return [
        Instrument(
            "instruments.cssrs",
            "C-SSRS screener",
            "2021",
            ITEMS,
            score_cssrs,
            "© The Research Foundation for Mental Hygiene, Inc.; free for clinical, community and non-profit use; "
            "licensing terms apply to commercial and vendor-software use (cssrs.columbia.edu).",
            free_for_commercial_use=False,
            loinc_panel="93373-9",
            description="Columbia Suicide Severity Rating Scale, screen version (risk: none, low, moderate, high)",
        )
    ]
