"""Generated documents, read both ways: the read path and the round trip must agree on every one.

Random data (mappings, lists, text full of YAML's special characters, numbers, yes/no, nulls) is
written out by three different emitters in block, flow and mixed styles, at narrow widths so that
long values fold over lines; each text must read back, both ways, as the data. Then the texts are
damaged at random (a character inserted, deleted or a line re-indented): whatever the damage,
both ways must accept alike, with the same value, or refuse alike, with the same line:col and a
message in words, and never raise anything else.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from caseflow.core.documents import YamlStyle, dump_yaml
from caseflow.core.documents.policy import _FAST, fast_load
from tests.core.yaml.conformance import assert_a_refusal_in_words, read_path, round_trip_path

SPECIAL = [*" \t:#-?[]{},'\"&*!|>%@`\\.~\n", "é", "ß", "🏠", "٣"]
WORDS = [
    "null", "Null", "~", "true", "False", "yes", "NO", "on", "1_000", "0o17", "0x1F", "1e3", ".inf", ".nan",
    "2026-01-05", "12:30", "- a", "? x", "a: b", "# c", "a #b", "", " lead", "trail ", "---", "...", "'", '"',
    "!", "&a", "*a", "%x", "@x", "`x`", "|", ">", "[a]", "{a: b}", "http://x/y?z=1#f", "it's", 'say "hi"',
]  # fmt: skip

text = st.one_of(
    st.sampled_from(WORDS),
    st.text(alphabet=st.sampled_from([*SPECIAL, "a", "b", "z", "0", "7", "_"]), max_size=14),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=14,
)
documents = st.dictionaries(text, values, min_size=1, max_size=5)


def ruamel_safe(data: Any, flow: bool | None, width: int, indent: int, explicit_start: bool) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = flow
    yaml.width = width
    yaml.indent(mapping=indent, sequence=indent + 2, offset=indent)
    yaml.allow_unicode = True
    yaml.explicit_start = explicit_start
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


EMITTERS = st.one_of(
    st.builds(lambda compact: ("json", {"indent": None if compact else 2}), st.booleans()),
    st.builds(
        lambda mapping, seq_offset: ("caseflow", {"mapping": mapping, "offset": seq_offset}),
        st.sampled_from([2, 4]),
        st.sampled_from([0, 2]),
    ),
    st.builds(
        lambda flow, width, indent, start: ("ruamel", {"flow": flow, "width": width, "indent": indent, "start": start}),
        st.sampled_from([False, True, None]),
        st.sampled_from([12, 40, 4096]),
        st.sampled_from([2, 3, 4]),
        st.booleans(),
    ),
)


def emit(data: dict[str, Any], emitter: tuple[str, dict[str, Any]]) -> str:
    name, options = emitter
    if name == "json":
        return json.dumps(data, indent=options["indent"], ensure_ascii=False) + "\n"
    if name == "caseflow":
        style = YamlStyle(options["mapping"], options["offset"] + 2, options["offset"])
        return dump_yaml(data, style)
    return ruamel_safe(data, options["flow"], options["width"], options["indent"], options["start"])


def both_ways(raw: bytes) -> tuple[str, Any]:
    same_walk(raw.decode("utf-8", errors="replace"))
    read, written = read_path(raw), round_trip_path(raw)
    assert read == written, f"{raw!r}\nread path: {read}\nround trip: {written}"
    if read[0] == "refused":
        assert_a_refusal_in_words(read[1])
    return read


def same_walk(text: str) -> None:
    """The fast loader's own walk over libyaml's nodes gives what ruamel's constructor gives."""
    outcomes = []
    for load in (fast_load, _FAST.load):
        try:
            outcomes.append(("value", load(text)))
        except Exception as exc:  # whatever libyaml or ruamel raise, both must raise it
            outcomes.append(("error", type(exc).__name__))
    assert outcomes[0] == outcomes[1], text


def ruamel_writes_it_wrongly(data: Any, emitter: tuple[str, dict[str, Any]]) -> bool:
    """Text ruamel's emitter writes in a way that means something else (its bugs, not the loaders')."""
    if emitter[0] == "json":
        return False
    if isinstance(data, dict):
        # a key with spaces folded over lines at a narrow width (a key must stay on one line)
        folded = emitter[1].get("width", 4096) < 4096 and any(" " in k or "\t" in k for k in data)
        return folded or any(ruamel_writes_it_wrongly(item, emitter) for pair in data.items() for item in pair)
    if isinstance(data, list):
        return any(ruamel_writes_it_wrongly(v, emitter) for v in data)
    if not isinstance(data, str):
        return False
    # a text with a tab, double-quoted and folded at a narrow width right after the escaped tab,
    # where the text has no space: the fold reads back as one
    folded_after_a_tab = "\t" in data and emitter[1].get("width", 4096) < 4096
    # "? x" or ": x" written unquoted in brackets, where "? " starts an explicit key and ": " a value
    return folded_after_a_tab or data.startswith(("? ", "?\t", ": ", ":\t"))


def check_emitted(data: dict[str, Any], emitter: tuple[str, dict[str, Any]]) -> None:
    raw = emit(data, emitter).encode("utf-8")
    result = both_ways(raw)
    if not ruamel_writes_it_wrongly(data, emitter):
        assert result == ("value", data), raw


MUTATIONS = [*SPECIAL, "\n  ", "\n- ", ": ", " #", "[", "{", "'", '"', "|\n", ">-\n", "- - ", "? ", "\t", "x"]


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    text = emit(draw(documents), draw(EMITTERS))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        action = draw(st.sampled_from(["insert", "delete", "indent", "dedent"]))
        if action == "insert":
            text = text[:at] + draw(st.sampled_from(MUTATIONS)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(min_value=1, max_value=3)) :]
        else:
            start = text.rfind("\n", 0, at) + 1
            text = text[:start] + "  " + text[start:] if action == "indent" else text[:start] + text[start + 1 :]
    return text.encode("utf-8")


FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
SOAK = settings(max_examples=3000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(documents, EMITTERS)
def test_generated_documents_read_back_alike_both_ways(data: dict[str, Any], emitter: tuple[str, Any]) -> None:
    check_emitted(data, emitter)


@FAST
@given(damaged())
def test_damaged_documents_are_read_or_refused_alike_both_ways(raw: bytes) -> None:
    both_ways(raw)


@pytest.mark.slow
@SOAK
@given(documents, EMITTERS)
def test_many_generated_documents_read_back_alike_both_ways(data: dict[str, Any], emitter: tuple[str, Any]) -> None:
    check_emitted(data, emitter)


@pytest.mark.slow
@SOAK
@given(damaged())
def test_many_damaged_documents_are_read_or_refused_alike_both_ways(raw: bytes) -> None:
    both_ways(raw)
