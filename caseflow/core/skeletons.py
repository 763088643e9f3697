"""Rendering a new document from its form's skeleton template (sandboxed jinja2).

Templates are looked up in layers: the repository's ``templates/`` (agency overrides), then the
plugin's own template folder, then caseflow's built-in ``templates/``. They render in the same
bounded sandbox as reports and packets (:mod:`caseflow.core.render`): an error in one is a line
naming the template and its line, and a runaway skeleton is stopped.

Most skeletons only put a few names into fixed text (``client: {{ client_id }}``). Such a template
is filled in here, without jinja2: importing it and compiling the template cost a write (``caseflow
visit``) more than all the rest of its Python. The shortcut takes a template only when jinja2
would give exactly the same text: the same file found in the same order, nothing in it but text
and ``{{ name }}`` of names the context holds as text; anything else renders through jinja2.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from caseflow.core.forms import Form
from caseflow.core.resources import shipped_dir

__all__ = ["builtin_templates_dir", "render_skeleton"]

#: ``{{ name }}``, spaces allowed inside the braces, as jinja2 reads a plain variable.
_PLAIN_NAME = re.compile(r"\{\{ *([A-Za-z_][A-Za-z0-9_]*) *\}\}")
#: What jinja2 reads as markup (or whitespace control) wherever it appears in the text around.
_MARKUP = ("{{", "{%", "{#")
#: Names jinja2 reads as constants, never from the context.
_CONSTANTS = frozenset({"true", "false", "none", "True", "False", "None"})
#: As the sandbox's own cap (:data:`caseflow.core.render.MAX_OUTPUT_CHARS`): past it, jinja2 says so.
_MAX_OUTPUT_CHARS = 2_000_000


def builtin_templates_dir() -> Path:
    """caseflow's own ``templates/`` folder."""
    return shipped_dir("templates")


def render_skeleton(
    form: Form, repo_templates: Path | None, context: Mapping[str, Any], *, max_seconds: float | None = None
) -> str:
    layers = [
        (repo_templates, "templates"),
        (form.template_dir, str(form.template_dir)),
        (builtin_templates_dir(), "caseflow's templates"),
    ]
    folders = [(path, label) for path, label in layers if path is not None and path.is_dir()]
    inline = {form.skeleton: form.skeleton_text} if form.skeleton_text is not None else {}
    context = {"form_id": form.id, **context}  # (one skeleton may serve several forms: the instruments')
    quick = _filled_in(_source(form.skeleton, folders, inline), context)
    if quick is not None:
        return quick
    from caseflow.core.documents import yaml_scalar
    from caseflow.core.render import render_sandboxed, skeleton_environment  # jinja2

    env, sources = skeleton_environment(folders, {"yaml": yaml_scalar}, inline)
    missing = f"form {form.id}: skeleton template '{form.skeleton}' was not found"
    return render_sandboxed(env, sources, form.skeleton, context, missing=missing, max_seconds=max_seconds)


def _source(name: str, folders: Sequence[tuple[Path, str]], inline: Mapping[str, str]) -> str | None:
    """The template's text as jinja2's loaders would find it (first folder, inline texts, the other
    folders), or None where this cannot be sure of it (a link, a name with ``..``, unreadable)."""
    pieces = [piece for piece in name.split("/") if piece not in ("", ".")]
    if not pieces or ".." in pieces or any(os.sep in p or (os.altsep and os.altsep in p) for p in pieces):
        return None
    for number, (folder, _) in enumerate(folders):
        if number == 1 and name in inline:
            return inline[name]
        candidate = folder.joinpath(*pieces)
        if candidate.is_file():
            if not os.path.realpath(candidate).startswith(os.path.realpath(folder) + os.sep):
                return None  # a link out of its folder: jinja2's loader refuses it, and says so
            try:
                with open(candidate, encoding="utf-8") as file:  # as jinja2 reads it: newlines made \n
                    return file.read()
            except (OSError, UnicodeDecodeError):
                return None
        if candidate.exists() or candidate.is_symlink():
            return None  # a folder or a dangling link where the template would be
    return inline.get(name)


def _filled_in(source: str | None, context: Mapping[str, Any]) -> str | None:
    """``source`` with each ``{{ name }}`` replaced by its text, or None unless that is certainly
    what jinja2 would render."""
    if source is None or "\r" in source:
        return None
    parts = _PLAIN_NAME.split(source)
    texts, names = parts[0::2], parts[1::2]
    if any(mark in text for text in texts for mark in _MARKUP):
        return None
    values = []
    for name in names:
        value = context.get(name)
        if name in _CONSTANTS or not isinstance(value, str):
            return None
        values.append(value)
    rendered = texts[0] + "".join(value + text for value, text in zip(values, texts[1:], strict=True))
    return rendered if len(rendered) <= _MAX_OUTPUT_CHARS else None
