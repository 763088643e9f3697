"""Long listings go out a batch at a time, and read exactly as if written at once."""

from __future__ import annotations

import json

import click
from click.testing import CliRunner

from caseflow.cli.context import BATCH_ROWS, emit_json, table


def _printed(function: click.Command) -> str:
    result = CliRunner().invoke(function)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_long_json_list_reads_as_one_dumps() -> None:
    rows = [
        {"client": f"C-{n:06d}", "due": "2026-11-14", "reason": "contact ✓", "n": n} for n in range(2 * BATCH_ROWS + 7)
    ]

    @click.command()
    def command() -> None:
        emit_json(rows)

    printed = _printed(command)
    assert printed == json.dumps(rows, ensure_ascii=False) + "\n"
    assert json.loads(printed) == rows


def test_a_long_table_is_aligned_as_a_whole() -> None:
    rows = [(f"C-{n:06d}", "x" * (n % 17), "-" if n % 5 else None) for n in range(BATCH_ROWS * 2 + 3)]

    @click.command()
    def command() -> None:
        table(rows, ["CLIENT", "WHAT", "NOTE"])

    lines = _printed(command).splitlines()
    assert lines[0] == "CLIENT    WHAT              NOTE"
    assert len(lines) == len(rows) + 1
    assert lines[1 + 16] == f"C-000016  {'x' * 16}  -"
    assert lines[1 + 15] == f"C-000015  {'x' * 15}   -"  # (None shows as "-")
    assert lines[-1] == f"C-{len(rows) - 1:06d}  {'x' * ((len(rows) - 1) % 17):<16}  -"
