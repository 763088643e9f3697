"""The lazy command group: commands load on first use; --help lists them from a catalog."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.cli import make_cli
from caseflow.cli.lazy import Catalog, LazyGroup
from caseflow.testing import Result


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CASEFLOW_CACHE_DIR", str(folder))
    return folder


def test_help_from_the_catalog_reads_as_help_from_the_commands(
    cache: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    first = invoke_caseflow("--help", env={"CASEFLOW_CACHE_DIR": str(cache)}).assert_success().stdout
    kept = json.loads((cache / "commands.json").read_text())
    assert {"intake", "advance", "visit", "sync", "report", "watch"} <= {c["name"] for c in kept["commands"]}
    second = invoke_caseflow("--help", env={"CASEFLOW_CACHE_DIR": str(cache)}).assert_success().stdout
    assert second == first
    assert "visit" in second and "Record a contact with the client" in second


def test_help_does_not_load_the_commands_while_the_catalog_holds(cache: Path) -> None:
    make_cli(with_plugins=False).main(args=["--help"], standalone_mode=False)  # loads, then keeps the catalog
    cli = make_cli(with_plugins=False)
    assert isinstance(cli, LazyGroup)
    cli.main(args=["--help"], standalone_mode=False)
    assert cli.commands == {}  # nothing was imported or registered to print the list
    assert cli.get_command(None, "visit") is not None  # type: ignore[arg-type]  # any real use loads them


def test_a_stale_or_damaged_catalog_is_not_trusted(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path, "one")
    cli = make_cli(with_plugins=False)
    assert isinstance(cli, LazyGroup)
    cli.load()
    catalog.save(cli.commands.values())
    assert set(catalog.read() or {}) == set(cli.commands)
    assert Catalog(tmp_path, "another").read() is None  # another fingerprint: a plugin or file changed
    (tmp_path / "commands.json").write_text("{not json")
    assert catalog.read() is None


def test_the_command_tunes_the_garbage_collector_for_large_caseloads(cache: Path) -> None:
    import gc

    from caseflow.cli import GC_THRESHOLDS, main

    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's defaults (an earlier test in this process may have run main)
    try:
        with pytest.raises(SystemExit) as exited:
            main(["--version"])
        assert exited.value.code == 0
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.set_threshold(*before)
