"""The checks a JSON Schema cannot express: the quick look for a repeated id says "maybe" wherever
the full check finds one."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from caseflow.records.document_checks import _duplicate_ids, _may_repeat_an_id

_ids = st.sampled_from(["v1", "v2", "v3", 1, None])
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from(["", "a", "2026-01-05"]))
_data = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["id", "name", "items", "notes"]), inner, max_size=4),
        st.lists(st.fixed_dictionaries({"id": _ids}, optional={"items": inner}), max_size=4),
    ),
    max_leaves=20,
)


@given(_data)
def test_the_quick_look_misses_no_repeated_id(data: Any) -> None:
    found = list(_duplicate_ids(data, ()))
    if found:
        assert _may_repeat_an_id(data)
    else:  # (and on plain data it says no when there is none: what makes it worth having)
        assert not _may_repeat_an_id(data)


def test_a_repeated_id_deep_in_a_document_is_found() -> None:
    data = {"goals": [{"id": "g1", "steps": [{"id": "s1"}, {"id": "s1"}]}]}
    assert _may_repeat_an_id(data)
    assert [f.at for f in _duplicate_ids(data, ())] == [("goals", 0, "steps", 1, "id")]
    assert not _may_repeat_an_id({"goals": [{"id": "g1"}, {"id": "g2"}], "notes": "text"})
