"""``caseflow init``: a new case repository with its settings, attributes and first commit."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from caseflow.core.config import CONFIG_FILE, Staff, initial_config_text, is_time_zone
from caseflow.core.configfile import parse_config
from caseflow.core.git.commit import Author
from caseflow.core.git.config import config_value
from caseflow.core.git.repository import init_repository as init_git
from caseflow.core.ids import check_staff_id
from caseflow.core.layout import LOCAL_DIR
from caseflow.core.signing import read_public_key, require_ssh_keygen
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


def first_admin(staff_id: str, name: str, email: str, public_key: Path | None = None) -> Staff:
    """The first member of staff ``caseflow init --admin`` writes: a director, who has the admin
    right by default; ``public_key``: their SSH public key (a ``.pub`` file), as ``staff key add``
    would register it."""
    keys = (read_public_key(public_key),) if public_key is not None else ()
    return Staff(staff_id, name, email, "director", keys=keys)


def init_repository(
    path: Path,
    *,
    agency: str,
    timezone: str = "UTC",
    author: Author | None = None,
    at: datetime | None = None,
    admin: Staff | None = None,
    require_signing: bool = False,
) -> str:
    """Create the repository; refuses a folder that already has files in it.

    ``admin``: the first member of staff (a director, with the admin right), written into
    ``caseflow.yaml`` and the author of the first commit; ``require_signing``: every later commit
    signed by its author's registered key (the admin needs one). Refused: nothing is created.
    """
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        if (path / CONFIG_FILE).exists():
            raise AlreadyExists(f"{path} is already a case repository")
        raise AlreadyExists(f"{path} is not empty; caseflow init needs a new or empty folder")
    if not is_time_zone(timezone):
        raise UsageError(f"--timezone {timezone!r} is not an IANA time zone (e.g. America/Chicago)")
    if admin is not None:
        check_staff_id(admin.id)
        if "@" not in admin.email.strip("@") or any(c.isspace() for c in admin.email):
            raise UsageError(f"--email {admin.email!r} is not an email address")
    if require_signing:
        if admin is None or not admin.keys:
            raise UsageError("--require-signing needs --admin with --key: someone must be able to sign the next commit")
        require_ssh_keygen()
    text = initial_config_text(agency, timezone, admin=admin, require_signing=require_signing)
    parse_config(text.encode())  # what init writes must be valid settings (a name YAML cannot hold, say)
    if author is None and admin is not None:
        author = Author(admin.name, admin.email, staff_id=admin.id)
    existed = path.exists()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create {path} ({exc.strerror or exc})") from None
    files = {
        CONFIG_FILE: text.encode(),
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
