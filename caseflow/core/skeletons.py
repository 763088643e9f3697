"""Rendering a new document from its form's skeleton template (sandboxed jinja2).

Templates are looked up in layers: the repository's ``templates/`` (agency overrides), then the
plugin's own template folder, then caseflow's built-in ``templates/``. They render in the same
bounded sandbox as reports and packets (:mod:`caseflow.core.render`): an error in one is a line
naming the template and its line, and a runaway skeleton is stopped.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from caseflow.core.documents import yaml_scalar
from caseflow.core.forms import Form
from caseflow.core.render import builtin_templates_dir, render_sandboxed, skeleton_environment

__all__ = ["builtin_templates_dir", "render_skeleton"]


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
    env, sources = skeleton_environment(folders, {"yaml": yaml_scalar}, inline)
    missing = f"form {form.id}: skeleton template '{form.skeleton}' was not found"
    context = {"form_id": form.id, **context}  # (one skeleton may serve several forms: the instruments')
    return render_sandboxed(env, sources, form.skeleton, context, missing=missing, max_seconds=max_seconds)
