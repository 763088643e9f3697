"""git's settings read as git resolves them: one at a time, or several from one git process."""

from __future__ import annotations

from pathlib import Path

from caseflow.core.git.config import config_value, config_values
from caseflow.testing import git


def test_several_settings_from_one_process_read_as_one_at_a_time(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "core.autocrlf", "input")
    git(tmp_path, "config", "--add", "core.excludesFile", "~/first-ignore")
    git(tmp_path, "config", "--add", "core.excludesFile", "~/second-ignore")  # (the last one given wins)
    keys = ("core.autocrlf", "core.excludesFile", "core.noSuchSetting")
    found = config_values(tmp_path, *keys)
    assert found == {key: config_value(tmp_path, key) for key in keys}
    assert found == {"core.autocrlf": "input", "core.excludesFile": "~/second-ignore", "core.noSuchSetting": None}
    git(tmp_path, "config", "--unset", "core.autocrlf")
    git(tmp_path, "config", "--unset-all", "core.excludesFile")
    assert config_values(tmp_path, "core.autocrlf", "core.excludesFile") == {
        "core.autocrlf": None,
        "core.excludesFile": config_value(tmp_path, "core.excludesFile"),  # (the user's, if any)
    }
