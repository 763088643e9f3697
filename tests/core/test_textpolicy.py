"""Byte-level rules: size, links, encoding, line endings, conflict markers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from caseflow.core.textpolicy import MAX_DOCUMENT_BYTES, decode_document, encode_document, read_document_bytes
from caseflow.errors import DocumentError


def refusal(raw: bytes) -> str:
    with pytest.raises(DocumentError) as caught:
        decode_document("clients/C-7K2M9Q/plan.yaml", raw)
    return str(caught.value.problems[0])


def test_nul_byte_is_located() -> None:
    assert (
        refusal(b"form: x\nname: A\0B\n") == "clients/C-7K2M9Q/plan.yaml:2:8: contains a NUL byte; documents are text"
    )


def test_invalid_utf8_is_located() -> None:
    message = refusal(b"form: x\nname: Jos" + b"\xe9\n")
    assert message.startswith("clients/C-7K2M9Q/plan.yaml:2:10: is not valid UTF-8 (byte 0xe9)")


def test_conflict_markers_are_refused() -> None:
    raw = b"form: x\n<<<<<<< HEAD\nstatus: met\n=======\nstatus: active\n>>>>>>> theirs\n"
    assert refusal(raw).startswith("clients/C-7K2M9Q/plan.yaml:2:1: holds git conflict markers")


def test_setext_heading_underline_is_not_a_conflict_marker() -> None:
    text, _ = decode_document("n.md", b"---\nform: x\n---\nTitle\n=======\n")
    assert text.endswith("=======\n")


def test_mixed_line_endings_are_refused_not_converted() -> None:
    assert "mixes CRLF and LF" in refusal(b"form: x\r\nname: A\nrole: b\r\n")


def test_crlf_and_bom_round_trip() -> None:
    raw = "\ufeffform: x\r\nname: Zoë\r\n".encode()
    text, style = decode_document("x.yaml", raw)
    assert text == "form: x\nname: Zoë\n"
    assert style.crlf and style.bom
    assert encode_document(text, style) == raw


def test_symlinked_document_is_never_followed(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("form: x\n")
    folder = tmp_path / "clients" / "C-7K2M9Q"
    folder.mkdir(parents=True)
    os.symlink(tmp_path / "secret.txt", folder / "plan.yaml")
    with pytest.raises(DocumentError, match="symbolic link"):
        read_document_bytes(tmp_path, "clients/C-7K2M9Q/plan.yaml")


def test_symlinked_client_folder_is_never_followed(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "plan.yaml").write_text("form: x\n")
    (tmp_path / "clients").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "clients" / "C-7K2M9Q")
    with pytest.raises(DocumentError, match="symbolic link"):
        read_document_bytes(tmp_path, "clients/C-7K2M9Q/plan.yaml")


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(20 * 1024 * 1024)
    with pytest.raises(DocumentError) as caught:
        read_document_bytes(tmp_path, "big.yaml")
    assert f"documents are capped at {MAX_DOCUMENT_BYTES:,}" in str(caught.value)
