"""The installed plugins' entry points, remembered between commands under sys.path's folders."""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from caseflow.plugins import installed
from caseflow.plugins.installed import InstalledPlugin, installed_plugins


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path to install distributions into, and a cache folder of its own."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.setenv("CASEFLOW_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.syspath_prepend(str(folder))
    installed._remembered.cache_clear()
    yield folder
    installed._remembered.cache_clear()
    for name in [m for m in sys.modules if m.startswith("acme_")]:
        del sys.modules[name]


def install(site: Path, name: str, value: str, version: str = "1.0") -> None:
    """A distribution as pip leaves it: a package and a dist-info folder with its entry point."""
    package = value.partition(":")[0].split(".")[0]
    (site / package).mkdir(exist_ok=True)
    (site / package / "__init__.py").write_text("class Plugin:\n    marker = 'loaded'\n\nplugin = Plugin()\n")
    info = site / f"{package}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[caseflow]\n{name} = {value}\n")
    os.utime(site, ns=(os.stat(site).st_atime_ns, os.stat(site).st_mtime_ns + 1_000_000))  # (a new tick)


def test_an_installed_plugin_is_found_loaded_and_its_version_known(site: Path) -> None:
    install(site, "acme", "acme_one:plugin", "2.3")
    found = {p.name: p for p in installed_plugins()}
    assert found["acme"] == InstalledPlugin("acme", "acme_one:plugin", "2.3")
    assert found["acme"].load().marker == "loaded"
    assert InstalledPlugin("acme", "acme_one:Plugin.marker", None).load() == "loaded"


def test_the_list_is_kept_between_commands_and_read_again_when_a_folder_on_the_path_changes(site: Path) -> None:
    install(site, "acme", "acme_one:plugin")
    installed_plugins()
    cache = Path(os.environ["CASEFLOW_CACHE_DIR"]) / "entry-points.marshal"
    kept = marshal.loads(cache.read_bytes())
    (key,) = kept
    # A later command (a new process: nothing remembered in memory) takes the kept list as it is.
    kept[key] = (("kept", "acme_one:plugin", "9.9"),)
    cache.write_bytes(marshal.dumps(kept))
    installed._remembered.cache_clear()
    assert [p.name for p in installed_plugins()] == ["kept"]
    # Installing another distribution changes the folder: the list is read from the metadata again.
    install(site, "acme-two", "acme_two:plugin")
    names = {p.name for p in installed_plugins()}
    assert {"acme", "acme-two"} <= names and "kept" not in names


def test_a_damaged_cache_is_read_again_not_trusted(site: Path) -> None:
    install(site, "acme", "acme_one:plugin")
    cache = Path(os.environ["CASEFLOW_CACHE_DIR"]) / "entry-points.marshal"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"\x00 not marshal")
    assert "acme" in {p.name for p in installed_plugins()}
    assert isinstance(marshal.loads(cache.read_bytes()), dict)
