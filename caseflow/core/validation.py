"""Validating documents: JSON Schema (Draft 2020-12) plus plugins' checks, located by line.

Documents are read with the fast loader; only a document with problems is loaded again with
positions (the round-trip loader) so that each problem says ``path:line:col``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from caseflow.core import quick_schema
from caseflow.core.documents import load_plain
from caseflow.core.forms import DocumentView, Finding, Form, subschema
from caseflow.core.located import FieldPath, Located, locate_all
from caseflow.errors import DocumentError, PluginError, Problem

if TYPE_CHECKING:
    # jsonschema costs a sixth of a second to import: only a command or page that checks a
    # document against its form pays for it (not a read, not the web app's start).
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

__all__ = ["FieldPath", "Located", "SchemaChecker", "explain_all", "locate_all"]

HookChecker = Callable[[DocumentView], list[tuple[str, Finding]]]


class SchemaChecker:
    """Compiled validators per form, built once per session."""

    def __init__(self, forms: Mapping[str, Form]) -> None:
        self.forms = forms
        self._validators: dict[str, Draft202012Validator] = {}
        #: form id -> does :mod:`caseflow.core.quick_schema` understand its whole schema?
        self._quick: dict[str, bool] = {}

    def validator(self, form: Form) -> Draft202012Validator:
        compiled = self._validators.get(form.id)
        if compiled is None:
            from jsonschema import Draft202012Validator
            from jsonschema.exceptions import SchemaError

            try:
                Draft202012Validator.check_schema(form.schema)
            except SchemaError as exc:
                raise PluginError(f"form '{form.id}' has an invalid JSON Schema: {exc.message}") from None
            compiled = Draft202012Validator(form.schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
            self._validators[form.id] = compiled
        return compiled

    def check(self, form: Form, data: Mapping[str, Any]) -> list[Located]:
        """Every schema problem of ``data``. A document the quick check finds valid costs no
        jsonschema import (a write's usual case); anything else is jsonschema's to explain."""
        if self.quickly_valid(form, data):
            return []
        return explain_all(self.validator(form), form.schema, data)

    def quickly_valid(self, form: Form, data: Mapping[str, Any]) -> bool:
        """Is ``data`` certainly valid, by :mod:`caseflow.core.quick_schema` alone?"""
        covered = self._quick.get(form.id)
        if covered is None:
            covered = self._quick[form.id] = quick_schema.covers(form.schema)
        return covered and quick_schema.is_valid(form.schema, data)


def explain_all(validator: Draft202012Validator, schema: Mapping[str, Any], data: Any) -> list[Located]:
    """Every schema error for ``data``, in the schema's own words, in document order."""
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    return list(dict.fromkeys(located for error in errors for located in _explain(error, schema)))


def _title(schema: Any, fallback: str | int | None = None) -> str:
    if isinstance(schema, Mapping) and "title" in schema:
        return str(schema["title"])
    return str(fallback) if fallback is not None else "value"


def _explain(error: ValidationError, root: Mapping[str, Any]) -> list[Located]:
    """Turn a jsonschema error into messages in the form's own words (its field titles)."""
    at: FieldPath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if "x-message" in schema:
        return [Located(at, str(schema["x-message"]))]
    kind = error.validator
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        # A conditional ("then") branch has no titles of its own; the field's own schema has.
        local = schema.get("properties", {}).get(missing) or {}
        title = _title(local if "title" in local else subschema(root, [*at, missing]), missing)
        return [Located(at, f"missing required field '{missing}' ({title})")]
    if kind == "additionalProperties" and isinstance(error.instance, Mapping):
        known = set(schema.get("properties", {}))
        return [Located((*at, key), f"unknown field '{key}'") for key in error.instance if key not in known]
    title = _title(schema, at[-1] if at else None)
    if error.instance is None and kind in ("type", "enum", "const", "format", "pattern", "minLength"):
        return [Located(at, f"{title}: needs a value")]  # an empty `field:` (one message, not several)
    # Messages end up in terminals, CI logs and bug reports: never echo an identifying value.
    value = "the value" if _is_phi(root, at) else _yaml_words(error.instance)
    if kind == "format":
        expected = {"date": "a date written YYYY-MM-DD", "email": "an email address"}.get(str(error.validator_value))
        return [Located(at, f"{title}: {value} is not {expected or error.validator_value}")]
    if kind == "enum":
        options = ", ".join(str(o) for o in error.validator_value)
        return [Located(at, f"{title}: {value} is not one of {options}")]
    if kind == "type":
        return [Located(at, f"{title}: expected {error.validator_value}, got {value}")]
    if kind == "const" and at == ("form",):
        return [Located(at, f"form must be '{error.validator_value}' here")]
    if kind == "pattern":
        return [Located(at, f"{title}: {value} is not in the expected form")]
    if kind == "anyOf" and all(set(branch) == {"required"} for branch in error.validator_value):
        names = " or ".join(f"'{b['required'][0]}'" for b in error.validator_value)
        return [Located(at, f"needs {names}")]
    return [Located(at, f"{title}: {error.message.replace(repr(error.instance), value)}")]


def _yaml_words(value: Any) -> str:
    """A value as it was written in YAML, not as Python spells it (true, not True)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value != value:
        return ".nan"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    if isinstance(value, dict | list):
        return "a list" if isinstance(value, list) else "a set of fields"
    return repr(value)


def _is_phi(root: Mapping[str, Any], at: FieldPath) -> bool:
    """Is the value at ``at`` (or anything it sits in) marked ``x-phi: true`` by the form?"""
    return any(subschema(root, list(at[:depth])).get("x-phi") for depth in range(1, len(at) + 1))


def check_document(
    path: str,
    raw: bytes,
    forms: Mapping[str, Form],
    schemas: SchemaChecker,
    hook_checks: HookChecker | None = None,
    client_id: str | None = None,
    path_in_client: str | None = None,
) -> list[Problem]:
    """Every problem with one document's bytes; an empty list means valid."""
    try:
        data, body = load_plain(path, raw)
    except DocumentError as exc:
        return exc.problems
    return check_plain_data(path, raw, data, body, forms, schemas, hook_checks, client_id, path_in_client)


def check_fields(
    data: dict[str, Any],
    body: str,
    path: str,
    forms: Mapping[str, Form],
    schemas: SchemaChecker,
    hook_checks: HookChecker | None,
    client_id: str | None,
    path_in_client: str | None,
) -> list[Located]:
    """Validate data already in hand, each problem by field path (located afterwards in the
    document, or by an import in its own sources: a CSV's row and column, the agency's file)."""
    form_id = data.get("form")
    if not isinstance(form_id, str):
        return [
            Located(("form",) if "form" in data else (), "names no form: start the document with 'form: <form id>'")
        ]
    form = forms.get(form_id)
    if form is None:
        return [Located(("form",), f"unknown form '{form_id}' (`caseflow forms` lists the forms)")]
    located = []
    if path_in_client is not None and not form.matches_path(path_in_client):
        located.append(
            Located(("form",), f"a {form.title} belongs at <client>/{form.path}, not <client>/{path_in_client}")
        )
    elif path_in_client is not None and not form.path_agrees(path_in_client, data):
        field = form.placeholders[0] if form.placeholders else "form"
        located.append(
            Located((field,), f"the file is named {path_in_client} but its fields say {form.path_for(data)}")
        )
    located.extend(schemas.check(form, data))
    if form.check is not None:
        located.extend(Located(tuple(f.at), f.message) for f in form.check(data))
    if hook_checks is not None:
        view = DocumentView(path=path, form_id=form_id, client_id=client_id, data=data, body=body)
        for plugin, finding in hook_checks(view):
            prefix = "" if plugin.startswith("caseflow.") else f"[{plugin}] "
            located.append(Located(tuple(finding.at), prefix + finding.message))
    return located


def check_plain_data(
    path: str,
    document_bytes: bytes,
    data: dict[str, Any],
    body: str,
    forms: Mapping[str, Form],
    schemas: SchemaChecker,
    hook_checks: HookChecker | None,
    client_id: str | None,
    path_in_client: str | None,
) -> list[Problem]:
    """Validate data already in hand (a document about to be written) and locate its problems."""
    located = check_fields(data, body, path, forms, schemas, hook_checks, client_id, path_in_client)
    return locate_all(path, document_bytes, located)
