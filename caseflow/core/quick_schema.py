"""A yes-only JSON Schema check for the keywords forms use, so that a write need not import jsonschema.

``jsonschema`` (with ``referencing``, ``attrs`` and its format checkers) costs about a twentieth of
a second to import and a few hundredths more to check a form's schema against the 2020-12
meta-schema: a third of what a one-field ``caseflow set`` spends in Python at 10,000 clients. Yet a
document about to be written is nearly always valid, and the forms use a small part of the standard
(``type``, ``properties``, ``required``, ``enum``, ``pattern``, ``format: date``, ...).

So this module answers one question: is this data *certainly* valid under this schema? It says
yes only where it understands every keyword of the schema (:func:`covers`, which also checks that
the schema itself is well formed, as jsonschema's meta-schema check would) and the data passes
every one of them, with jsonschema's own semantics (Draft 2020-12, ``FORMAT_CHECKER``: ``1.0`` is
an integer, ``True`` is not, ``date`` is ``YYYY-MM-DD`` that is a real day). Anything else (an
unknown keyword, a ``$ref``, a problem in the data) is "don't know": the caller asks jsonschema,
whose answer and messages are the ones shown. A differential test holds the two to the same
verdict (``tests/core/test_quick_schema.py``).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

#: The only ``$schema`` a covered schema may name: the draft jsonschema validates forms with.
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_TYPES = frozenset({"string", "object", "integer", "number", "array", "boolean", "null"})
#: Keywords that never fail a document (annotations), with what the meta-schema allows as value.
_ANNOTATIONS: dict[str, type | tuple[type, ...]] = {"title": str, "description": str, "$comment": str}
_SUBSCHEMA = ("additionalProperties", "items", "not", "if", "then", "else")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_FORMATS = frozenset({"date", "email"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)  # jsonschema's own test, then a real day


def covers(schema: Any) -> bool:
    """Does this module understand every keyword of ``schema``, each well formed (so that
    jsonschema's meta-schema check would pass it too)? Extension keywords ``x-...`` pass as the
    meta-schema lets them."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict):
        return False
    for key, value in schema.items():
        if not isinstance(key, str):
            return False
        if key.startswith("x-"):
            continue
        if key in _ANNOTATIONS:
            if not isinstance(value, _ANNOTATIONS[key]):
                return False
        elif key == "$schema":
            if value != DRAFT_2020_12:
                return False
        elif key in _SUBSCHEMA:
            if not covers(value):
                return False
        elif key in _SCHEMA_LISTS:
            if not (isinstance(value, list) and value and all(covers(each) for each in value)):
                return False
        elif key == "properties":
            if not (isinstance(value, dict) and all(covers(each) for each in value.values())):
                return False
        elif not _covers_assertion(key, value):
            return False
    return True


def _covers_assertion(key: str, value: Any) -> bool:
    if key == "type":
        names = value if isinstance(value, list) else [value]
        return bool(names) and all(isinstance(n, str) and n in _TYPES for n in names) and _unique(names)
    if key == "required":
        return isinstance(value, list) and all(isinstance(n, str) for n in value) and _unique(value)
    if key == "enum":
        return isinstance(value, list)
    if key == "const":
        return True
    if key == "pattern":
        if not isinstance(value, str):
            return False
        try:
            re.compile(value)
        except re.error:
            return False
        return True
    if key == "format":
        return isinstance(value, str) and value in _FORMATS
    if key in ("minLength", "maxLength", "minItems", "maxItems"):
        return _count(value)
    if key in ("minimum", "maximum"):
        return _number(value)
    return False


def is_valid(schema: Any, data: Any) -> bool:
    """True only if ``data`` is valid under ``schema`` (which :func:`covers` must accept)."""
    if isinstance(schema, bool):
        return schema
    found = _COMPILED.get(id(schema))
    if found is None or found[0] is not schema:
        if len(_COMPILED) >= _MOST_COMPILED:
            _COMPILED.clear()
        found = _COMPILED[id(schema)] = (schema, _compiled(schema))
    return found[1](data)


Check = Callable[[Any], bool]
#: Each schema checked, as one function (the schema kept with it, so that its id names it alone).
#: Building the checks once per schema rather than reading the keywords for every value: an index
#: of 10,000 clients checks 87,000 documents against a few dozen schemas.
_COMPILED: dict[int, tuple[Any, Check]] = {}
_MOST_COMPILED = 512


def _compiled(schema: Any) -> Check:
    """One function that says what :func:`is_valid` says of ``schema``, keyword by keyword as
    jsonschema reads them."""
    if isinstance(schema, bool):
        return (lambda data: True) if schema else (lambda data: False)
    checks = [check for key, value in schema.items() if (check := _keyword(key, value, schema)) is not None]
    if not checks:
        return lambda data: True
    if len(checks) == 1:
        return checks[0]

    def every(data: Any) -> bool:
        for check in checks:  # noqa: SIM110 - a loop makes no generator per value (an index checks millions)
            if not check(data):
                return False
        return True

    return every


def _keyword(key: str, value: Any, schema: Mapping[str, Any]) -> Check | None:
    """The check of one keyword (None: it never fails, as annotations and "then"/"else" alone)."""
    if key == "type":
        tests = [_TYPE_TESTS[name] for name in (value if isinstance(value, list) else [value])]
        if len(tests) == 1:
            return tests[0]
        return lambda data: any(test(data) for test in tests)
    if key == "properties":
        subs = [(name, _compiled(sub)) for name, sub in value.items()]

        def properties(data: Any) -> bool:
            if isinstance(data, dict):
                for name, check in subs:
                    if name in data and not check(data[name]):
                        return False
            return True

        return properties
    if key == "required":
        names = list(value)
        return lambda data: not isinstance(data, dict) or all(name in data for name in names)
    if key == "additionalProperties":
        known = frozenset(schema.get("properties", {}))
        other = _compiled(value)
        return lambda data: not isinstance(data, dict) or all(other(data[n]) for n in data if n not in known)
    if key == "items":
        each = _compiled(value)
        return lambda data: not isinstance(data, list) or all(each(item) for item in data)
    if key == "enum":
        if all(isinstance(each, str) for each in value):  # (text equals only text: a set says it)
            texts = frozenset(value)
            return lambda data: isinstance(data, str) and data in texts
        choices = list(value)
        return lambda data: any(_equal(each, data) for each in choices)
    if key == "const":
        return lambda data: _equal(value, data)
    if key == "pattern":
        pattern = re.compile(value)
        return lambda data: not isinstance(data, str) or pattern.search(data) is not None
    if key == "format":
        return lambda data: _format_ok(value, data)
    if key == "minLength":
        return lambda data: not isinstance(data, str) or len(data) >= value
    if key == "maxLength":
        return lambda data: not isinstance(data, str) or len(data) <= value
    if key == "minItems":
        return lambda data: not isinstance(data, list) or len(data) >= value
    if key == "maxItems":
        return lambda data: not isinstance(data, list) or len(data) <= value
    if key == "minimum":
        return lambda data: not _is_type(data, "number") or data >= value
    if key == "maximum":
        return lambda data: not _is_type(data, "number") or data <= value
    if key in ("allOf", "anyOf", "oneOf"):
        subs_ = [_compiled(sub) for sub in value]
        if key == "allOf":
            return lambda data: all(sub(data) for sub in subs_)
        if key == "anyOf":
            return lambda data: any(sub(data) for sub in subs_)
        return lambda data: sum(1 for sub in subs_ if sub(data)) == 1
    if key == "not":
        negated = _compiled(value)
        return lambda data: not negated(data)
    if key == "if":
        condition = _compiled(value)
        then = _compiled(schema["then"]) if "then" in schema else None
        otherwise = _compiled(schema["else"]) if "else" in schema else None

        def if_then_else(data: Any) -> bool:
            branch = then if condition(data) else otherwise
            return branch is None or branch(data)

        return if_then_else
    return None  # annotations, "then"/"else" (judged with "if"), "$schema", x-... (never fail)


def _is_type(data: Any, name: str) -> bool:
    """jsonschema's Draft 2020-12 type checker."""
    if name == "string":
        return isinstance(data, str)
    if name == "object":
        return isinstance(data, dict)
    if name == "array":
        return isinstance(data, list)
    if name == "boolean":
        return isinstance(data, bool)
    if name == "null":
        return data is None
    if isinstance(data, bool):
        return False
    if name == "integer":
        return isinstance(data, int) or (isinstance(data, float) and data.is_integer())
    return isinstance(data, numbers.Number)  # "number"


#: jsonschema's Draft 2020-12 type checker, one function per type name (see :func:`_is_type`).
_TYPE_TESTS: dict[str, Check] = {
    "string": lambda data: isinstance(data, str),
    "object": lambda data: isinstance(data, dict),
    "array": lambda data: isinstance(data, list),
    "boolean": lambda data: isinstance(data, bool),
    "null": lambda data: data is None,
    "integer": lambda data: _is_type(data, "integer"),
    "number": lambda data: _is_type(data, "number"),
}


def _format_ok(name: str, data: Any) -> bool:
    if not isinstance(data, str):
        return True
    if name == "email":
        return "@" in data
    if _DATE.fullmatch(data) is None:
        return False
    try:
        dt.date.fromisoformat(data)
    except ValueError:
        return False
    return True


def _equal(one: Any, two: Any) -> bool:
    """jsonschema's equality: ``True`` is not ``1``, inside lists and mappings too."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return one.keys() == two.keys() and all(_equal(one[k], two[k]) for k in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    return bool(one == two)


def _unique(values: list[Any]) -> bool:
    return len({repr(v) for v in values}) == len(values)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
