"""A document that is there but says nothing yet, which therefore counts for nothing.

A note saved as its form's skeleton (headings with nothing under them), or a document whose
required field is left empty, is not an intake interview done nor a contact made: it neither
meets a stage requirement nor resets the contact clock, and ``caseflow validate`` lists it as
incomplete. It is not refused: a person may save a note to finish later, and committing it keeps
what little is there.

A Markdown note is blank when no line of its text is its own: blank lines, headings, HTML
comments, bare list markers and the lines its form's skeleton already holds (the agency's
override in ``templates/`` first, as skeletons are looked up) do not count. A note that carries
an attached file (a provider report received as a PDF) is not judged by its text.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from caseflow.core.forms import Form

#: Lines that are layout, not writing: a bare list marker or checkbox, a rule, a numbered stub.
_LAYOUT = re.compile(r"(?:[-*+]\s*(?:\[\s?\])?|[-*_=]{3,}|\d+[.)]|>)\s*")
_TEMPLATE_MARKUP = ("{{", "{%", "{#")


def blank_reason(form: Form | None, data: Mapping[str, Any], body: str, repo_templates: Path | None) -> str | None:
    """Why this document counts for nothing yet, or None when something is written in it."""
    if form is None:
        return None
    for field in form.schema.get("required") or ():
        value = data.get(field)
        if field in data and (value is None or (isinstance(value, str) and not value.strip())):
            return f"required field '{field}' is empty"
    if form.kind != "markdown" or data.get("attachment"):
        return None
    given = _skeleton_lines(form, repo_templates)
    if any(_is_writing(line, given) for line in body.splitlines()):
        return None
    return "nothing is written in it yet (its text is still the form's skeleton)"


def _is_writing(line: str, skeleton: frozenset[str]) -> bool:
    text = line.strip()
    if not text or text.startswith("#") or text in skeleton or _LAYOUT.fullmatch(text):
        return False
    return not (text.startswith("<!--") or text.endswith("-->"))


#: (form id, repository templates) -> (when looked up, the skeleton's lines): a due list asks for
#: every note of every client, so the template files are looked at again only after a while
#: (a long-running ``serve`` or ``watch`` sees an edited override within seconds).
_LOOKED_UP: dict[tuple[str, Path | None], tuple[float, frozenset[str]]] = {}
LOOK_AGAIN_AFTER = 2.0


def _skeleton_lines(form: Form, repo_templates: Path | None) -> frozenset[str]:
    key, now = (form.id, repo_templates), time.monotonic()
    kept = _LOOKED_UP.get(key)
    if kept is not None and now - kept[0] < LOOK_AGAIN_AFTER:
        return kept[1]
    source = _skeleton_source(form, repo_templates)
    lines = _literal_body_lines(source) if source is not None else frozenset()
    _LOOKED_UP[key] = (now, lines)
    return lines


def _skeleton_source(form: Form, repo_templates: Path | None) -> str | None:
    from caseflow.core.resources import shipped_dir

    if not form.skeleton:
        return form.skeleton_text
    for folder in (repo_templates, form.template_dir, shipped_dir("templates")):
        if folder is None:
            continue
        path = folder / form.skeleton
        try:
            return _read(path, path.stat().st_mtime_ns)
        except OSError:
            continue
    return form.skeleton_text


@lru_cache(maxsize=64)
def _read(path: Path, mtime_ns: int) -> str:  # (the mtime: an edited override is read again)
    return path.read_text(encoding="utf-8", errors="replace")


@lru_cache(maxsize=64)
def _literal_body_lines(source: str) -> frozenset[str]:
    """The skeleton's own words below its front matter: lines without template markup."""
    lines = source.splitlines()
    if lines and lines[0].strip() == "---":
        end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), len(lines))
        lines = lines[end + 1 :]
    return frozenset(
        line.strip() for line in lines if line.strip() and not any(mark in line for mark in _TEMPLATE_MARKUP)
    )
