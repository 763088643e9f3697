"""Reading ``caseflow.yaml``: the whole settings for a session, or just the plugin settings at start-up.

One loader serves both, through one record in the local ``.caseflow/`` folder: the digest of the
last content that passed its schema, with that content's ``plugins:`` settings as JSON. Checking
the schema means importing jsonschema, which costs more than a whole ``caseflow show``; building
the command line must not even load the YAML library. So the same bytes are checked once, and
start-up reads the JSON while the file is unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from caseflow import __version__
from caseflow.core.config import CONFIG_FILE, RepoConfig
from caseflow.core.layout import CONFIG_CHECKED
from caseflow.core.textpolicy import read_document_bytes
from caseflow.errors import CaseflowError, DocumentError


def load_config(root: Path) -> RepoConfig:
    """caseflow.yaml, refused (:class:`DocumentError`, located) unless it matches its schema."""
    raw = read_document_bytes(root, CONFIG_FILE)
    if _checked(root, raw) is None:
        config = parse_config(raw)
        _remember(root, raw, dict(config.plugins))
        return config
    from caseflow.core.documents import load_plain  # the YAML library: not at start-up

    data, _ = load_plain(CONFIG_FILE, raw)
    return RepoConfig.from_plain(data)


def plugin_settings(root: Path) -> dict[str, Any] | None:
    """The ``plugins:`` settings, for choosing which plugins may add commands; None when the file
    cannot be read or is invalid (the command run then says why)."""
    try:
        raw = read_document_bytes(root, CONFIG_FILE)
        kept = _checked(root, raw)
        if kept is not None:
            plugins = kept.get("plugins")
            return plugins if isinstance(plugins, dict) else None
        config = parse_config(raw)
    except CaseflowError:
        return None
    _remember(root, raw, dict(config.plugins))
    return dict(config.plugins) or None


def parse_config(raw: bytes) -> RepoConfig:
    """Read caseflow.yaml's bytes, refusing settings that do not match its schema."""
    from jsonschema import Draft202012Validator

    from caseflow.core.config import CONFIG_SCHEMA, config_problems, newer_format_message
    from caseflow.core.documents import load_plain
    from caseflow.core.validation import Located, explain_all, locate_all

    data, _ = load_plain(CONFIG_FILE, raw)
    schema = CONFIG_SCHEMA
    newer = isinstance(data, dict) and _newer_format(data.get("format"))
    if newer:  # settings this caseflow does not know yet are read past, never written (read only)
        schema = _open_schema(CONFIG_SCHEMA)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = explain_all(validator, schema, data)
    if not errors:
        errors = [Located(at, message) for at, message in config_problems(data)]
    if errors:
        if newer:
            errors.append(Located(("format",), newer_format_message(data["format"])))
        raise DocumentError(locate_all(CONFIG_FILE, raw, errors))
    return RepoConfig.from_plain(data)


def _newer_format(version: Any) -> bool:
    from caseflow.core.config import FORMAT_VERSION

    return isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION


def _open_schema(schema: Any) -> Any:
    """``schema`` with every ``additionalProperties: false`` lifted: a newer format's settings
    may hold keys this caseflow has never heard of."""
    if isinstance(schema, dict):
        return {
            key: _open_schema(value)
            for key, value in schema.items()
            if not (key == "additionalProperties" and value is False)
        }
    if isinstance(schema, list):
        return [_open_schema(item) for item in schema]
    return schema


def _digest(raw: bytes) -> str:
    # caseflow's version is part of it: a newer caseflow may check more
    return hashlib.sha256(__version__.encode() + b"\0" + raw).hexdigest()


def _checked(root: Path, raw: bytes) -> dict[str, Any] | None:
    """What was kept of these exact bytes when they last passed the schema, or None."""
    try:
        kept = json.loads((root / CONFIG_CHECKED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict) or kept.get("digest") != _digest(raw):
        return None
    return kept


def _remember(root: Path, raw: bytes, plugins: Any) -> None:
    stamp = root / CONFIG_CHECKED
    with contextlib.suppress(OSError):  # a read-only clone just checks every time
        stamp.parent.mkdir(exist_ok=True)
        stamp.write_text(json.dumps({"digest": _digest(raw), "plugins": plugins or None}), encoding="utf-8")
