"""Round-trip fidelity and the YAML policy of caseflow.core.documents."""

from __future__ import annotations

import difflib
import time
from pathlib import Path

import pytest

from caseflow.core.documents import (
    delete_item,
    fast_loader_is_c,
    load_document,
    load_plain,
    new_mapping,
)
from caseflow.core.editing import apply_edit, parse_field_path
from caseflow.errors import DocumentError

CORPUS = Path(__file__).parent.parent / "corpus"
CORPUS_FILES = sorted(p for p in CORPUS.iterdir() if p.suffix in (".yaml", ".md"))


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def problem_of(path: str, text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    with pytest.raises(DocumentError) as caught:
        load_document(path, raw)
    assert len(caught.value.problems) == 1
    return str(caught.value.problems[0])


def test_corpus_is_messy_enough() -> None:
    texts = {p.name: p.read_bytes() for p in CORPUS_FILES}
    assert any(b"\r\n" in t for t in texts.values()), "a CRLF file"
    assert any("🏠".encode() in t for t in texts.values()), "emoji"
    assert any(b"|" in t and b">" in t for t in texts.values()), "block scalars"
    assert any(b"[" in t and b"{" in t for t in texts.values()), "flow collections"
    assert any(b"\n    - " in t and b"\n      " in t for t in texts.values()), "4-space indentation"
    assert any(not t.endswith(b"\n") for t in texts.values()), "no final newline"


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_unedited_save_is_byte_identical(path: Path) -> None:
    raw = path.read_bytes()
    assert load_document(path.name, raw).to_bytes() == raw


@pytest.mark.parametrize("path", [p for p in CORPUS_FILES if p.name != "unusual-layout.yaml"], ids=lambda p: p.name)
def test_rendering_alone_is_faithful_for_ordinary_layouts(path: Path) -> None:
    raw = path.read_bytes()
    document = load_document(path.name, raw)
    assert document.render() == raw.decode("utf-8-sig").replace("\r\n", "\n")


def test_an_unusual_layout_keeps_every_untouched_line() -> None:
    raw = (CORPUS / "unusual-layout.yaml").read_text()
    document = load_document("plan.yaml", raw.encode())
    assert document.render() != raw, "this file is here because ruamel alone would rewrite it"
    apply_edit(document.data, parse_field_path("review_date"), "2026-05-01", {})
    assert changed_lines(raw, document.to_text()) == ["-review_date: 2026-04-01  ", "+review_date: 2026-05-01"]


def test_an_edit_inside_an_unusual_layout_is_refused_not_guessed() -> None:
    raw = (CORPUS / "unusual-layout.yaml").read_text()
    document = load_document("plan.yaml", raw.encode())
    apply_edit(document.data, parse_field_path("goals[g1].objectives[o1].target_date"), "2026-03-01", {})
    with pytest.raises(DocumentError) as caught:
        document.to_text()
    assert (
        str(caught.value)
        == "plan.yaml:9:1: this edit would also rewrite the unusual layout here; make this edit by hand"
    )


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_fast_and_round_trip_loaders_agree(path: Path) -> None:
    raw = path.read_bytes()
    data, body = load_plain(path.name, raw)
    document = load_document(path.name, raw)
    assert data == document.plain()
    assert body == document.body


def test_fast_loader_is_the_c_parser() -> None:
    assert fast_loader_is_c(), "install ruamel.yaml.clib: the pure-Python parser is 5x slower"


def test_crlf_is_kept_as_crlf_after_an_edit() -> None:
    raw = (CORPUS / "crlf.yaml").read_bytes()
    document = load_document("crlf.yaml", raw)
    document.data["name"] = "Ana B. Example"
    out = document.to_bytes()
    assert out.count(b"\r\n") == raw.count(b"\r\n")
    assert b"\n" not in out.replace(b"\r\n", b"")
    assert out.replace(b"Ana B. Example", b"Ana Example") == raw


def test_markdown_body_is_kept_verbatim_after_a_front_matter_edit() -> None:
    raw = (CORPUS / "block-scalars.md").read_bytes()
    document = load_document("visit.md", raw)
    document.data["duration_minutes"] = 50
    out = document.to_bytes().decode()
    assert out.split("---\n", 2)[2] == raw.decode().split("---\n", 2)[2]
    assert changed_lines(raw.decode(), out) == ["-duration_minutes: 45", "+duration_minutes: 50"]


@pytest.mark.parametrize(
    ("path", "field", "value", "expected"),
    [
        (
            "comments-blank-lines.yaml",
            "goals[g1].objectives[g1-o1].target_date",
            "2026-02-15",
            [
                "-        target_date: 2026-02-01   # deadline from the authority",
                "+        target_date: 2026-02-15   # deadline from the authority",
            ],
        ),
        ("four-space.yaml", "goals[g2].status", "met", ["-      status: active", "+      status: met"]),
        ("flow-and-quotes.yaml", "postal_code", "60601", ["-postal_code: '02134'", "+postal_code: '60601'"]),
        (
            "flow-and-quotes.yaml",
            "address.city",
            "Chicago",
            ["-address: {city: Springfield, state: IL}", "+address: {city: Chicago, state: IL}"],
        ),
    ],
)
def test_one_field_edit_changes_exactly_one_line(path: str, field: str, value: str, expected: list[str]) -> None:
    raw = (CORPUS / path).read_text()
    document = load_document(path, raw.encode())
    apply_edit(document.data, parse_field_path(field), value, {"properties": {"postal_code": {"type": "string"}}})
    assert changed_lines(raw, document.to_text()) == expected


def test_deleting_a_list_item_keeps_the_neighbours_comments() -> None:
    raw = (CORPUS / "comments-blank-lines.yaml").read_text()
    document = load_document("plan.yaml", raw.encode())
    delete_item(document.data["goals"], 1)
    out = document.to_text()
    assert "# Depression treatment" not in out
    assert "  # School\n  - id: g3" in out
    assert "  # Housing first: everything else depends on it\n  - id: g1" in out
    assert out.endswith("# end of plan\n")


def test_deleting_the_first_item_gives_its_place_to_the_next_items_comment() -> None:
    raw = (CORPUS / "comments-blank-lines.yaml").read_text()
    document = load_document("plan.yaml", raw.encode())
    delete_item(document.data["goals"], 0)
    out = document.to_text()
    assert "Housing first" not in out
    assert "goals:\n  # Depression treatment\n  - id: g2" in out


def test_appending_a_list_item_keeps_the_closing_comment_last() -> None:
    raw = (CORPUS / "comments-blank-lines.yaml").read_text()
    document = load_document("plan.yaml", raw.encode())
    apply_edit(document.data, parse_field_path("goals[+].id"), "g4", {})
    apply_edit(document.data, parse_field_path("goals[g4].title"), "Find work", {})
    apply_edit(document.data, parse_field_path("goals[g4].status"), "active", {})
    out = document.to_text()
    assert changed_lines(raw, out) == ["+  - id: g4", "+    title: Find work", "+    status: active"]
    assert out.endswith("    status: active\n# end of plan\n")


def test_inserting_between_items_keeps_each_comment_with_its_item() -> None:
    from caseflow.core.documents import insert_item

    raw = (CORPUS / "comments-blank-lines.yaml").read_text()
    document = load_document("plan.yaml", raw.encode())
    insert_item(document.data["goals"], 1, new_mapping({"id": "g9", "title": "New", "status": "active"}))
    out = document.to_text()
    assert "  - id: g9\n    title: New\n    status: active\n\n  # Depression treatment\n  - id: g2" in out


# -- the YAML policy --------------------------------------------------------------------------


def test_no_stays_a_string_and_dates_stay_strings() -> None:
    data, _ = load_plain("c.yaml", b"form: x\ncountry: NO\non: yes\nwhen: 2026-01-05\nzip: 02134\n")
    assert data == {"form": "x", "country": "NO", "on": "yes", "when": "2026-01-05", "zip": 2134}


def test_duplicate_key_names_both_lines() -> None:
    assert problem_of("d.yaml", "form: x\nname: A\nphone: '1'\nname: B\n") == (
        "d.yaml:4:1: duplicate key 'name' (first defined on line 2)"
    )


def test_duplicate_key_in_front_matter_counts_lines_from_the_file_start() -> None:
    assert problem_of("v.md", "---\nform: x\ndate: 2026-01-01\ndate: 2026-01-02\n---\nbody\n") == (
        "v.md:4:1: duplicate key 'date' (first defined on line 3)"
    )


def test_anchors_and_aliases_are_refused() -> None:
    assert problem_of("a.yaml", "form: x\nbase: &b {a: 1}\n") == (
        "a.yaml:2:7: anchors (&name) are not allowed in case documents"
    )


def test_billion_laughs_is_refused_at_once() -> None:
    lines = ['lol0: &a0 ["lol"]'] + [f"lol{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    started = time.perf_counter()
    message = problem_of("laughs.yaml", "\n".join(lines) + "\n")
    elapsed = time.perf_counter() - started
    assert message.startswith("laughs.yaml:1:7: anchors")
    assert elapsed < 1.0  # a correctness bound (no expansion), not a benchmark


def test_yaml_directive_is_refused() -> None:
    assert problem_of("y.yaml", "%YAML 1.1\n---\nform: x\n").startswith("y.yaml:1:1: has a %YAML directive")


def test_explicit_tags_are_refused() -> None:
    assert "explicit tags" in problem_of("t.yaml", "form: x\nobj: !!python/object:os.system x\n")


@pytest.mark.parametrize(
    "text",
    [
        # flow and block mappings this deep take seconds to refuse: make test-all runs them
        pytest.param("[" * 10_000 + "]" * 10_000, id="flow", marks=pytest.mark.slow),
        pytest.param("- " * 10_000 + "x\n", id="block-sequence"),
        pytest.param(
            "".join(f"{' ' * i}k{i}:\n" for i in range(10_000)) + "x\n", id="block-mapping", marks=pytest.mark.slow
        ),
    ],
)
def test_ten_thousand_levels_deep_is_refused_without_recursion_error(text: str) -> None:
    assert "nested deeper than 64 levels" in problem_of("deep.yaml", text)
    with pytest.raises(DocumentError):
        load_plain("deep.yaml", text.encode())


def test_malformed_yaml_is_located() -> None:
    assert problem_of("m.yaml", "form: x\nlist: [1, 2\nother: 3\n").startswith("m.yaml:3:")


def test_a_document_must_be_a_mapping() -> None:
    assert "must be a mapping" in problem_of("l.yaml", "- a\n- b\n")


def test_unclosed_front_matter_is_refused() -> None:
    assert problem_of("n.md", "---\nform: core.visit\n# Note\n") == (
        "n.md:1:1: front matter opened here is never closed (add a line '---' after it)"
    )


def test_markdown_without_front_matter_is_refused() -> None:
    assert "must start with '---'" in problem_of("n.md", "# Just a note\n")


def test_explicit_null_and_empty_values_round_trip_and_read_as_none() -> None:
    raw = b"form: x\na:\nb: null\nc: ~\n"
    document = load_document("n.yaml", raw)
    assert document.plain() == {"form": "x", "a": None, "b": None, "c": None}
    assert document.to_bytes() == raw


def test_position_lookup_points_at_the_value() -> None:
    raw = (CORPUS / "comments-blank-lines.yaml").read_bytes()
    document = load_document("plan.yaml", raw)
    assert document.locate(("goals", 0, "objectives", 0, "target_date")) == (22, 22)
    assert document.locate(("goals", 2)) == (31, 5)
    assert document.locate(("goals", 1, "missing")) == (26, 5)


def test_front_matter_fences_may_carry_trailing_spaces() -> None:
    raw = "--- \nform: core.visit\ndate: 2026-01-01\n---  \nBody stays.\n"
    document = load_document("v.md", raw.encode())
    document.data["date"] = "2026-01-02"
    assert document.to_text() == raw.replace("2026-01-01", "2026-01-02")
    assert "close the front matter" in problem_of("v.md", "---\nform: x\n...\nbody\n")


def test_the_fast_loader_leaves_nothing_for_the_garbage_collector() -> None:
    """Each document's loader is freed as soon as it has read it: the CLI collects garbage rarely
    (GC_THRESHOLDS), and loaders left in reference cycles grew a worker of a cold index by 300 MB."""
    import gc

    from caseflow.core.documents.policy import fast_load

    text = "form: core.plan\ngoals:\n  - {id: g1, text: sleep}\nreview: 2026-01-05\ncount: 3\n"
    fast_load(text)  # (anything made once is made now)
    gc.collect()
    gc.disable()
    try:
        for _ in range(50):
            assert fast_load(text) == {
                "form": "core.plan",
                "goals": [{"id": "g1", "text": "sleep"}],
                "review": "2026-01-05",
                "count": 3,
            }
        assert gc.collect() == 0
    finally:
        gc.enable()
