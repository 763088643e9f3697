"""The pre-scan: nesting counted before parsing, as the parsers count it, and refused in milliseconds."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from caseflow.core.documents import MAX_DEPTH, load_document, load_plain
from caseflow.core.documents.prescan import _plainly_fine, _Scan, check_structure
from caseflow.core.textpolicy import MAX_DOCUMENT_BYTES
from caseflow.errors import DocumentError
from tests.core.yaml.conformance import read_path, round_trip_path, suite_cases

DEEP = 10_000
#: Indented mappings take a column a level: this many fit in a document (MAX_DOCUMENT_BYTES).
INDENTED = 1_400

#: Documents nested DEEP levels (INDENTED for indented ones), each with where the nesting passes
#: MAX_DEPTH (line, col).
TEN_THOUSAND_DEEP = {
    "flow lists": ("form: x\nx: " + "[" * DEEP + "]" * DEEP + "\n", (2, 67)),
    # the key inside the 63rd mapping, the pair inside the 32nd list: each the 65th level
    "flow mappings": ("form: x\nx: " + "{a: " * DEEP + "}" * DEEP + "\n", (2, 4 + 4 * 62 + 1)),
    "pairs in flow lists": ("form: x\nx: " + "[a: " * DEEP + "]" * DEEP + "\n", (2, 4 + 4 * 31 + 1)),
    "block mappings": ("".join(f"{' ' * i}k{i}:\n" for i in range(INDENTED)) + " " * INDENTED + "x\n", (64, 64)),
    "block lists": ("- " * DEEP + "x\n", (1, 2 * 64 + 1)),
    "lists at their key's indentation": ("k:\n" + "".join(f"{'  ' * i}- k:\n" for i in range(INDENTED // 2)), (33, 65)),
    "explicit keys": ("form: x\n" + "? " * DEEP + "x\n", (2, 2 * 64 + 1)),
    "a top-level flow list": ("[" * DEEP + "]" * DEEP + "\n", (1, 65)),
}


def test_the_ten_thousand_deep_documents_fit_in_a_document() -> None:
    assert all(len(text) <= MAX_DOCUMENT_BYTES for text, _ in TEN_THOUSAND_DEEP.values())


@pytest.mark.parametrize("load", [load_plain, load_document], ids=["read path", "round trip"])
def test_ten_thousand_levels_of_indented_mappings_too_big_for_a_document_are_refused_fast(
    load: Callable[[str, bytes], object],
) -> None:
    """50 MB: over the size cap, but the refusal still says where the nesting goes too deep."""
    raw = ("".join(f"{' ' * i}k{i}:\n" for i in range(DEEP)) + " " * DEEP + "x\n").encode()
    started = time.perf_counter()
    with pytest.raises(DocumentError) as caught:
        load("deep.yaml", raw)
    assert time.perf_counter() - started < 0.1
    assert str(caught.value) == f"deep.yaml:64:64: nested deeper than {MAX_DEPTH} levels"


@pytest.mark.parametrize("load", [load_plain, load_document], ids=["read path", "round trip"])
def test_a_text_over_the_size_cap_is_refused_before_it_is_read(load: Callable[[str, bytes], object]) -> None:
    raw = b"form: x\nnote: " + b"x" * (20 * MAX_DOCUMENT_BYTES) + b"\n"
    started = time.perf_counter()
    with pytest.raises(DocumentError) as caught:
        load("big.yaml", raw)
    assert time.perf_counter() - started < 0.1
    assert str(caught.value) == f"big.yaml: is {len(raw):,} bytes; documents are capped at {MAX_DOCUMENT_BYTES:,}"


@pytest.mark.parametrize("shape", sorted(TEN_THOUSAND_DEEP))
@pytest.mark.parametrize("load", [load_plain, load_document], ids=["read path", "round trip"])
def test_ten_thousand_levels_are_refused_before_parsing_in_a_tenth_of_a_second(
    shape: str, load: Callable[[str, bytes], object]
) -> None:
    text, where = TEN_THOUSAND_DEEP[shape]
    raw = text.encode()
    started = time.perf_counter()
    with pytest.raises(DocumentError) as caught:
        load("deep.yaml", raw)
    elapsed = time.perf_counter() - started
    [problem] = caught.value.problems
    assert problem.message == f"nested deeper than {MAX_DEPTH} levels"
    if where is not None:
        assert (problem.line, problem.col) == where
    assert elapsed < 0.1, f"{elapsed:.3f} s"


def ruamel_depth_refusal(text: str) -> tuple[int, int] | None:
    """Where ruamel itself, capped at MAX_DEPTH and without the pre-scan, refuses the nesting."""
    yaml = YAML(typ="rt", pure=True)
    yaml.max_depth = MAX_DEPTH
    try:
        yaml.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        assert "maximum depth" in str(exc), exc
        assert mark is not None
        return mark.line + 1, mark.column + 1
    return None


def prescan_refusal(text: str) -> tuple[int, int] | None:
    try:
        check_structure("deep.yaml", text)
    except DocumentError as exc:
        [problem] = exc.problems
        assert problem.message == f"nested deeper than {MAX_DEPTH} levels"
        return problem.line, problem.col
    return None


SHAPES: dict[str, Callable[[int], str]] = {
    "flow lists": lambda n: "x: " + "[" * n + "a" + "]" * n,
    "empty flow lists": lambda n: "x: " + "[" * n + "]" * n,
    "flow mappings": lambda n: "x: " + "{a: " * n + "b" + "}" * n,
    "pairs in flow lists": lambda n: "x: " + "[a: " * n + "b" + "]" * n,
    "block mappings": lambda n: "".join(f"{' ' * i}k{i}:\n" for i in range(n)) + " " * n + "x\n",
    "block mappings, empty values": lambda n: "".join(f"{' ' * i}k{i}:\n" for i in range(n)),
    "block lists": lambda n: "- " * n + "x\n",
    "compact mappings in lists": lambda n: "".join(f"{'  ' * i}- k:\n" for i in range(n)) + "  " * n + "  x\n",
    "lists at their key's indentation": lambda n: (
        "k:\n" + "".join(f"{'  ' * i}- k:\n" for i in range(n // 2 - 1)) + "  " * (n // 2 - 1) + "- k: x\n"
    ),
    "block then flow": lambda n: (
        "".join(f"{' ' * i}k{i}:\n" for i in range(n // 2)) + " " * (n // 2) + "[" * n + "]" * n
    ),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_prescan_counts_levels_as_the_parser_does(shape: str) -> None:
    """Around the limit, the pre-scan refuses exactly what ruamel's own cap refuses, at the same place."""
    for n in range(MAX_DEPTH - 36, MAX_DEPTH + 3):
        text = SHAPES[shape](n)
        assert prescan_refusal(text) == ruamel_depth_refusal(text), (shape, n)


@pytest.mark.parametrize(
    "text",
    [
        'note: "' + "[" * 100 + '"\n',
        "note: '" + "{[" * 100 + "'\n",
        "note: see [1] and [" + "[" * 100 + "\n",  # brackets inside plain text
        "note: # " + "[" * 100 + "\n",
        "note: |\n  " + "[" * 100 + "\n  - - - - -\n",
        "note: >\n  " + "{" * 100 + "\n",
        "note: a long line\n  that goes on " + "[" * 100 + "\n",  # a multi-line plain value
        "list: ['" + "[" * 100 + '\', "]]]"]\n',
        "list: [a, # " + "[" * 100 + "\n  b]\n",
        "text: it's [" + "[" * 100 + "\n",
    ],
)
def test_brackets_in_text_comments_and_block_text_are_not_nesting(text: str) -> None:
    doc = "form: x\n" + text
    check_structure("doc.yaml", doc)
    assert read_path(doc.encode()) == round_trip_path(doc.encode())
    assert read_path(doc.encode())[0] == "value"


def test_realistic_documents_pass_the_prescan(corpus_texts: list[str]) -> None:
    for text in corpus_texts:
        check_structure("doc.yaml", text)


@pytest.fixture
def corpus_texts() -> list[str]:
    from pathlib import Path

    corpus = Path(__file__).resolve().parents[2] / "corpus"
    texts = []
    for path in sorted(corpus.iterdir()):
        if path.suffix == ".yaml":
            texts.append(path.read_text(encoding="utf-8-sig").replace("\r\n", "\n"))
    assert texts
    return texts


# -- the shortcut ----------------------------------------------------------------------------------

PIECES = [
    "\n", "\n", "\n  ", "\n    ", " ", "  ", "- ", "? ", ": ", "key: ", "k2:", "value", "a b", "#", " # c",
    "[", "]", "{", "}", ",", ":", "'", '"', "''", "|", ">", "|-", ">2", "---", "...", "\t", "&a ", "!t ",
    "'x'", '"y"', "[a, b]", "{a: b}", "1", "-1", "it's", "\\",
]  # fmt: skip


@settings(max_examples=400, deadline=None, database=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_the_shortcut_passes_only_what_the_full_scan_passes(pieces: list[str]) -> None:
    text = "".join(pieces)
    if _plainly_fine(text):
        _Scan(text).run()


def test_the_shortcut_is_taken_by_ordinary_documents(corpus_texts: list[str]) -> None:
    assert sum(map(_plainly_fine, corpus_texts)) >= len(corpus_texts) // 2


def test_the_shortcut_agrees_over_the_suite() -> None:
    for case in suite_cases():
        text = case["yaml"]
        if _plainly_fine(text):
            _Scan(text).run()


def test_the_shortcut_is_compiled_only_once_it_pays() -> None:
    """Compiling the shortcut's pattern costs ~20 ms, more than a write's one document saves by it:
    a fresh process scans its first documents in full, then compiles it (checked in a new process,
    where nothing has compiled it yet)."""
    import subprocess
    import sys

    probe = (
        "from caseflow.core.documents import prescan\n"
        "prescan.check_structure('a.yaml', 'form: core.client\\nname: x\\n')\n"
        "first = prescan._all_simple.cache_info().currsize\n"
        "for _ in range(prescan.SHORTCUT_AFTER):\n"
        "    prescan.check_structure('a.yaml', 'form: core.client\\nname: x\\n')\n"
        "print(first, prescan._all_simple.cache_info().currsize)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", "1"]
