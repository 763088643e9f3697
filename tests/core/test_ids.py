"""Ids that become folder names are checked before any file system call."""

from __future__ import annotations

import re

import pytest

from caseflow.core.ids import CROCKFORD, check_client_id, check_document_path, check_staff_id, random_client_id
from caseflow.errors import InvalidId

UNSAFE = [
    "../../etc",
    "/abs",
    "a/../b",
    ".git",
    "-rf",
    "C-7K2\x00M9Q",
    "C-7K/2M9Q",
    "C-7K\\2M9Q",
    "",
    ".",
    "..",
    "C-7K2M9Q\n",
]


@pytest.mark.parametrize("value", UNSAFE, ids=repr)
def test_unsafe_client_ids_are_refused(value: str) -> None:
    with pytest.raises(InvalidId):
        check_client_id(value)


@pytest.mark.parametrize(
    "value", ["../plan.yaml", "/etc/passwd", "visits/../../x.md", ".git/config", "a\x00b.yaml", "-x.md"]
)
def test_unsafe_document_paths_are_refused(value: str) -> None:
    with pytest.raises(InvalidId):
        check_document_path(value)


def test_error_never_echoes_control_characters() -> None:
    with pytest.raises(InvalidId) as caught:
        check_client_id("C-\x1b[31mX")
    assert "\x1b" not in str(caught.value)


def test_random_ids_use_crockford_base32_and_differ() -> None:
    ids = {random_client_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(f"C-[{CROCKFORD}]{{6}}", i) for i in ids)
    assert all(check_client_id(i) == i for i in ids)


def test_staff_ids() -> None:
    assert check_staff_id("casey") == "casey"
    with pytest.raises(InvalidId):
        check_staff_id("Casey Rivera")
