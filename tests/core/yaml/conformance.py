"""What the YAML tests share: the vendored suite, both read paths, and what a refusal must look like."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from caseflow.core.documents import load_document, load_plain
from caseflow.errors import DocumentError, Problem

SUITE = Path(__file__).parent / "suite" / "cases.json"
PLAN = "clients/C-7K2M9Q/plan.yaml"

#: Why caseflow refuses a valid YAML document, by what the refusal says (the policy in
#: caseflow/core/documents/policy.py); every refusal of an input the suite calls valid names one.
POLICY_REASONS = {
    "the top is not a mapping of fields": ("a document must be a mapping of fields",),
    "anchors and aliases": ("anchors (&name) are not allowed", "aliases (*name) are not allowed"),
    "tags": ("explicit tags such as ",),
    "a %YAML directive": ("has a %YAML directive",),
    "more than one document": ("a second YAML document starts here",),
    "tabs as indentation or separation": ("a tab character here",),
    "keys that are not text": ("a key must be text", "reads as a number", "reads as empty", "field name is missing"),
}

#: The value of the valid inputs the suite gives no JSON for, and caseflow accepts (read by hand).
NO_JSON_VALUES = {
    # Flow Mapping Separate Values: "omitted value:," is the key "omitted value" with no value
    "4ABK": {"unquoted": "separate", "http://foo.com": None, "omitted value": None},
}

#: What a message in words never holds: parser token names, Python tuples or reprs, escaped line breaks.
NOT_WORDS = re.compile(r"<[a-z ]+>|\('|',\)|\bNone\b|Traceback|Error\b|\\n")


@cache
def suite_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(SUITE.read_text(encoding="utf-8"))["cases"]
    return cases


Outcome = tuple[str, Any]


def read_path(raw: bytes, path: str = PLAN) -> Outcome:
    """What ``show`` and the index see: the fast loader where it can, else the round trip."""
    try:
        return "value", load_plain(path, raw)[0]
    except DocumentError as exc:
        return "refused", only_problem(exc)


def round_trip_path(raw: bytes, path: str = PLAN) -> Outcome:
    """What writes and error positions use: ruamel's round-trip loader."""
    try:
        return "value", load_document(path, raw).plain()
    except DocumentError as exc:
        return "refused", only_problem(exc)


def only_problem(exc: DocumentError) -> Problem:
    assert len(exc.problems) == 1, exc.problems
    return exc.problems[0]


def assert_a_refusal_in_words(problem: Problem, path: str = PLAN) -> None:
    assert problem.path == path
    assert problem.line >= 1 and problem.col >= 1, problem
    assert problem.message and not NOT_WORDS.search(problem.message), problem


def policy_reason(message: str) -> str | None:
    for reason, phrases in POLICY_REASONS.items():
        if any(phrase in message for phrase in phrases):
            return reason
    return None


def same_json(value: Any, expected: Any) -> bool:
    """Equal as JSON values, telling 1 from 1.0 and true from 1."""
    if isinstance(expected, dict):
        return (
            isinstance(value, dict)
            and value.keys() == expected.keys()
            and all(same_json(value[k], expected[k]) for k in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(value, list)
            and len(value) == len(expected)
            and all(same_json(v, e) for v, e in zip(value, expected, strict=True))
        )
    return type(value) is type(expected) and value == expected
