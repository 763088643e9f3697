"""The quick schema check says "valid" exactly when jsonschema would, or leaves it to jsonschema.

It spares a write the jsonschema import, so a wrong "valid" would let an invalid document be
committed: every test here holds it to jsonschema's own verdict (Draft 2020-12, format checker on).
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from caseflow import open_repo
from caseflow.core import quick_schema
from caseflow.core.documents import load_plain
from caseflow.core.forms import Form

EXAMPLES = Path(__file__).resolve().parents[2] / "example_casefiles"
#: Values put in place of each field in turn: every type, empty, almost-dates, a real date.
ODD_VALUES: list[Any] = [
    None,
    "",
    " ",
    "x",
    "2026-02-30",
    "2026-1-5",
    "2026-01-05",
    "a@b",
    0,
    -1,
    1.0,
    2.5,
    True,
    [],
    {},
    ["x"],
]


def jsonschema_valid(schema: Any, data: Any) -> bool:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return not any(True for _ in validator.iter_errors(data))


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Form]:
    """Every form caseflow and its bundled plugins register."""
    root = tmp_path_factory.mktemp("forms")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "caseflow.yaml").write_text((EXAMPLES / "caseflow.yaml").read_text())
    return dict(open_repo(root).forms)


def example_documents(forms: dict[str, Form]) -> Iterator[tuple[str, Form, dict[str, Any]]]:
    for path in sorted((EXAMPLES / "clients").rglob("*")):
        if path.suffix not in (".yaml", ".md"):
            continue
        data, _ = load_plain(path.name, path.read_bytes())
        form = forms.get(str(data.get("form")))
        if form is not None:
            yield str(path.relative_to(EXAMPLES)), form, data


def mutations(data: Any) -> Iterator[Any]:
    """``data`` with one thing changed: each field (at any depth) given each odd value, removed, or
    joined by an unknown field; each list emptied or given an extra item."""
    if isinstance(data, dict):
        yield {**data, "unknown_field": "x"}
        for key, value in data.items():
            yield {k: v for k, v in data.items() if k != key}
            for odd in ODD_VALUES:
                yield {**data, key: copy.deepcopy(odd)}
            for changed in mutations(value):
                yield {**data, key: changed}
    elif isinstance(data, list):
        yield []
        if data:
            yield [*data, copy.deepcopy(data[0])]
            yield [*data, "x"]
        for index, value in enumerate(data):
            for changed in mutations(value):
                yield [*data[:index], changed, *data[index + 1 :]]


def test_every_form_schema_is_covered_and_checked_the_same(forms: dict[str, Form]) -> None:
    """The forms caseflow ships use only what the quick check understands (else every write would
    import jsonschema again), and jsonschema's meta-schema accepts each one it covers."""
    assert forms
    for form in forms.values():
        assert quick_schema.covers(form.schema), form.id
        Draft202012Validator.check_schema(form.schema)


def test_example_documents_are_quickly_valid(forms: dict[str, Form]) -> None:
    checked = 0
    for where, form, data in example_documents(forms):
        assert jsonschema_valid(form.schema, data) == quick_schema.is_valid(form.schema, data), where
        checked += 1
    assert checked >= 20


def _judge_changed_documents(forms: dict[str, Form], every: int) -> dict[bool, int]:
    judged = {True: 0, False: 0}
    for where, form, data in example_documents(forms):
        for number, changed in enumerate(mutations(data)):
            if number % every:
                continue
            verdict = jsonschema_valid(form.schema, changed)
            assert quick_schema.is_valid(form.schema, changed) == verdict, (where, changed)
            judged[verdict] += 1
    return judged


def test_a_changed_document_gets_jsonschemas_verdict(forms: dict[str, Form]) -> None:
    """Every fifth way :func:`mutations` changes each example document: thousands of documents,
    valid and invalid, each judged the same by both (all of them: the slow test below)."""
    judged = _judge_changed_documents(forms, every=5)
    assert judged[True] > 20 and judged[False] > 200, judged


@pytest.mark.slow
def test_every_changed_document_gets_jsonschemas_verdict(forms: dict[str, Form]) -> None:
    """Each example document changed in every way :func:`mutations` knows: tens of thousands."""
    judged = _judge_changed_documents(forms, every=1)
    assert judged[True] > 100 and judged[False] > 1000, judged


# -- schemas of every kind the quick check covers, and some it does not ------------------------------

_names = st.sampled_from(["a", "b", "c"])
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, 1.0, 1.5, -2.5]),
    st.sampled_from(["", "a", "b", "2026-01-05", "2026-02-30", "x@y", "ab", "abc"]),
)
_data = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_names, inner, max_size=3)),
    max_leaves=8,
)
_types = st.sampled_from(["string", "object", "integer", "number", "array", "boolean", "null", "text"])


def _assertions() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(lambda t: {"type": t}, _types),
        st.builds(lambda t: {"type": t}, st.lists(_types, min_size=1, max_size=3)),
        st.builds(lambda v: {"enum": v}, st.lists(_scalars, max_size=3)),
        st.builds(lambda v: {"const": v}, _scalars),
        st.builds(lambda p: {"pattern": p}, st.sampled_from(["^a", "b$", "^\\d{4}-", "[", "."])),
        st.builds(lambda f: {"format": f}, st.sampled_from(["date", "email", "uri"])),
        st.builds(
            lambda k, n: {k: n}, st.sampled_from(["minLength", "maxLength", "minItems", "maxItems"]), st.integers(-1, 3)
        ),
        st.builds(
            lambda k, n: {k: n}, st.sampled_from(["minimum", "maximum"]), st.sampled_from([0, 1, 2.5, True, "1"])
        ),
        st.builds(lambda r: {"required": r}, st.lists(_names, max_size=3)),
        st.just({"title": "A title", "x-phi": True}),
        st.just({"$ref": "#"}),
    )


_schemas = st.recursive(
    st.one_of(_assertions(), st.booleans()),
    lambda inner: st.one_of(
        st.builds(lambda p: {"type": "object", "properties": p}, st.dictionaries(_names, inner, max_size=3)),
        st.builds(
            lambda p, extra: {"properties": p, "additionalProperties": extra},
            st.dictionaries(_names, inner, max_size=2),
            inner,
        ),
        st.builds(lambda i: {"items": i}, inner),
        st.builds(lambda k, subs: {k: subs}, st.sampled_from(["allOf", "anyOf", "oneOf"]), st.lists(inner, max_size=3)),
        st.builds(lambda s: {"not": s}, inner),
        st.builds(lambda c, t, e: {"if": c, "then": t, "else": e}, inner, inner, inner),
        st.builds(lambda c, t: {"if": c, "then": t}, inner, inner),
        st.builds(lambda a, b: {**a, **b}, _assertions(), _assertions()),
    ),
    max_leaves=6,
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_schemas, _data)
def test_generated_schemas_and_data(schema: Any, data: Any) -> None:
    """A covered schema is one jsonschema accepts, and on it both checks agree on every document."""
    _agree_on(schema, data)


@pytest.mark.slow
@settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_schemas, _data)
def test_many_generated_schemas_and_data(schema: Any, data: Any) -> None:
    _agree_on(schema, data)


def _agree_on(schema: Any, data: Any) -> None:
    if not quick_schema.covers(schema):
        return
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:  # pragma: no cover - the failure this test exists to find
        raise AssertionError(f"covered, yet jsonschema rejects the schema: {exc.message}") from None
    assert quick_schema.is_valid(schema, data) == jsonschema_valid(schema, data)


def test_what_is_not_covered() -> None:
    """Whatever the quick check does not understand goes to jsonschema (which may then refuse it)."""
    for schema in (
        {"$ref": "#/$defs/x"},
        {"type": "text"},
        {"pattern": "["},
        {"format": "uri"},
        {"minLength": -1},
        {"required": ["a", "a"]},
        {"properties": {"a": 3}},
        {"allOf": []},
        {"$schema": "http://json-schema.org/draft-07/schema#"},
        {"default": 1},
        {"patternProperties": {"^a": {}}},
    ):
        assert not quick_schema.covers(schema), schema


def test_a_write_with_a_valid_document_does_not_import_jsonschema(
    case_repo: Callable[..., Path], tmp_path: Path
) -> None:
    """``caseflow set`` of a valid value commits without importing jsonschema; an invalid one
    is explained by jsonschema as before (the process's own modules, read after it ran). (The
    first command in a repository checks caseflow.yaml against its schema, once for its bytes.)"""
    from tests.samples import CLIENT, CLIENT_YAML

    path = case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML})
    probe = (
        "import atexit, sys, runpy\n"
        "sys.argv = ['caseflow', *sys.argv[1:]]\n"
        "atexit.register(lambda: print('jsonschema', 'jsonschema' in sys.modules, file=sys.stderr))\n"
        "runpy.run_module('caseflow', run_name='__main__')\n"
    )

    def run(*args: str) -> str:
        env = {**os.environ, "CASEFLOW_USER": "casey"}
        done = subprocess.run(
            [sys.executable, "-c", probe, *args], cwd=path, env=env, capture_output=True, text=True, check=False
        )
        loaded = done.stderr.strip().splitlines()[-1].split()[-1]
        return f"exit {done.returncode} {loaded}\n{done.stderr}"

    run("set", CLIENT, "client.yaml", "phone=555-0100")  # the first command checks caseflow.yaml once
    valid = run("set", CLIENT, "client.yaml", "phone=555-0101")
    assert valid.startswith("exit 0 False\n"), valid
    invalid = run("set", CLIENT, "client.yaml", "dob=1990-02-30")
    assert invalid.startswith("exit 1 True\n"), invalid
    assert "Date of birth: the value is not a date written YYYY-MM-DD" in invalid
