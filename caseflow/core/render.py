"""Rendering documents that leave the agency (referral packets, reports), sandboxed.

Templates may come from the agency (the repository's ``templates/``), so they run in jinja2's
immutable sandbox with undefined names as errors, on a deep copy of plain data, and their output
is bounded: a template can neither change caseflow's data nor produce an endless document.
Lookup is layered: the repository's ``templates/`` first, then caseflow's built-in ``templates/``;
an override can ``{% extends "caseflow/<name>" %}`` the built-in template it replaces.
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from caseflow.core.skeletons import builtin_templates_dir
from caseflow.errors import CaseflowError, NotFound

#: The most a rendered template may produce (a packet is a few pages; this is a runaway loop).
MAX_OUTPUT_CHARS = 2_000_000
#: The longest a template may render (checked as its output comes: a report takes well under 1 s).
MAX_SECONDS = 10.0


class _NoLinksLoader(jinja2.FileSystemLoader):
    """Templates only from inside their folders: a link committed under templates/ reads nothing else."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        real = os.path.realpath(filename)
        if not any(real.startswith(os.path.realpath(folder) + os.sep) for folder in self.searchpath):
            raise jinja2.TemplateNotFound(template)
        return source, filename, uptodate


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, where ``"x" * 10**9`` (or a list likewise) cannot exhaust memory."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and right > 64:
            raise SecurityError("an exponent above 64")
        repeats = operator == "*" and isinstance(left, str | list | tuple) and isinstance(right, int)
        if repeats and len(left) * right > MAX_OUTPUT_CHARS:
            raise SecurityError("a repeated string or list larger than the output limit")
        return super().call_binop(context, operator, left, right)


def _no_markup(value: Any) -> Any:
    """Text outputs (Markdown) are often shown as HTML: no value may open a tag in them."""
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", value) if isinstance(value, str) else value


class _TooSlow(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Stop a template that runs too long even when it writes nothing (a timer signal: the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def render_template(name: str, layers: Sequence[Path], data: Mapping[str, Any]) -> str:
    """Render ``name`` found in the first of ``layers`` (then the built-in templates) that has it."""
    search = [str(p) for p in layers if p.is_dir()]
    builtin = builtin_templates_dir()
    loader = jinja2.PrefixLoader(
        {"caseflow": _NoLinksLoader(str(builtin))}, delimiter="/"
    )  # "caseflow/<name>": the built-in template, for overrides that extend it
    env = _BoundedSandbox(
        loader=jinja2.ChoiceLoader([_NoLinksLoader([*search, str(builtin)]), loader]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        finalize=None if name.endswith((".html.j2", ".htm.j2")) else _no_markup,
        trim_blocks=True,  # a line holding only a {% tag %} leaves no blank line behind
        lstrip_blocks=True,
        autoescape=jinja2.select_autoescape(["html", "htm", "html.j2"], default_for_string=False),
    )
    try:
        chunks: list[str] = []
        size = 0
        with _time_limit(MAX_SECONDS):
            for chunk in env.get_template(name).generate(**copy.deepcopy(dict(data))):
                size += len(chunk)
                if size > MAX_OUTPUT_CHARS:
                    raise CaseflowError(f"template {name} produced more than {MAX_OUTPUT_CHARS:,} characters; stopped")
                chunks.append(chunk)
        return "".join(chunks)
    except _TooSlow:
        raise CaseflowError(f"template {name} took longer than {MAX_SECONDS:.0f} s; stopped") from None
    except jinja2.TemplateNotFound:
        raise NotFound(f"template '{name}' was not found in templates/ or caseflow's built-in templates") from None
    except SecurityError as exc:
        raise CaseflowError(f"template {name} tried something the sandbox forbids: {exc}") from None
    except jinja2.TemplateError as exc:
        line = getattr(exc, "lineno", None)
        raise CaseflowError(f"template {name}{f':{line}' if line else ''}: {exc.message or exc}") from None
