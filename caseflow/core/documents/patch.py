"""Apply an edit to a person's file without re-rendering the parts caseflow did not change.

ruamel gives most files back byte for byte, but not every hand-written layout (trailing spaces,
mixed indentation, multi-line flow lists, ``...`` markers). So an edit is made on the rendered
text and then carried over to the original as a line patch: the lines the edit changed are
replaced where they sit in the original, and every other line stays exactly as the person wrote
it. If the edit touches a line that rendering itself would have changed, the patch is refused
rather than guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher


class PatchConflict(Exception):
    """The edit touches a line whose layout rendering would change; ``line`` is where, 1-based."""

    def __init__(self, line: int) -> None:
        super().__init__(f"line {line}")
        self.line = line


def carry_over(original: str, rendered_before: str, rendered_after: str) -> str:
    """``original`` with the changes from ``rendered_before`` to ``rendered_after``.

    ``rendered_before`` is the original as the renderer writes it (no edit); lines that differ only
    in trailing spaces count as the same line. Raises :class:`PatchConflict` when unsafe.
    """
    source = original.splitlines(keepends=True)
    before = rendered_before.splitlines(keepends=True)
    after = rendered_after.splitlines(keepends=True)
    where = _line_map(source, before)
    edits = [op for op in _opcodes(before, after) if op[0] != "equal"]
    patched = list(source)
    for _, b1, b2, a1, a2 in reversed(edits):
        if b2 > b1:
            span = [where.get(index) for index in range(b1, b2)]
            first = span[0]
            if first is None or span != list(range(first, first + len(span))):
                raise PatchConflict(_near(where, b1))
            start, end = first, first + len(span)
        else:
            anchor = _insertion_point(where, b1, len(before), len(source))
            if anchor is None:
                raise PatchConflict(_near(where, b1))
            start = end = anchor
        if start and not patched[start - 1].endswith("\n"):
            patched[start - 1] += "\n"  # the file had no final newline; new lines still need their own
        patched[start:end] = after[a1:a2]
    return "".join(patched)


def _near(where: dict[int, int], index: int) -> int:
    """The original's line number at (or just after the last known line before) a rendered line."""
    known = [where[i] for i in range(index, -1, -1) if i in where]
    return (known[0] + (1 if index not in where else 0) if known else 0) + 1


def _opcodes(a: list[str], b: list[str]) -> Sequence[tuple[str, int, int, int, int]]:
    return SequenceMatcher(
        None, [line.rstrip() for line in a], [line.rstrip() for line in b], autojunk=False
    ).get_opcodes()


def _line_map(source: list[str], before: list[str]) -> dict[int, int]:
    """For each rendered line that is also in the original, its line number there."""
    mapping: dict[int, int] = {}
    for tag, s1, _, b1, b2 in _opcodes(source, before):
        if tag == "equal":
            for offset in range(b2 - b1):
                mapping[b1 + offset] = s1 + offset
    return mapping


def _insertion_point(where: dict[int, int], index: int, rendered_lines: int, source_lines: int) -> int | None:
    """Where new lines go in the original: right after the line they follow in the rendering."""
    if index == 0:
        return 0
    if index - 1 in where:
        return where[index - 1] + 1
    if index == rendered_lines:
        return source_lines
    return None
