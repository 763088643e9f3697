"""Rendering templates sandboxed: documents that leave the agency (referral packets, reports) and
the skeletons new documents start from.

Templates may come from the agency (the repository's ``templates/``), so they run in jinja2's
immutable sandbox with undefined names as errors, on a deep copy of plain data, and their output
is bounded: a template can neither change caseflow's data nor produce an endless document, and one
that runs longer than :data:`MAX_SECONDS` is stopped, in whichever thread it renders (a command's
main thread or a web server's worker). Whatever goes wrong inside a template becomes one
:class:`~caseflow.errors.CaseflowError` line, ``templates/<name>:<line>: <what went wrong>``, and
nothing of what it rendered is returned; the line repeats only what the template's own text says,
never a client's data. Lookup is layered: the repository's ``templates/`` first, then caseflow's
built-in ``templates/``; an override can ``{% extends "caseflow/<name>" %}`` the built-in template
it replaces.
"""

from __future__ import annotations

import builtins
import copy
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from caseflow.errors import CaseflowError, NotFound

#: The most a rendered template may produce (a packet is a few pages; this is a runaway loop).
MAX_OUTPUT_CHARS = 2_000_000
#: The longest a template may render: a report takes well under 1 s; a runaway loop is stopped
#: after this long, so that the command ends within 10 s.
MAX_SECONDS = 8.0
#: The largest whole number ``*`` or ``**`` may make (a report counts; it does not do cryptography).
MAX_INT_BITS = 100_000


def builtin_templates_dir() -> Path:
    from caseflow.core.resources import shipped_dir

    return shipped_dir("templates")


class _Sources:
    """Which templates a render loaded: their text and how a message names each (``templates/x``)."""

    def __init__(self) -> None:
        self.label: dict[str, str] = {}
        self.text: dict[str, str] = {}


class _LayerLoader(jinja2.FileSystemLoader):
    """Templates only from inside their folders (a link committed under templates/ reads nothing
    else), each remembered in ``sources`` under the name of its folder in ``labels``."""

    def __init__(self, folders: Sequence[tuple[Path, str]], sources: _Sources) -> None:
        super().__init__([str(folder) for folder, _ in folders])
        self._labels = [(os.path.normpath(str(folder)), label) for folder, label in folders]
        self._sources = sources

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        real = os.path.realpath(filename)
        if not any(real.startswith(os.path.realpath(folder) + os.sep) for folder in self.searchpath):
            raise jinja2.TemplateNotFound(template)
        for folder, label in self._labels:
            if filename.startswith(folder + os.sep):
                relative = Path(os.path.relpath(filename, folder)).as_posix()
                self._sources.label[filename] = f"{label}/{relative}"
                break
        self._sources.text[filename] = source
        return source, filename, uptodate


class _TextLoader(jinja2.BaseLoader):
    """Templates given as text by name, each named in messages by that name."""

    def __init__(self, texts: Mapping[str, str], sources: _Sources) -> None:
        self._texts = dict(texts)
        self._sources = sources

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        if template not in self._texts:
            raise jinja2.TemplateNotFound(template)
        source = self._texts[template]
        self._sources.label[template] = template
        self._sources.text[template] = source
        return source, template, lambda: True


class _Stopped(BaseException):
    """The render's time is up. A ``BaseException``: neither jinja2's own error handling nor anything
    a template calls catches it on its way out."""


class _Deadline:
    """A render's time limit, checked in the thread that renders (any thread: no signals, no timer)
    at every step a template can repeat: each turn of a ``{% for %}`` loop, each call, each ``*``
    or ``**``. Nothing else in a sandboxed template runs long: ``range`` is bounded, repeated
    strings and lists are, and recursion ends at Python's limit."""

    def __init__(self, seconds: float) -> None:
        self._ends = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self._ends:
            raise _Stopped


class _Timed:
    """What a ``{% for %}`` loop walks: the iterable it names, checking the time limit at each turn
    (its length, when it has one, stays visible to ``loop.length`` and ``loop.last``)."""

    def __init__(self, iterable: Any, deadline: _Deadline | None) -> None:
        self._iterable = iterable
        self._deadline = deadline

    def __len__(self) -> int:
        return len(self._iterable)

    def __iter__(self) -> Iterator[Any]:
        for item in self._iterable:
            if self._deadline is not None:
                self._deadline.check()
            yield item


#: The filter every loop's iterable goes through (added to the parsed template, never written).
_TIMED_FILTER = "caseflow_timed_loop"


@jinja2.pass_context  # never folded into a constant when the template is compiled
def _timed(context: Any, iterable: Any) -> _Timed:
    return _Timed(iterable, getattr(context.environment, "deadline", None))


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, where ``"x" * 10**9`` (or a list likewise, or a huge number) cannot
    exhaust memory, and every call and operator checks the render's time limit."""

    intercepted_binops = frozenset({"*", "**"})
    deadline: _Deadline | None = None

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters[_TIMED_FILTER] = _timed

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """The template as parsed, with each ``{% for %}`` loop's iterable checking the time limit."""
        template = super()._parse(source, name, filename)
        for loop in list(template.find_all(nodes.For)):
            timed = nodes.Filter(loop.iter, _TIMED_FILTER, [], [], None, None, lineno=loop.iter.lineno)
            loop.iter = timed.set_environment(self)
        return template

    def _check_time(self) -> None:
        if self.deadline is not None:
            self.deadline.check()

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        self._check_time()
        if operator == "**" and isinstance(right, int) and right > 64:
            raise SecurityError("an exponent above 64")
        numbers = isinstance(left, int) and isinstance(right, int)
        if numbers and operator == "**" and right > 0 and abs(left).bit_length() * right > MAX_INT_BITS:
            raise SecurityError(f"a number larger than {MAX_INT_BITS:,} bits")
        if numbers and operator == "*" and abs(left).bit_length() + abs(right).bit_length() > MAX_INT_BITS:
            raise SecurityError(f"a number larger than {MAX_INT_BITS:,} bits")
        repeats = operator == "*" and isinstance(left, str | list | tuple) and isinstance(right, int)
        if repeats and len(left) * right > MAX_OUTPUT_CHARS:
            raise SecurityError("a repeated string or list larger than the output limit")
        return super().call_binop(context, operator, left, right)

    def call(self, __context: Any, __obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        self._check_time()
        return super().call(__context, __obj, *args, **kwargs)


def _no_markup(value: Any) -> Any:
    """Text outputs (Markdown) are often shown as HTML: no value may open a tag in them."""
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", value) if isinstance(value, str) else value


class _TooLarge(Exception):
    """The output passed :data:`MAX_OUTPUT_CHARS`, while the template was at ``where``."""

    def __init__(self, where: tuple[str | None, int | None]) -> None:
        self.where = where


def _suspended_at(generator: Any) -> tuple[str | None, int | None]:
    """The template file and line a render's generator stands at (the innermost of those it yields from)."""
    filename: str | None = None
    line: int | None = None
    while generator is not None:
        frame = getattr(generator, "gi_frame", None)
        template = frame.f_globals.get("__jinja_template__") if frame is not None else None
        if isinstance(template, jinja2.Template) and frame is not None:
            filename, line = template.filename, template.get_corresponding_lineno(frame.f_lineno)
        generator = getattr(generator, "gi_yieldfrom", None)
    return filename, line


def render_template(
    name: str, layers: Sequence[Path], data: Mapping[str, Any], *, max_seconds: float | None = None
) -> str:
    """Render ``name`` found in the first of ``layers`` (then the built-in templates) that has it.

    ``layers[0]`` is the repository's ``templates/`` (named so in messages); any further layer (a
    plugin's folder) is named by its path.
    """
    folders = [(p, "templates" if i == 0 else str(p)) for i, p in enumerate(layers) if p.is_dir()]
    builtin = builtin_templates_dir()
    sources = _Sources()
    loader = jinja2.ChoiceLoader(
        [
            _LayerLoader([*folders, (builtin, "caseflow's templates")], sources),
            # "caseflow/<name>": the built-in template, for overrides that extend it
            jinja2.PrefixLoader({"caseflow": _LayerLoader([(builtin, "caseflow's templates")], sources)}, "/"),
        ]
    )
    env = _BoundedSandbox(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        finalize=None if name.endswith((".html.j2", ".htm.j2")) else _no_markup,
        trim_blocks=True,  # a line holding only a {% tag %} leaves no blank line behind
        lstrip_blocks=True,
        autoescape=jinja2.select_autoescape(["html", "htm", "html.j2"], default_for_string=False),
    )
    missing = f"template '{name}' was not found in templates/ or caseflow's built-in templates"
    return render_sandboxed(env, sources, name, data, missing=missing, max_seconds=max_seconds)


def skeleton_environment(
    folders: Sequence[tuple[Path, str]],
    filters: Mapping[str, Callable[..., Any]],
    inline: Mapping[str, str] | None = None,
) -> tuple[jinja2.Environment, _Sources]:
    """The sandbox a form's skeleton renders in: YAML and Markdown, not HTML (values go through the
    ``|yaml`` filter), with ``folders`` searched in order, each named by its label in messages;
    ``inline``: templates given as text by name (a form file's skeleton), after the first folder
    (the repository's ``templates/``, which may override them)."""
    sources = _Sources()
    layers: list[jinja2.BaseLoader] = [_LayerLoader(folders[:1], sources)]
    if inline:
        layers.append(_TextLoader(inline, sources))
    layers.append(_LayerLoader(folders[1:], sources))
    env = _BoundedSandbox(
        loader=jinja2.ChoiceLoader(layers),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(filters)
    return env, sources


def render_sandboxed(
    env: jinja2.Environment,
    sources: _Sources,
    name: str,
    data: Mapping[str, Any],
    *,
    missing: str,
    max_seconds: float | None = None,
) -> str:
    """Render ``name`` in ``env`` (a sandbox from this module) within the limits, all or nothing.

    :raises NotFound: ``missing``, when the template itself is not there.
    :raises CaseflowError: one line naming the template, its line and what went wrong in it.
    """
    seconds = MAX_SECONDS if max_seconds is None else max_seconds
    assert isinstance(env, _BoundedSandbox)
    try:
        env.deadline = _Deadline(seconds)
        chunks: list[str] = []
        size = 0
        rendering = env.get_template(name).generate(**copy.deepcopy(dict(data)))
        for chunk in rendering:
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise _TooLarge(_suspended_at(rendering))
            chunks.append(chunk)
        return "".join(chunks)
    except _Stopped as exc:
        raise CaseflowError(_message(exc, sources, name, f"took longer than {seconds:g} s; stopped")) from None
    except _TooLarge as exc:
        said = f"produced more than {MAX_OUTPUT_CHARS:,} characters; stopped"
        raise CaseflowError(_message(exc, sources, name, said)) from None
    except jinja2.TemplateNotFound as exc:
        if exc.name == name and _where(exc, sources)[1] is None:
            raise NotFound(missing) from None
        included = _redacted(f"'{exc.name}'", sources.text.values())
        said = f"includes {included}, which was not found in templates/ or caseflow's built-in templates"
        raise CaseflowError(_message(exc, sources, name, said)) from None
    except Exception as exc:  # whatever a template does wrong is the template's problem, not a bug
        raise CaseflowError(_message(exc, sources, name, _words(exc, sources))) from None
    finally:
        env.deadline = None


def _where(exc: BaseException, sources: _Sources) -> tuple[str | None, int | None]:
    """The template file and line the exception came from: the innermost template frame of its
    traceback (jinja2 rewrites frames of compiled templates to the template's file and line; frames
    it has not rewritten carry their template, which maps their line)."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.filename, exc.lineno
    filename: str | None = None
    line: int | None = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        if isinstance(template, jinja2.Template) and template.filename in sources.label:
            filename, line = template.filename, template.get_corresponding_lineno(tb.tb_lineno)
        elif tb.tb_frame.f_code.co_filename in sources.label:
            filename, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
        tb = tb.tb_next
    return filename, line


def _message(exc: BaseException, sources: _Sources, name: str, said: str) -> str:
    filename, line = exc.where if isinstance(exc, _TooLarge) else _where(exc, sources)
    label = sources.label.get(filename or "") or next(
        (label for path, label in sources.label.items() if path.endswith(os.sep + name)), name
    )
    return f"{label}:{line}: {said}" if line else f"{label}: {said}"


#: What an exception of each kind means, said in words before its own message.
_KINDS: dict[type[BaseException], str] = {
    SecurityError: "tried something the sandbox forbids",
    RecursionError: "calls itself without end (a macro or recursive loop)",
    KeyError: "a missing key",
    IndexError: "an index out of range",
    TypeError: "a value of the wrong type",
    ValueError: "an unusable value",
    OverflowError: "a number too large",
    AttributeError: "a missing attribute",
    MemoryError: "ran out of memory",
    LookupError: "a missing item",
    ArithmeticError: "a calculation that cannot be done",
}

#: Python's and jinja2's names for kinds of value: they say nothing about a client.
_TYPE_NAMES = frozenset(
    {n for n, v in vars(builtins).items() if isinstance(v, type)}
    | {"NoneType", "function", "method", "builtin_function_or_method", "method-wrapper", "generator"}
    | {"Markup", "Undefined", "StrictUndefined", "LoopContext", "Macro", "Namespace", "Cycler", "Joiner"}
    | {"dict_items", "dict_keys", "dict_values", "list_iterator", "range_iterator", "str_iterator"}
)


def _words(exc: BaseException, sources: _Sources) -> str:
    """What went wrong, in words, on one line, quoting only what the templates' own text says."""
    if isinstance(exc, jinja2.TemplateSyntaxError):  # about the template's text alone
        return " ".join((exc.message or "a syntax error").split())
    if isinstance(exc, SecurityError):
        return f"{_KINDS[SecurityError]}: {_redacted(exc.message or '', sources.text.values())}"
    if isinstance(exc, jinja2.TemplateError):
        return _redacted(exc.message or type(exc).__name__, sources.text.values())
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, RecursionError):
        return _KINDS[RecursionError]
    if isinstance(exc, KeyError):
        key = str(exc.args[0]) if exc.args else ""
        said = any(key and key in text for text in sources.text.values())
        return f"a missing key '{key}'" if said else _KINDS[KeyError]
    kind = next((words for cls, words in _KINDS.items() if isinstance(exc, cls)), None)
    detail = _redacted(str(exc), sources.text.values())
    if kind is None:
        kind = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", type(exc).__name__).lower()
    return f"{kind} ({detail})" if detail else kind


#: A quoted part of a message: '...' or "..." (escapes inside), not the apostrophe of "can't".
_QUOTED = re.compile(r"""(?<![\w\\])(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")""")


def _redacted(message: str, texts: Iterable[str]) -> str:
    """``message`` on one line, shortened, each quoted part kept only if the templates say it (or it
    names a kind of value, 'int' or 'dict object'): values from the data become '…'."""
    known = list(texts)

    def keep(match: re.Match[str]) -> str:
        quote, inside = match.group(0)[0], match.group(0)[1:-1]
        if inside.removesuffix(" object") in _TYPE_NAMES or any(inside in text for text in known):
            return match.group(0)
        return f"{quote}…{quote}"

    one_line = " ".join(_QUOTED.sub(keep, message).split())
    return one_line if len(one_line) <= 300 else one_line[:299] + "…"
