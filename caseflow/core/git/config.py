"""git's settings: reading one as git resolves it, and writing a clone's own (``--local``)."""

from __future__ import annotations

from pathlib import Path

from caseflow.core.git.runner import GitFailed, git

#: Name of caseflow's merge driver in ``.gitattributes`` (``merge=caseflow-yaml``) and git config.
MERGE_DRIVER = "caseflow-yaml"


def config_value(root: Path | None, key: str) -> str | None:
    """A git setting (``user.email``) as git itself resolves it, or None (``root`` None: outside
    any repository, the user's and the system's settings only)."""
    try:
        return git(root, "config", "--get", key).strip() or None
    except (GitFailed, OSError):
        return None


def config_values(root: Path | None, *keys: str) -> dict[str, str | None]:
    """Several settings as :func:`config_value` gives each, from one git process (``{key: value}``,
    the keys as given)."""
    import re

    pattern = "^(" + "|".join(re.escape(key.lower()) for key in keys) + ")$"
    try:
        out = git(root, "config", "--get-regexp", pattern)
    except (GitFailed, OSError):
        out = ""  # (none of them set: git says so with exit code 1)
    found: dict[str, str] = {}
    for line in out.splitlines():
        name, _, value = line.partition(" ")
        found[name.lower()] = value.strip()  # (the last one given wins, as with --get)
    return {key: found.get(key.lower()) or None for key in keys}


def set_local(root: Path, key: str, value: str) -> None:
    """Write a setting into this clone's own config (GitFailed if git cannot)."""
    git(root, "config", "--local", key, value)


def register_merge_driver(root: Path, command: str) -> None:
    """Make git call ``command`` to merge files marked ``merge=caseflow-yaml`` in this clone
    (git never copies config with a clone). Cheap when already done: the config file is read
    without starting git. A read-only clone is left as it is; it merges line by line."""
    if not (root / ".git").exists():
        return  # not a git repository (yet): nothing to register; writing commands say so
    config = root / ".git" / "config"  # the common case, without a git process
    try:
        current = config.read_text(encoding="utf-8") if config.is_file() else ""
    except OSError:
        return
    if f'[merge "{MERGE_DRIVER}"]' in current and f"driver = {command}" in current:
        return
    try:
        set_local(root, f"merge.{MERGE_DRIVER}.name", "caseflow field-by-field merge of case documents")
        set_local(root, f"merge.{MERGE_DRIVER}.driver", command)
    except (GitFailed, OSError):
        pass
