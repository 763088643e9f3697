"""Rendering a new document from its form's skeleton template (sandboxed jinja2).

Templates are looked up in layers: the repository's ``templates/`` (agency overrides), then the
plugin's own template folder, then caseflow's built-in ``templates/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from caseflow.core.documents import yaml_scalar
from caseflow.core.forms import Form
from caseflow.errors import CaseflowError, NotFound


def builtin_templates_dir() -> Path:
    from caseflow.core.resources import shipped_dir

    return shipped_dir("templates")


def render_skeleton(form: Form, repo_templates: Path | None, context: Mapping[str, Any]) -> str:
    search = [p for p in (repo_templates, form.template_dir, builtin_templates_dir()) if p is not None and p.is_dir()]
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(p) for p in search]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # YAML and Markdown, not HTML; values go through the |yaml filter
    )
    env.filters["yaml"] = yaml_scalar
    try:
        return env.get_template(form.skeleton).render(**context)
    except jinja2.TemplateNotFound:
        raise NotFound(f"form {form.id}: skeleton template '{form.skeleton}' was not found") from None
    except SecurityError as exc:
        raise CaseflowError(f"template {form.skeleton} tried something the sandbox forbids: {exc}") from None
    except jinja2.TemplateError as exc:
        line = getattr(exc, "lineno", None)  # set on syntax errors, not on undefined names
        where = f":{line}" if line else ""
        raise CaseflowError(f"template {form.skeleton}{where}: {exc.message or exc}") from None
