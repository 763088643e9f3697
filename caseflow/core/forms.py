"""The ``Form`` spec: what a kind of document is, where it lives and what makes it valid."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from caseflow.core.ids import NAME_END_PATTERN

#: Namespaced ids: ``core.plan``, ``instruments.phq9``, ``riverbend.housing-intake``.
FORM_ID = re.compile(r"^[a-z][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)+$")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_DATE = r"\d{4}-\d{2}-\d{2}"
_PLACEHOLDER_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: What may end the name of a many-per-client document not named by an id, after what its fields
#: give: a short id (``visits/2026-11-17-phone-0k7mq.md``, since format 3: unique across clones),
#: or a counter (``visits/2026-03-02-home-2.md``: a second one on that day, before).
_UNIQUE_END = NAME_END_PATTERN


@dataclass(frozen=True)
class Finding:
    """A problem a plugin's ``validate_document`` found; ``at`` is the field path, if any."""

    message: str
    at: tuple[str | int, ...] = ()


@dataclass(frozen=True)
class Form:
    """A kind of case document, registered by a plugin through ``register_forms()``.

    ``path`` is a pattern relative to the client folder: ``plan.yaml`` for a one-per-client
    document, ``visits/{date}-{type}.md`` for many. ``{date}`` is an ISO date; every other
    placeholder is filled from the document's field of the same name (``{id}`` from ``id``). A new
    document of a many-per-client form not named by ``{id}`` also gets a short random id at the end
    of its name (``visits/2026-11-17-phone-0k7mq.md``, since format 3), so that documents made on
    different clones never share a name; older names (``...-phone.md``, ``...-phone-2.md``) stay valid.
    ``schema`` is a JSON Schema (Draft 2020-12) for the document's fields (front matter for
    Markdown); put a ``title`` on every field (reviews and messages use it) and ``x-phi: true``
    on fields that identify a person. ``skeleton`` names a jinja2 template (looked up in the
    repository's ``templates/``, then ``template_dir``, then caseflow's own templates) that
    renders a new document. ``summarize`` picks the few fields listings need.
    """

    id: str
    title: str
    kind: Literal["yaml", "markdown"]
    path: str
    schema: Mapping[str, Any]
    skeleton: str
    description: str = ""
    template_dir: Path | None = None
    #: The skeleton's jinja2 text itself, for a form defined as data (``forms/<id>.yaml``):
    #: ``skeleton`` then only names it in messages (a file in ``templates/`` of that name overrides it).
    skeleton_text: str | None = None
    summarize: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = field(default=None, compare=False)
    #: Checks a schema cannot express, for this form only (an instrument recomputes its score).
    check: Callable[[Mapping[str, Any]], list[Finding]] | None = field(default=None, compare=False)
    #: Describes a list of :class:`~caseflow.review.semdiff.Change` in the form's own words for
    #: ``caseflow diff`` and reviews (default: each change's "Label: old → new").
    describe_changes: Callable[[list[Any]], list[str]] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not FORM_ID.match(self.id):
            raise ValueError(f"form id {self.id!r} must be namespaced like 'agency.form-name'")
        suffix = ".md" if self.kind == "markdown" else ".yaml"
        if not self.path.endswith(suffix):
            raise ValueError(f"form {self.id}: a {self.kind} form's path must end with {suffix}")

    @property
    def singleton(self) -> bool:
        """One per client (``plan.yaml``) rather than many (``visits/{date}-{type}.md``)."""
        return not _PLACEHOLDER.search(self.path)

    @property
    def placeholders(self) -> list[str]:
        return _PLACEHOLDER.findall(self.path)

    def path_regex(self) -> re.Pattern[str]:
        parts: list[str] = []
        last = 0
        for match in _PLACEHOLDER.finditer(self.path):
            parts.append(re.escape(self.path[last : match.start()]))
            parts.append(_DATE if match.group(1) == "date" else r"[A-Za-z0-9][A-Za-z0-9._-]*")
            last = match.end()
        rest, dot, suffix = self.path[last:].rpartition(".")
        parts.append(re.escape(rest))
        if self.placeholders and "id" not in self.placeholders:
            parts.append(_UNIQUE_END + "?")
        parts.append(re.escape(dot + suffix))
        return re.compile("^" + "".join(parts) + "$")

    def matches_path(self, relative_path: str) -> bool:
        return bool(self.path_regex().match(relative_path))

    def unusable_placeholder(self, data: Mapping[str, Any]) -> str | None:
        """The first field the file name needs that is missing or cannot be part of a file name."""
        for placeholder in self.placeholders:
            value = data.get(placeholder)
            if not isinstance(value, str) or not _PLACEHOLDER_VALUE.fullmatch(value):
                return placeholder
        return None

    def path_for(self, data: Mapping[str, Any]) -> str | None:
        """The path in the client folder that the document's own fields give it (None: see above)."""
        if self.unusable_placeholder(data) is not None:
            return None
        path = self.path
        for placeholder in self.placeholders:
            path = path.replace("{" + placeholder + "}", str(data[placeholder]))
        return path

    def path_agrees(self, relative_path: str, data: Mapping[str, Any]) -> bool:
        """Does the file name say what the fields say? (A short id, ``-0k7mq``, or an older name's
        counter, ``-2``, may follow a date-and-type name.)"""
        expected = self.path_for(data)
        if expected is None or relative_path == expected:
            return True  # a missing field is the schema's to report
        if "id" in self.placeholders:
            return False
        stem, _, suffix = expected.rpartition(".")
        return bool(re.fullmatch(re.escape(stem) + _UNIQUE_END + r"\." + re.escape(suffix), relative_path))


@dataclass(frozen=True)
class DocumentView:
    """What a ``validate_document`` hook gets: a copy of one document, safe to read."""

    path: str
    form_id: str
    client_id: str | None
    data: Mapping[str, Any]
    body: str = ""


def subschema(schema: Mapping[str, Any], path: list[str | int]) -> Mapping[str, Any]:
    """The JSON Schema that applies at a data path (properties and items; local $refs)."""
    root = schema
    current: Mapping[str, Any] = schema
    for step in path:
        current = _resolve(root, current)
        if isinstance(step, int):
            current = current.get("items", {})
        else:
            current = current.get("properties", {}).get(step, {})
    return _resolve(root, current)


def _resolve(root: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {})
        return target if isinstance(target, Mapping) else {}
    return schema
