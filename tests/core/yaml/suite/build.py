"""Build ``cases.json`` from a copy of the official YAML test suite's data.

    python tests/core/yaml/suite/build.py ../shared/yaml-test-suite

The source is the suite's ``data`` branch (https://github.com/yaml/yaml-test-suite), laid out as
``cases/<id>/{in.yaml, in.json, error, name.txt}`` with ``DATA-COMMIT`` naming the commit. Each
case becomes ``{"id", "name", "yaml", "error", "json"}``: ``error`` is true where the suite marks
the input invalid; ``json`` is the list of documents the suite's ``in.json`` holds (one JSON value
per YAML document), or null where the suite gives none (keys JSON cannot hold). The suite is under
the MIT licence; its LICENSE file sits beside ``cases.json``.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def documents(text: str) -> list[Any]:
    """The JSON values in ``in.json`` (one per YAML document, one after another)."""
    decoder = json.JSONDecoder()
    values, at = [], 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return values
        value, at = decoder.raw_decode(text, at)
        values.append(value)


def build(source: Path) -> dict[str, Any]:
    cases = []
    for folder in sorted((source / "cases").iterdir()):
        expected = folder / "in.json"
        cases.append(
            {
                "id": folder.name,
                "name": (folder / "name.txt").read_text(encoding="utf-8").strip(),
                "yaml": (folder / "in.yaml").read_bytes().decode("utf-8"),
                "error": (folder / "error").exists(),
                "json": documents(expected.read_text(encoding="utf-8")) if expected.exists() else None,
            }
        )
    commit = (source / "DATA-COMMIT").read_text(encoding="utf-8").strip()
    return {"source": "https://github.com/yaml/yaml-test-suite", "data_commit": commit, "cases": cases}


def main(source: Path) -> None:
    data = build(source)
    # one case a line, so that a change to the data reads as a diff of the cases it touches
    lines = [json.dumps(case, ensure_ascii=False, separators=(",", ":")) for case in data.pop("cases")]
    head = json.dumps(data, ensure_ascii=False)[:-1]
    text = head + ', "cases": [\n' + ",\n".join(lines) + "\n]}\n"
    (HERE / "cases.json").write_text(text, encoding="utf-8")
    shutil.copyfile(source / "LICENSE", HERE / "LICENSE")
    print(f"{len(lines)} cases from {data['data_commit']}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
