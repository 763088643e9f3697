"""The official YAML test suite, each input used as a client's plan.yaml.

Both read paths (the fast loader behind ``show`` and the index, the round-trip loader behind
writes and error positions) must accept and refuse exactly the same inputs, alike; an accepted
input must give the suite's value; a refused one must be refused with line:col and a message in
words, and, where the suite calls the input valid, for a reason the documented policy gives.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from ruamel.yaml.error import YAMLError

from caseflow.core.documents import to_plain
from caseflow.core.documents.policy import _FAST, _fast_path_is_safe, _round_trip_yaml, check_text, fast_load, load_fast
from tests.core.yaml.conformance import (
    NO_JSON_VALUES,
    assert_a_refusal_in_words,
    policy_reason,
    read_path,
    round_trip_path,
    same_json,
    suite_cases,
)

CASES = suite_cases()
#: Values the suite gives no JSON for, of documents that are not mappings.
NOT_A_MAPPING_VALUES = {"UKK6_02": ""}  # "!" alone: an empty scalar with the non-specific tag, text


def case_id(case: dict[str, Any]) -> str:
    return str(case["id"])


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_both_loaders_accept_and_refuse_alike(case: dict[str, Any]) -> None:
    raw = case["yaml"].encode("utf-8")
    read, written = read_path(raw), round_trip_path(raw)
    assert read == written
    if read[0] == "refused":
        assert_a_refusal_in_words(read[1])


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_each_input_gives_the_suite_value_or_a_refusal_the_policy_explains(case: dict[str, Any]) -> None:
    kind, result = round_trip_path(case["yaml"].encode("utf-8"))
    if kind == "refused":
        if not case["error"]:
            assert policy_reason(result.message), f"{case['name']}: refused {result}, which no policy rule explains"
        return
    assert not case["error"], f"{case['name']}: the suite marks this input invalid, but it was read as {result!r}"
    if case["json"] is None:
        assert result == NO_JSON_VALUES[case["id"]]
    else:
        assert len(case["json"]) == 1
        assert same_json(result, case["json"][0]), f"{result!r} != {case['json'][0]!r}"


def tally() -> Counter[str]:
    counts: Counter[str] = Counter()
    for case in CASES:
        kind, result = round_trip_path(case["yaml"].encode("utf-8"))
        if kind == "value":
            counts["the suite's value"] += 1
        elif case["error"]:
            counts["refused, invalid YAML"] += 1
        else:
            counts[f"refused by policy: {policy_reason(result.message)}"] += 1
    return counts


def test_the_tally_over_the_whole_suite() -> None:
    """How the 402 inputs fare (update with the policy; the report of issue 16 quotes it)."""
    assert len(CASES) == 402
    assert sum(case["error"] for case in CASES) == 94
    assert dict(tally()) == {
        "the suite's value": 80,
        "refused, invalid YAML": 94,
        "refused by policy: the top is not a mapping of fields": 114,
        "refused by policy: anchors and aliases": 27,
        "refused by policy: tags": 24,
        "refused by policy: keys that are not text": 21,
        "refused by policy: more than one document": 16,
        "refused by policy: tabs as indentation or separation": 15,
        "refused by policy: a %YAML directive": 11,
    }


NOT_MAPPINGS = [
    case
    for case in CASES
    if not case["error"] and "must be a mapping" in str(round_trip_path(case["yaml"].encode("utf-8"))[1])
]


@pytest.mark.parametrize("case", NOT_MAPPINGS, ids=case_id)
def test_a_document_refused_for_not_being_a_mapping_would_still_read_as_the_suite_says(case: dict[str, Any]) -> None:
    """The loaders under the mapping rule read lists and bare values right too (and alike)."""
    text = check_text("plan.yaml", case["yaml"])
    value = to_plain(_round_trip_yaml().load(text))
    expected = case["json"] if case["json"] is not None else [NOT_A_MAPPING_VALUES[case["id"]]]
    assert same_json(value, expected[0] if expected else None)
    if _fast_path_is_safe(text):
        try:
            fast = fast_load(text)
        except YAMLError:
            return  # the read path then uses the round-trip loader
        assert same_json(fast, expected[0] if expected else None)
        assert same_json(_FAST.load(text), expected[0] if expected else None)


def test_the_fast_loader_reads_many_suite_inputs_itself() -> None:
    """The agreement above is not won by sending everything to the round-trip loader."""
    fast = 0
    for case in CASES:
        try:
            text = check_text("plan.yaml", case["yaml"])
        except Exception:
            continue
        if _fast_path_is_safe(text) and load_fast(text) is not None:
            fast += 1
    assert fast >= 50


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_the_fast_loaders_walk_reads_every_suite_input_as_ruamels_constructor_does(case: dict[str, Any]) -> None:
    """``fast_load`` builds the usual tree itself (and leaves the rest to ruamel's constructor,
    as ``YAML.load`` does it): both give the same value, or both fail."""
    text = case["yaml"]
    outcomes = []
    for load in (fast_load, _FAST.load):
        try:
            outcomes.append(("value", load(text)))
        except Exception as exc:  # whatever libyaml or ruamel raise, both must raise it
            outcomes.append(("error", type(exc).__name__))
    assert outcomes[0] == outcomes[1]
