"""SSH signing keys: which key this person signs with, and whose key it is.

git signs and checks signatures itself (``gpg.format=ssh``, ``ssh-keygen -Y``); caseflow only
decides which private key a commit is signed with and keeps each person's public keys in the
staff list. The key in use is, in order:

1. ``$CASEFLOW_SIGNING_KEY`` (a private key file),
2. a key under ``.caseflow/keys/<staff id>`` (never committed): the demo keeps its fictional
   staff's keys there, so one folder can act as everyone in the tour (and a developer's own
   ``user.signingKey`` does not get in the way),
3. git's ``user.signingKey`` for this clone (what a person sets once on their laptop).

With (1) or (3) the key decides who is acting: a command run ``--as`` someone else is refused.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from caseflow.core import layout
from caseflow.errors import CaseflowError, NotAllowed

if TYPE_CHECKING:
    from collections.abc import Iterable

    from caseflow.core.config import Staff

KEY_ENV = "CASEFLOW_SIGNING_KEY"


class SigningUnavailable(CaseflowError):
    """Signing is required but cannot be done here (no ssh-keygen, no key)."""


@dataclass(frozen=True)
class KeyInUse:
    """A private key this process may sign with, and where it was found."""

    path: str
    public: str  # "ssh-ed25519 AAAA..." (no comment)
    source: str  # "$CASEFLOW_SIGNING_KEY", "git config user.signingKey", ".caseflow/keys/sam"

    @property
    def personal(self) -> bool:
        """Set by the person themselves (not the demo's shared key folder): it says who acts."""
        return not self.source.startswith(layout.LOCAL_DIR)


def require_ssh_keygen() -> str:
    found = shutil.which("ssh-keygen")
    if found is None:
        raise SigningUnavailable(
            "ssh-keygen was not found; signing and checking signatures need OpenSSH's ssh-keygen "
            "(Debian/Ubuntu: apt install openssh-client)"
        )
    return found


def normalize(public_key: str) -> str:
    """``type base64`` of an OpenSSH public key line (the comment dropped), or ValueError."""
    parts = public_key.strip().split()
    if len(parts) < 2 or not parts[0].startswith(("ssh-", "ecdsa-", "sk-")):
        raise ValueError("not an OpenSSH public key (it should start with ssh-ed25519, ssh-rsa or ecdsa-...)")
    return f"{parts[0]} {parts[1]}"


def read_public_key(path: Path) -> str:
    """The public key in ``path`` (a ``.pub`` file), normalized; refuses a private key."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseflowError(f"{path}: cannot read the public key ({getattr(exc, 'strerror', None) or exc})") from None
    if "PRIVATE KEY" in text:
        raise CaseflowError(f"{path} is a private key; give the public one ({path}.pub): it is kept in caseflow.yaml")
    try:
        return normalize(text.splitlines()[0] if text.strip() else "")
    except ValueError as exc:
        raise CaseflowError(f"{path}: {exc}") from None


def public_key_of(private_path: str) -> str:
    """The public key of a private key file: ``PATH.pub`` beside it, else ``ssh-keygen -y``."""
    pub = Path(private_path + ".pub")
    if pub.is_file():
        return read_public_key(pub)
    return _derive_public(private_path)


@functools.lru_cache(maxsize=8)
def _derive_public(private_path: str) -> str:
    done = subprocess.run(
        [require_ssh_keygen(), "-y", "-f", private_path], capture_output=True, text=True, timeout=30, check=False
    )
    if done.returncode != 0:
        raise SigningUnavailable(f"{private_path}: ssh-keygen cannot read this key (a passphrase? use ssh-agent)")
    return normalize(done.stdout)


def generate_key(path: Path, comment: str) -> str:
    """A new ed25519 key pair at ``path`` and ``path.pub`` (no passphrase: the demo's); its public key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [require_ssh_keygen(), "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if done.returncode != 0:
        raise SigningUnavailable(f"ssh-keygen could not make a key at {path}: {done.stderr.strip()}")
    return read_public_key(Path(f"{path}.pub"))


def fingerprint(public_key: str) -> str:
    """``SHA256:...`` as ``ssh-keygen -l`` and git's ``%GF`` print it (computed, no process)."""
    import base64
    import hashlib

    body = base64.b64decode(public_key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(body).digest()).decode().rstrip("=")


def key_in_use(root: Path, acting_id: str | None) -> KeyInUse | None:
    """The key this process signs with (see the module's order), or None."""
    from caseflow.core.git.config import config_value

    explicit = os.environ.get(KEY_ENV)
    if explicit:
        explicit = str(Path(explicit).expanduser().absolute())  # git signs from inside the repository
        return KeyInUse(explicit, public_key_of(explicit), f"${KEY_ENV}")
    if acting_id:
        kept = root / layout.KEYS / acting_id
        if kept.is_file():
            return KeyInUse(str(kept), public_key_of(str(kept)), f"{layout.KEYS}/{acting_id}")
    configured = config_value(root, "user.signingKey")
    if configured:
        path = str(root / Path(configured).expanduser())  # as git reads it: from the repository's top
        if configured.strip().startswith(("ssh-", "ecdsa-", "sk-")):  # an agent holds the private key
            return KeyInUse(configured.strip(), normalize(configured), "git config user.signingKey")
        return KeyInUse(path, public_key_of(path), "git config user.signingKey")
    return None


def owner_of(public_key: str, staff: Iterable[Staff]) -> Staff | None:
    """The staff member whose registered keys include ``public_key``."""
    return next((member for member in staff if public_key in member.keys), None)


def refuse_acting_as(acting_id: str, key: KeyInUse, owner_id: str | None) -> NotAllowed:
    """The refusal for acting as someone the key in use does not belong to."""
    whose = f"it is {owner_id}'s" if owner_id else "it is on nobody's staff entry"
    return NotAllowed(
        f"this machine signs with {fingerprint(key.public)} ({key.source}); {whose}, so caseflow "
        f"cannot act as {acting_id}: {acting_id} acts from their own machine with their own key"
    )
