"""A cheap look at a YAML text's structure before any parser sees it.

A YAML parser spends time (and stack) on every level of nesting, so a document nested thousands
of levels deep is refused here, in one pass over the text, before parsing: ``[[[[…`` or ten
thousand indented mappings are refused in milliseconds, at the line and column where the nesting
passes :data:`MAX_DEPTH`.

How nesting is counted (the same way the parsers count it: every collection and every value is a
level, so ``a: b`` is 2 levels and ``a: [b]`` is 3):

* block collections by their indentation: a line indented more than the one above opens a level;
  each leading ``-``, ``?`` or ``:`` indicator (``- - x``) opens one, a ``key:`` opens a mapping;
* flow collections by their brackets ``[`` and ``{``, plus one for a ``key: value`` pair written
  inside a ``[…]`` list (it is a mapping of its own);
* never inside comments, quoted text (``"…"`` and ``'…'``, over several lines too), block text
  (``|`` and ``>``) or the continuation lines of a plain value. Quotes count as quotes only where
  a value can start with one (``it's`` is plain text), as YAML reads them. Where the scan cannot
  tell, it counts: it may over-count a document that is broken anyway, never a well-formed one.

The same pass refuses a few things the YAML 1.2 specification forbids and that one of the parsers
would let through, so that both parsers see only text they read alike:

* a line inside a multi-line ``[…]``, ``{…}`` or quoted value that is not indented more than the
  field it belongs to (``key: [a,`` then ``b]`` at the start of a line);
* a comment glued to what comes before it (``"text"# note``, ``[a, b]# note``, ``|# note``,
  ``a,# note`` inside brackets): YAML needs a space before ``#``;
* blank lines at the start of block text (``|`` or ``>``) with more spaces than its first line
  of text.
"""

from __future__ import annotations

import functools
import re

from caseflow.errors import DocumentError, Problem

#: Deepest nesting a case document may have (a form's fields rarely go past 6).
MAX_DEPTH = 64

_DOUBLE = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SINGLE = re.compile(r"'(?:[^']|'')*'")
_INDENT = re.compile(r" *")
#: Indentation (with "- " indicators) too wide for the shortcut: 2 * (width + 1) + 3 > MAX_DEPTH.
_TOO_WIDE = re.compile(rf"^[ \t?:-]{{{(MAX_DEPTH - 3) // 2}}}", re.MULTILINE)
_QUOTED = r"\"(?:[^\"\\\n]++|\\.)*+\"|'(?:[^'\n]++|'')*+'"
# The patterns below are possessive (Python 3.11) and never let two parts match the same spaces:
# they take linear time on any text.
_FIRST = r"(?:[-?:](?=\S)|(?![-?:,\[\]{}#&*!|>'\"%@`\s])\S)"
_FLOW_CHAR = r"(?:[^\[\]{}#,:\s]|:(?=[^\s,\[\]{}]))"
_FLOW_PLAIN = rf"(?![\"']){_FIRST}(?:[^\[\]{{}}#,:\s]++|:(?=[^\s,\[\]{{}}])|[ \t]++(?={_FLOW_CHAR}))*+"
_FLOW_NODE = rf"(?:{_QUOTED}|{_FLOW_PLAIN}) *+"
_FLOW_ENTRY = rf" *+(?:{_FLOW_NODE}(?:: *+(?:{_FLOW_NODE})?)?)?"
_ONE_LEVEL_FLOW = rf"\[{_FLOW_ENTRY}(?:,{_FLOW_ENTRY})*+\]|\{{{_FLOW_ENTRY}(?:,{_FLOW_ENTRY})*+\}}"
_PLAIN = rf"{_FIRST}(?:[^:\s]++|:(?=\S)|[ \t]++(?=[^:#\s]|:(?=\S)))*+"
_SIMPLE_VALUE = rf"(?:{_QUOTED}|{_ONE_LEVEL_FLOW}|[|>](?:[1-9][+-]?|[+-][1-9]?)?|{_PLAIN})"
#: A comment, or ``- `` indicators, a plain ``key:`` and a value on one line, a comment after them;
#: never a document marker (``---``, ``...``).
_SIMPLE_LINE = (
    r"(?!(?:---|\.\.\.)(?:[ \t]|$)) *+"
    rf"(?:#.*+|(?:- ++)*+(?:[A-Za-z0-9_][\w.-]*+:(?: ++{_SIMPLE_VALUE})?|{_SIMPLE_VALUE})?(?: ++#.*+)? *+)"
)
_ALL_SIMPLE = rf"(?:{_SIMPLE_LINE}\n)*+{_SIMPLE_LINE}"  # compiled by _all_simple(), when it pays
#: Documents a process scans in full before the shortcut is worth compiling its pattern: that takes
#: ~20 ms, and the full scan costs ~0.07 ms a document more than the shortcut. A write (one
#: document) never compiles it; a validation of the whole caseload does, after these few.
SHORTCUT_AFTER = 300
_full_scans = 0
_HEADER_THEN_BLANK = re.compile(r"[|>][-+0-9]*[ \t]*(?:#[^\n]*)?\n[ \t]*\n")
#: A plain value: not starting with an indicator, no ": " (a key) and no " #" (a comment) in it.
_COMMON_PLAIN = r"(?![-?:,\[\]{}#&*!|>'\"%@`\s])(?:[^:#\n]|:(?=\S)|(?<=\S)#)+"
#: The lines most documents are made of: ``key: plain``, ``key:``, ``- key: plain``, ``- plain``.
_COMMON = re.compile(rf"(?:(-) +)?(?:([A-Za-z0-9_][\w.-]*):(?: +({_COMMON_PLAIN}))?|({_COMMON_PLAIN}))")
_FLOW_TOKEN = re.compile(r"""[\[\]{}"'#,:\n]""")
_PROPERTIES = re.compile(r"(?:[&!][^ \t\n]*[ \t]+)+")
_BLOCK_HEADER = re.compile(r"[|>]([1-9][+-]?|[+-][1-9]?)?")
_END = " \t\n"
_GLUED_COMMENT = "put a space before '#': a comment needs a space between it and the text before it"
_SECOND_DOCUMENT = "a second YAML document starts here; a case document is one document"


class _Refusal(Exception):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


def check_structure(path: str, text: str, line_offset: int = 0) -> None:
    """Refuse ``text`` (a DocumentError at line:col) if it nests too deep or breaks the rules above."""
    global _full_scans
    if _full_scans >= SHORTCUT_AFTER and _plainly_fine(text):
        return
    _full_scans += 1
    try:
        _Scan(text).run()
    except _Refusal as refusal:
        line = text.count("\n", 0, refusal.offset) + 1
        col = refusal.offset - (text.rfind("\n", 0, refusal.offset) + 1) + 1
        raise DocumentError(Problem(path, line + line_offset, col, refusal.message)) from None


def _plainly_fine(text: str) -> bool:
    """The shortcut for most documents: every line simple, and indented too little to nest deep.

    A simple line (:data:`_SIMPLE_LINE`) opens at most a list and a mapping per column of its
    indentation, holds no quoted text or brackets that continue on the next line, no glued
    comment and no document marker; so a text made of simple lines passes the full scan, as long
    as its indentation leaves room: two collections per column, two for one-level brackets (a
    list holding a pair), one for the value.
    """
    body = text[4:] if text.startswith("---\n") else text
    if _TOO_WIDE.search(body) or _HEADER_THEN_BLANK.search(body):
        return False
    return _all_simple().fullmatch(body) is not None


@functools.cache
def _all_simple() -> re.Pattern[str]:
    return re.compile(_ALL_SIMPLE, re.MULTILINE)


def _too_deep(offset: int) -> _Refusal:
    return _Refusal(offset, f"nested deeper than {MAX_DEPTH} levels")


class _Scan:
    """One pass over the text, line by line in block context, token by token inside brackets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.size = len(text)
        # the open block collections: (column, "map" or "seq")
        self.stack: list[tuple[int, str]] = []
        self.content = False  # the document has started
        self.ended = False  # ... and ended with '...'

    # -- lines -------------------------------------------------------------------------------------

    def run(self) -> None:
        text = self.text
        pos = 0
        plain_above = -2  # a plain value continues on lines indented more than this (-2: none open)
        size = self.size
        while pos < size:
            eol = text.find("\n", pos)
            if eol < 0:
                eol = size
            first = _INDENT.match(text, pos).end()  # type: ignore[union-attr]
            indent = first - pos
            while first < eol and text[first] == "\t":
                first += 1
            if first == eol or text[first] == "#":
                pos = eol + 1  # blank or comment line
                continue
            if indent == 0 and text.startswith(("---", "..."), pos) and (pos + 3 == eol or text[pos + 3] in _END):
                self.stack = []
                plain_above = -2
                if text[pos] == ".":
                    self.ended = self.content
                    pos = eol + 1
                    continue
                if self.content:
                    raise _Refusal(pos, _SECOND_DOCUMENT)
                first = _skip_spaces(text, pos + 3)
            elif plain_above > -2 and indent > plain_above:
                pos = eol + 1  # the next line of a multi-line plain value
                continue
            elif indent == 0 and text[pos] == "%":
                pos = eol + 1  # a directive
                continue
            if self.ended:
                raise _Refusal(first, _SECOND_DOCUMENT)
            self.content = True
            common = _COMMON.match(text, first, eol)
            if common is not None and common.end() == eol:
                plain_above = self._common_line(common, pos)
                pos = eol + 1
            else:
                pos, plain_above = self._line(first, eol, pos)

    def _pop(self, column: int, kind: str) -> None:
        stack = self.stack
        while stack and stack[-1][0] >= column:
            if stack[-1][0] == column and stack[-1][1] == "map" and kind == "seq":
                break  # a list written at its key's indentation (key:\n- a) sits inside that mapping
            stack.pop()

    def _push(self, column: int, kind: str, offset: int) -> None:
        self.stack.append((column, kind))
        if len(self.stack) > MAX_DEPTH:
            raise _too_deep(offset)

    def _common_line(self, common: re.Match[str], line_start: int) -> int:
        """The most common lines (``key: plain text``, ``- key:``, ``- plain text``), quickly; returns plain_above."""
        dash, key, value, item = common.group(1, 2, 3, 4)
        stack = self.stack
        column = common.start() - line_start
        self._pop(column, "seq" if dash else "map")
        if dash:
            self._push(column, "seq", common.start())
        if key is not None:
            self._push(common.start(2) - line_start, "map", common.start(2))
        if len(stack) >= MAX_DEPTH:
            raise _too_deep(common.start(2) if key is not None else common.start(4))
        if value is None and item is None:
            return -2
        return stack[-1][0] if stack else -1

    def _line(self, start: int, eol: int, line_start: int) -> tuple[int, int]:
        """Scan one line of block context from its first character; returns (next line, plain_above)."""
        text = self.text
        p = start
        opened = False
        # leading indicators: each "- ", "? " or ": " opens (or continues) a block collection
        while p < eol and text[p] in "-?:" and (p + 1 == eol or text[p + 1] in " \t"):
            kind = "seq" if text[p] == "-" else "map"
            if not opened:
                self._pop(p - line_start, kind)
                if text[p] == ":" and self.stack and self.stack[-1] == (p - line_start, "map"):
                    pass  # ": value" of an explicit "? key" in the mapping already open
                else:
                    self._push(p - line_start, kind, p)
                opened = True
            elif text[p] != ":":
                self._push(p - line_start, kind, p)
            p = _skip_spaces(text, p + 1)
        if not opened:
            self._pop(p - line_start, "map")
        p = self._skip_properties(p, eol)
        if p >= eol or text[p] == "#":
            return eol + 1, -2
        node = p
        p, kind = self._node(p, eol, key_allowed=True)
        if kind == "key":
            if not opened or node - line_start > self.stack[-1][0]:
                self._push(node - line_start, "map", node)
            self._leaf(node)
            p = self._skip_properties(_skip_spaces(text, p), eol)
            if p >= eol or text[p] == "#":
                return eol + 1, -2
            p, kind = self._node(p, eol, key_allowed=False)
        if kind == "plain":
            return eol + 1, self.stack[-1][0] if self.stack else -1
        if kind == "block":
            return p, -2
        # after quoted text or brackets (which may have spanned lines): on to the next line
        nl = text.find("\n", p)
        return (self.size if nl < 0 else nl + 1), -2

    def _skip_properties(self, p: int, eol: int) -> int:
        if p < eol and self.text[p] in "&!":
            found = _PROPERTIES.match(self.text, p)
            if found:
                return min(found.end(), eol)
        return p

    def _leaf(self, offset: int) -> None:
        if len(self.stack) + 1 > MAX_DEPTH:
            raise _too_deep(offset)

    def _node(self, p: int, eol: int, key_allowed: bool) -> tuple[int, str]:
        """Scan the node starting at ``p``; returns (where scanning goes on, what it was).

        What it was: "key" (a key followed by ':', the value comes next), "plain", "block" (block
        text, its lines skipped), "done" (quoted text or a flow collection, possibly over lines).
        """
        text = self.text
        c = text[p]
        if c in "[{":
            end = self._flow(p)
            return self._after_closing(end, key_allowed)
        if c in "\"'":
            self._leaf(p)
            end = self._quoted(p)
            return self._after_closing(end, key_allowed)
        if c in "|>":
            return self._block_scalar(p, eol), "block"
        if key_allowed:
            colon = _key_colon(text, p, eol)
            if colon >= 0:
                return colon + 1, "key"
        self._leaf(p)
        return eol, "plain"

    def _after_closing(self, end: int, key_allowed: bool) -> tuple[int, str]:
        """After quoted text or brackets: a glued comment is refused, a ':' makes it a key."""
        text = self.text
        if end >= self.size:
            return self.size, "done"
        if text[end] == "#":
            raise _Refusal(end, _GLUED_COMMENT)
        p = _skip_spaces(text, end)
        if key_allowed and p < self.size and text[p] == ":" and (p + 1 == self.size or text[p + 1] in _END):
            return p + 1, "key"
        return end, "done"

    # -- block text --------------------------------------------------------------------------------

    def _block_scalar(self, p: int, eol: int) -> int:
        """Skip a ``|`` or ``>`` block's lines; returns the start of the line after them."""
        text = self.text
        header = _BLOCK_HEADER.match(text, p)
        assert header is not None
        after = header.end()
        if after < eol and text[after] == "#":
            raise _Refusal(after, "put a space before '#': a comment needs a space between it and the '|' or '>'")
        parent = self.stack[-1][0] if self.stack else -1
        self._leaf(p)
        digits = [ch for ch in header.group(1) or "" if ch.isdigit()]
        content = max(parent, 0) + int(digits[0]) if digits else None  # as the parsers place it
        pos = eol + 1
        widest_blank = (0, pos)
        while pos < self.size:
            next_eol = text.find("\n", pos)
            if next_eol < 0:
                next_eol = self.size
            spaces = 0
            while pos + spaces < next_eol and text[pos + spaces] == " ":
                spaces += 1
            if pos + spaces == next_eol:  # a blank line belongs to the block whatever its spaces
                if content is None and spaces > widest_blank[0]:
                    widest_blank = (spaces, pos + spaces)
                pos = next_eol + 1
                continue
            if content is None:
                if spaces <= parent:
                    break  # an empty block: this line is not part of it
                content = spaces
                if widest_blank[0] > content:
                    raise _Refusal(
                        widest_blank[1] - 1,
                        "this blank line at the start of the block text has more spaces than its first line "
                        f"({content}); remove the spaces",
                    )
            elif spaces < content:
                break
            pos = next_eol + 1
        return min(pos, self.size)

    # -- quoted text -------------------------------------------------------------------------------

    def _quoted(self, p: int) -> int:
        """The end of the quoted text starting at ``p`` (its lines checked for indentation)."""
        text = self.text
        found = (_DOUBLE if text[p] == '"' else _SINGLE).match(text, p)
        if found is None:
            return self.size  # never closed: the parser says so; nothing after it is structure
        end = found.end()
        misplaced = self._misplaced_line(text.find("\n", p, end), end, p, "quoted text")
        if misplaced is not None:
            raise misplaced
        return end

    def _misplaced_line(
        self, newline: int, end: int, opened: int, what: str, comments: bool = False
    ) -> _Refusal | None:
        """The first line after ``newline`` (up to ``end``) not indented more than the block holding the value.

        ``opened`` is where the quoted text or brackets start. Blank lines are exempt, and so are
        comment lines when ``comments`` (inside brackets).
        """
        if not self.stack:
            return None
        parent = self.stack[-1][0]
        text = self.text
        while 0 <= newline < end:
            pos = newline + 1
            spaces = 0
            while pos + spaces < self.size and text[pos + spaces] == " ":
                spaces += 1
            comment = comments and text[pos + spaces : pos + spaces + 1] == "#"
            if spaces <= parent and not comment and not _blank_rest(text, pos + spaces):
                line = text.count("\n", 0, opened) + 1
                close = {"quoted text": "close the quotes", "[ ] list": "close it with ']'"}.get(
                    what, "close it with '}'"
                )
                return _Refusal(
                    pos + spaces,
                    f"this line is still inside the {what} that starts on line {line}: {close} before this line, "
                    "or indent this line more than the field it belongs to",
                )
            newline = text.find("\n", pos, end)
        return None

    # -- flow collections --------------------------------------------------------------------------

    def _flow(self, p: int) -> int:
        """Scan ``[...]`` or ``{...}`` from ``p``; returns the offset after its closing bracket."""
        text = self.text
        # per open bracket: the bracket, its collection's depth, whether a "key: value" pair is open in it
        brackets: list[str] = []
        levels: list[int] = []
        pairs: list[bool] = []
        depth = len(self.stack)  # the depth of what holds the next node
        # a line not indented enough, refused once the brackets close (if they never do, the
        # parser's "expected ',' or ']'" says better what is wrong)
        misplaced: _Refusal | None = None
        i = p
        while True:
            found = _FLOW_TOKEN.search(text, i)
            if found is None:
                return self.size  # never closed: the parser says where
            j = found.start()
            c = text[j]
            i = j + 1
            if c in "[{":
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep(j)
                brackets.append(c)
                levels.append(depth)
                pairs.append(False)
                if depth == MAX_DEPTH:
                    content = _skip_spaces(text, i)
                    if content < self.size and text[content] not in "]}\n#":
                        raise _too_deep(content)
            elif c in "]}":
                if not brackets:
                    return j  # a stray closing bracket: the parser refuses it
                brackets.pop()
                levels.pop()
                pairs.pop()
                if not brackets:
                    if misplaced is not None:
                        raise misplaced  # closed after all: the line was not indented enough
                    return i
                depth = levels[-1] + pairs[-1]
            elif c in "\"'":
                if _starts_value(text, j):
                    if depth + 1 > MAX_DEPTH:
                        raise _too_deep(j)
                    end = _DOUBLE.match(text, j) if c == '"' else _SINGLE.match(text, j)
                    if end is None:
                        return self.size
                    misplaced = self._misplaced_line(text.find("\n", j, end.end()), end.end(), j, "quoted text")
                    if misplaced is not None:
                        raise misplaced
                    i = end.end()
                    if i < self.size and text[i] == "#":
                        raise _Refusal(i, _GLUED_COMMENT)
            elif c == "#":
                prev = text[j - 1] if j else "\n"
                if prev in " \t\n":
                    nl = text.find("\n", j)
                    i = self.size if nl < 0 else nl
                elif prev in ",]}":
                    raise _Refusal(j, _GLUED_COMMENT)
            elif c == ",":
                pairs[-1] = False
                depth = levels[-1]
            elif c == ":":
                after = text[i] if i < self.size else "\n"
                if brackets[-1] == "[" and not pairs[-1] and (after in " \t\n,[]{}" or text[j - 1] in "\"']}"):
                    pairs[-1] = True  # "[a: b]": the pair is a mapping inside the list
                    depth = levels[-1] + 1
                    if depth + 1 > MAX_DEPTH:
                        raise _too_deep(j)
            elif misplaced is None:  # a line break inside the brackets
                what = "[ ] list" if brackets[0] == "[" else "{ } mapping"
                misplaced = self._misplaced_line(j, j + 1, p, what, comments=True)


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _blank_rest(text: str, pos: int) -> bool:
    """Is the rest of the line from ``pos`` only spaces and tabs?"""
    end = text.find("\n", pos)
    return not text[pos : end if end >= 0 else len(text)].strip(" \t")


def _starts_value(text: str, j: int) -> bool:
    """Inside brackets, does the quote at ``j`` open quoted text (not an apostrophe in plain text)?

    It does at the start of an entry (after ``[``, ``{``, ``,``, a line break, or ``:``/``?`` and a
    space), and right after the ``:`` of a JSON-like key (``"a":"b"``); ``:"`` or ``?'`` elsewhere,
    and a quote inside a word, are plain text.
    """
    k = j - 1
    while k >= 0 and text[k] in " \t":
        k -= 1
    if k < 0 or text[k] in "[{,\n":
        return True
    if text[k] not in ":?":
        return False
    if k < j - 1:
        return True  # ": 'x'" or "? 'x'"
    if text[k] == "?":
        return False
    k -= 1
    while k >= 0 and text[k] in " \t":
        k -= 1
    return k >= 0 and text[k] in "\"']}"


def _key_colon(text: str, p: int, eol: int) -> int:
    """Where the ':' of a plain ``key: value`` is on this line (-1: none; the text is a plain value)."""
    comment = text.find(" #", p, eol)
    tab_comment = text.find("\t#", p, eol)
    if tab_comment >= 0 and (comment < 0 or tab_comment < comment):
        comment = tab_comment
    limit = eol if comment < 0 else comment
    colon = text.find(":", p, limit)
    while colon >= 0:
        if colon + 1 == eol or text[colon + 1] in " \t":
            return colon
        colon = text.find(":", colon + 1, limit)
    return -1
