"""Telling people apart: folding, typo-tolerant words, phone digits, and reading what was typed."""

from __future__ import annotations

import pytest

from caseflow import UsageError
from caseflow.records.people import (
    Query,
    distance,
    fold,
    name_cost,
    name_words,
    phone_digits,
    read_query,
    same_phone,
    word_costs,
)


def cost(query: str, name: str) -> int | None:
    q, words = name_words(query), name_words(name)
    return name_cost(q, words, word_costs(q, words))


def test_names_fold_case_and_accents_and_split_on_hyphens() -> None:
    assert fold("Tomás") == "tomas"
    assert name_words("  Tomás Reyes-Vidal ") == ("tomas", "reyes", "vidal")


def test_a_swapped_pair_of_letters_is_one_typo() -> None:
    assert distance("reyse", "reyes", 2) == 1
    assert distance("tomas", "thomas", 2) == 1
    assert distance("ana", "maria", 1) == 2  # stops once beyond the limit


@pytest.mark.parametrize("typed", ["reyes tomas", "Tomás Reyes", "Tomas Reyse", "TOMAS", "tom vid"])
def test_word_order_accents_typos_and_beginnings_all_find_the_name(typed: str) -> None:
    assert cost(typed, "Tomás Reyes Vidal") is not None


def test_the_whole_name_costs_less_than_a_near_miss() -> None:
    exact = cost("tomas reyes vidal", "Tomás Reyes Vidal")
    typo = cost("tomas reyse vidal", "Tomás Reyes Vidal")
    assert exact == 0 and typo is not None and typo > exact


@pytest.mark.parametrize("typed", ["Ana Reyes", "Tomas Tomas", "Tomas Reyes Vidal Ochoa", "Rex"])
def test_a_different_person_does_not_match(typed: str) -> None:
    assert cost(typed, "Tomás Reyes Vidal") is None


def test_phones_compare_by_digits_and_by_their_ends() -> None:
    assert phone_digits("(555) 010-0123") == "5550100123"
    assert same_phone("5550100123", phone_digits("555.010.0123"))
    assert same_phone("15550100123", "5550100123")  # a country code given once
    assert not same_phone("0123", "5550100123")  # too short to say


def test_what_was_typed_is_read_as_a_date_a_phone_or_a_name() -> None:
    assert read_query("1990-04-02") == Query(dob="1990-04-02")
    assert read_query("(555) 010-0123") == Query(phone="5550100123")
    assert read_query("Ana Example", "1990-04-02") == Query(("ana", "example"), "1990-04-02")
    assert read_query("").empty
    with pytest.raises(UsageError, match="two birth dates"):
        read_query("1990-04-02", "1991-01-01")
