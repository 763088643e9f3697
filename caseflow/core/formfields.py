"""Small builders for the JSON Schemas of the built-in forms, so each form reads as a field list."""

from __future__ import annotations

from typing import Any

from caseflow import CLIENT_ID_PATTERN, STAFF_ID_PATTERN

Schema = dict[str, Any]


def text(title: str, *, phi: bool = False, min_length: int = 0, **extra: Any) -> Schema:
    schema: Schema = {"type": "string", "title": title, **extra}
    if min_length:
        schema["minLength"] = min_length
    if phi:
        schema["x-phi"] = True
    return schema


def date(title: str, *, phi: bool = False) -> Schema:
    schema: Schema = {"type": "string", "format": "date", "title": title}
    if phi:
        schema["x-phi"] = True
    return schema


def choice(title: str, options: list[str]) -> Schema:
    return {"type": "string", "enum": options, "title": title}


def integer(title: str, minimum: int = 0, maximum: int | None = None) -> Schema:
    schema: Schema = {"type": "integer", "title": title, "minimum": minimum}
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def boolean(title: str) -> Schema:
    return {"type": "boolean", "title": title}


def staff(title: str) -> Schema:
    return {"type": "string", "pattern": STAFF_ID_PATTERN, "title": title}


def client_id(title: str = "Client") -> Schema:
    return {"type": "string", "pattern": CLIENT_ID_PATTERN, "title": title}


def item_id(title: str = "Id") -> Schema:
    return {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$", "title": title}


def directory_ref(title: str) -> Schema:
    """An id from a provider directory: the agency's own short ids, or HSDS UUIDs."""
    return {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$", "title": title}


def list_of(title: str, items: Schema, *, min_items: int = 0) -> Schema:
    schema: Schema = {"type": "array", "title": title, "items": items}
    if min_items:
        schema["minItems"] = min_items
    return schema


def record(title: str, properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    return {
        "type": "object",
        "title": title,
        "properties": properties,
        "required": required or [],
        "additionalProperties": False,
    }


def document(title: str, form_id: str, properties: dict[str, Schema], required: list[str]) -> Schema:
    """A top-level form schema: ``form`` pinned to the form's id, unknown fields refused."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "properties": {"form": {"const": form_id, "title": "Form"}, **properties},
        "required": ["form", *required],
        "additionalProperties": False,
    }


def extra_fields() -> Schema:
    """``extra``: an imported record's fields that map to none of the form's, kept as they were.
    Anything may be in it, so it counts as protected health information."""
    return {
        "type": "object",
        "title": "Imported fields (not mapped to this form)",
        "x-phi": True,
    }
