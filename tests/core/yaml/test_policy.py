"""The loader policy on the cases issue 16 found, each read both ways (read path and round trip)."""

from __future__ import annotations

from typing import Any

import pytest

from caseflow.core.documents import load_document, parse_scalar
from caseflow.core.validation import Located, locate_all
from tests.core.yaml.conformance import PLAN, assert_a_refusal_in_words, read_path, round_trip_path


def read_both(text: str) -> Any:
    """The value both paths agree on (failing if they do not, or if either refuses)."""
    raw = text.encode("utf-8")
    read, written = read_path(raw), round_trip_path(raw)
    assert read == written
    assert read[0] == "value", read[1]
    return read[1]


def refusal(text: str) -> str:
    """The one refusal both paths agree on, as printed (``path:line:col: message``)."""
    raw = text.encode("utf-8")
    read, written = read_path(raw), round_trip_path(raw)
    assert read == written
    assert read[0] == "refused", read[1]
    assert_a_refusal_in_words(read[1])
    return str(read[1]).removeprefix(PLAN + ":")


# -- values ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a: ! 12", "12"),  # the non-specific tag: text (YAML 1.2), not the number 12
        ("a: ! [1, b]", [1, "b"]),
        ("a: { ?foo: bar }", {"?foo": "bar"}),  # "?" starts a key only before a space
        ("a: [?x]", ["?x"]),
        ("a: [?x, ? y]", ["?x", {"y": None}]),
        ("a: |+\n\n", "\n"),  # keep: the one blank line is the value
        ("a:\n- |+\n   ", ["\n"]),  # ... also when the file ends on it
        ("a: |\n  x\n   ", "x\n \n"),
        ("a: {omitted value:, b: c}", {"omitted value": None, "b": "c"}),
        ('a: ["JSON like":adjacent]', [{"JSON like": "adjacent"}]),
        ('a: { "multi\n  line": value }', {"multi line": "value"}),
        ("a: |\n \n  \n  literal\n", "\n\nliteral\n"),  # blank lines before the text set no indentation
        ("a: |\n   \nnext: 1", ""),
    ],
)
def test_yaml_1_2_values_both_ways(text: str, value: Any) -> None:
    assert read_both(text)["a"] == value


@pytest.mark.parametrize(
    ("scalar", "value"),
    [
        ("12", 12),
        ("-3", -3),
        ("+7", 7),
        ("010", 10),  # YAML 1.2: decimal, not octal
        ("0o17", 15),
        ("0x1F", 31),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("-.inf", float("-inf")),
        ("true", True),
        ("False", False),
        ("~", None),
        ("null", None),
        ("", None),
        ("1_000", "1_000"),  # YAML 1.1 only
        ("0b101", "0b101"),
        ("-0x10", "-0x10"),
        ("685.230_15e+03", "685.230_15e+03"),
        ("1:30", "1:30"),
        ("yes", "yes"),
        ("NO", "NO"),
        ("2026-01-05", "2026-01-05"),  # dates stay text; the form's format checks them
    ],
)
def test_the_core_schema_and_nothing_else(scalar: str, value: Any) -> None:
    assert read_both(f"a: {scalar}\n") == {"a": value}
    assert parse_scalar(scalar) == value if scalar else True  # what `caseflow set a=...` stores


# -- refusals --------------------------------------------------------------------------------------

INDENT = "before this line, or indent this line more than the field it belongs to"
LIST_LINE = f"this line is still inside the [ ] list that starts on line 2: close it with ']' {INDENT}"
QUOTED_LINE = f"this line is still inside the quoted text that starts on line 2: close the quotes {INDENT}"
GLUED = "put a space before '#': a comment needs a space between it and the text before it"
QUOTE_KEY = "keys must be text: write it in quotes"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[ a, [ [[b,c]]: d, e]]: 23\n", "1:8: a key must be text, not a list"),
        ("form: x\nx: [ a, [ [[b,c]]: d, e]]\n", "2:11: a key must be text, not a list"),
        ("form: x\n? - a\n  - b\n: x\n", "2:3: a key must be text, not a list"),
        ("form: x\n[flow]: block\n", "2:1: a key must be text, not a list"),
        ("form: x\n{a: b}: c\n", "2:1: a key must be text, not a set of fields"),
        ("form: x\n1: one\n", f"2:1: the key 1 reads as a number; {QUOTE_KEY}, '1'"),
        ("form: x\ntrue: x\n", f"2:1: the key true reads as a yes/no value; {QUOTE_KEY}, 'true'"),
        ("form: x\nnull: x\n", "2:1: the key null reads as empty (null); write it in quotes, 'null'"),
        ("form: x\n: x\n", "2:1: a field name is missing here; write the name before ':'"),
        ("form: x\na: !!str 1\n", "2:4: explicit tags such as !!str are not allowed in case documents"),
        ("form: x\na: &x 1\nb: *x\n", "2:4: anchors (&name) are not allowed in case documents"),
        ("form: x\n---\nform: y\n", "2:1: a second YAML document starts here; a case document is one document"),
        ("form: x\n...\nform: y\n", "3:1: a second YAML document starts here; a case document is one document"),
        ("- a\n- b\n", "1:1: a document must be a mapping of fields, starting with 'form:'"),
        ("...\n", "1:1: a document must be a mapping of fields, starting with 'form:'"),
        ("form: x\nflow: [a,\nb]\n", f"3:1: {LIST_LINE}"),
        (
            "form: x\nflow: [a,\nb: c\n",
            "4:1: expected ',' or ']', but got the end of the file (in the [ ] list that starts on line 2)",
        ),
        ("form: x\nflow: [a,\n  b,\n]\n", f"4:1: {LIST_LINE}"),
        ('form: x\nq: "a\nb"\n', f"3:1: {QUOTED_LINE}"),
        ('form: x\nq: "a\n\tb"\n', f"3:1: {QUOTED_LINE}"),
        ('form: x\nq: "v"# note\n', f"2:7: {GLUED}"),
        ("form: x\nq: [a, b,# note\n  ]\n", f"2:10: {GLUED}"),
        ("form: x\nq: ># note\n  text\n", "2:5: " + GLUED.replace("the text before it", "the '|' or '>'")),
        (
            "form: x\nq: >\n \n  \n   \n # text\n",
            "5:3: this blank line at the start of the block text has more spaces than its first line (1);"
            " remove the spaces",
        ),
        ("form: x\na:\tb\n", "2:3: a tab character here; YAML spacing and indentation use spaces"),
        ("form: x\n[ a, b, c ] ]\n", "2:13: expected ':' after the field name that starts on line 2"),
        ("---\n[ a, b, c ] ]\n", "2:13: expected '---' (a new document), but found ']'"),  # once "('<scalar>',)"
        (
            "form: x\nkey: value: more\n",
            "2:11: a ':' followed by a space here would start a field inside a value; put the value in quotes",
        ),
    ],
)
def test_refusals_have_a_position_and_say_what_to_change(text: str, expected: str) -> None:
    assert refusal(text) == expected


# -- a key's comment that runs onto the next line, then its value, then blank lines ----------------

PLAN_WITH_LONG_COMMENT = """\
form: core.plan
client: C-7K2M9Q
review_date:   # agreed with the client at intake;
  # moved once after her hospital stay
  2026-11-19


goals:
  - id: g1
    title: Stable housing
"""


def test_a_comment_continued_on_the_next_line_before_a_value_loads_both_ways() -> None:
    """ruamel raised NotImplementedError("overlap in comment") on this layout."""
    assert read_both(PLAN_WITH_LONG_COMMENT) == {
        "form": "core.plan",
        "client": "C-7K2M9Q",
        "review_date": "2026-11-19",
        "goals": [{"id": "g1", "title": "Stable housing"}],
    }
    raw = PLAN_WITH_LONG_COMMENT.encode()
    document = load_document(PLAN, raw)
    assert document.to_bytes() == raw  # saved unedited: the same bytes
    assert document.locate(["review_date"]) == (5, 3)
    assert document.locate(["goals", 0, "title"]) == (10, 12)


def test_a_problem_in_such_a_plan_is_reported_at_its_line() -> None:
    raw = PLAN_WITH_LONG_COMMENT.replace("2026-11-19", "2026-13-45").encode()
    [problem] = locate_all(PLAN, raw, [Located(("review_date",), "not a date")])
    assert str(problem) == f"{PLAN}:5:3: not a date"
