"""``caseflow init``: a new case repository with its settings, attributes and first commit."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from caseflow.core.config import CONFIG_FILE, initial_config_text, is_time_zone
from caseflow.core.git.commit import Author
from caseflow.core.git.config import config_value
from caseflow.core.git.repository import init_repository as init_git
from caseflow.core.layout import LOCAL_DIR
from caseflow.errors import AlreadyExists, StoreError, UsageError

GITATTRIBUTES = """\
# Case documents merge field by field with caseflow's YAML merge driver. No end-of-line rules:
# git stores each file's bytes as written (CRLF stays CRLF), so a diff shows only what changed.
clients/**/*.yaml merge=caseflow-yaml
clients/**/*.md merge=caseflow-yaml
"""

GITIGNORE = f"""\
# Local to this clone: the index cache, the lock, drafts. Never committed.
{LOCAL_DIR}/
"""

README = """\
# Case repository

Managed with caseflow. Each client is a folder `clients/<client-id>/` of YAML and Markdown
documents; every change is a git commit by the person who made it. Run `caseflow --help`.

Layout: `caseflow.yaml` (agency, staff, plugins), `clients/` (one folder per client),
`providers/` (the agency's provider directory), `templates/` (agency overrides of templates).
"""


def init_repository(
    path: Path, *, agency: str, timezone: str = "UTC", author: Author | None = None, at: datetime | None = None
) -> str:
    """Create the repository; refuses a folder that already has files in it."""
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        if (path / CONFIG_FILE).exists():
            raise AlreadyExists(f"{path} is already a case repository")
        raise AlreadyExists(f"{path} is not empty; caseflow init needs a new or empty folder")
    if not is_time_zone(timezone):
        raise UsageError(f"--timezone {timezone!r} is not an IANA time zone (e.g. America/Chicago)")
    existed = path.exists()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create {path} ({exc.strerror or exc})") from None
    files = {
        CONFIG_FILE: initial_config_text(agency, timezone).encode(),
        ".gitattributes": GITATTRIBUTES.encode(),
        ".gitignore": GITIGNORE.encode(),
        "README.md": README.encode(),
    }
    if author is None:
        name = config_value(None, "user.name") or "caseflow"
        author = Author(name, config_value(None, "user.email") or "caseflow@localhost")
    try:
        return init_git(path, files, author, at)
    except BaseException:
        # Leave nothing half-made behind: a rerun would otherwise refuse "already a repository".
        if existed:
            for child in path.iterdir():  # the folder was empty before: all of this is ours
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        else:
            shutil.rmtree(path, ignore_errors=True)
        raise
