"""Reading a YAML file that is not a case document (a provider listing) under the same policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from caseflow.core.documents import load_plain
from caseflow.core.textpolicy import read_document_bytes


def read_yaml_file(root: Path, relative: str) -> dict[str, Any]:
    """Plain data of ``root/relative``: no links followed, size capped, YAML 1.2 policy, located errors."""
    data, _ = load_plain(relative, read_document_bytes(root, relative))
    return data
