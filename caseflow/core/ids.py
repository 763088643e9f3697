"""Identifiers that become folder and file names: checked before any file system call."""

from __future__ import annotations

import re

from caseflow.errors import InvalidId

#: Any id that names a folder or file: a letter or digit first, then letters, digits, '-', '_'.
#: This rules out '..', '.git', '-rf', absolute paths, separators and NUL by construction.
CLIENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"
STAFF_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,31}$"
#: A provider directory's id, also its folder name under ``directories/``.
DIRECTORY_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"

_CLIENT_ID = re.compile(CLIENT_ID_PATTERN)
_STAFF_ID = re.compile(STAFF_ID_PATTERN)
_DIRECTORY_ID = re.compile(DIRECTORY_ID_PATTERN)
_DOCUMENT_PATH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*$")

#: Crockford's base32: no I, L, O or U, so ids survive being read aloud or written by hand.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def random_client_id(prefix: str = "C-", length: int = 6) -> str:
    """``C-`` and six random Crockford characters: 2^30 ids, so offline clones do not collide."""
    import secrets  # (with hmac and hashlib: not worth importing for every `caseflow --help`)

    return prefix + "".join(secrets.choice(CROCKFORD) for _ in range(length))


#: What ends a new many-per-client document's name (``visits/2026-11-17-phone-0k7mq.md``) so that
#: two clones never make the same one: lower-case Crockford characters (five are made; four to six
#: are accepted). An older name ends in nothing or in a counter (``-2``), also accepted.
NAME_ID_PATTERN = r"[0-9a-hjkmnp-tv-z]{4,6}"
#: The end of such a name after what the document's fields give: ``-0k7mq``, ``-2`` or nothing.
NAME_END_PATTERN = rf"(?:-(?:\d+|{NAME_ID_PATTERN}))"


def random_name_id(earlier: int = 0) -> str:
    """The short id ending a new document's name: one character saying how many documents of the
    same client, day and kind this clone had already (``0``, ``1``, ...: names sort in the order
    they were made, as the older ``-2`` did), then four random ones (1,048,576 choices: two clones
    making the first phone note of a day for the same client do not collide). Never all digits,
    so that it is not read as an older name's counter."""
    import secrets

    alphabet = CROCKFORD.lower()
    first = alphabet[min(max(earlier, 0), len(alphabet) - 1)]
    while True:
        value = first + "".join(secrets.choice(alphabet) for _ in range(4))
        if not value.isdigit():
            return value


def normalize_id(value: str) -> str:
    """An id as typed, in the one case ids are written in: caseflow's ids (``C-7K2M9Q``, ``H-...``,
    ``R-...``, ``CN-...``, ``A-...``, ``M-...``) are upper case, and people type ``c-7k2m9q``."""
    if isinstance(value, str) and _CLIENT_ID.fullmatch(value.strip()):
        return value.strip().upper()
    return value  # not an id at all: refused as typed (never echoed back changed)


def check_client_id(value: str) -> str:
    """Return ``value`` in upper case (``c-7k2m9q`` is ``C-7K2M9Q``) if it is a safe client id,
    else raise :class:`InvalidId`."""
    if not isinstance(value, str) or not _CLIENT_ID.fullmatch(value):
        raise InvalidId(f"{_printable(value)} is not a client id (expected something like C-7K2M9Q)")
    return normalize_id(value)


def check_staff_id(value: str) -> str:
    if not isinstance(value, str) or not _STAFF_ID.fullmatch(value):
        raise InvalidId(f"{_printable(value)} is not a staff id (lower-case letters, digits, '.', '-', '_')")
    return value


def check_document_path(value: str) -> str:
    """A document path inside a client folder: relative, no '..', no hidden parts, no NUL."""
    if not isinstance(value, str) or not _DOCUMENT_PATH.fullmatch(value):
        raise InvalidId(f"{_printable(value)} is not a document path inside a client folder")
    return value


def _printable(value: object) -> str:
    # Never echo control characters (or a whole pasted paragraph) back to a terminal.
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def check_directory_id(value: str) -> str:
    """Return ``value`` if it is a safe directory id (lower-case letters, digits, '-'), else raise."""
    if not isinstance(value, str) or not _DIRECTORY_ID.fullmatch(value):
        raise InvalidId(f"{value!r} is not a directory id (lower-case letters, digits and '-', e.g. county-211)")
    return value


def check_document_id(value: str, kind: str = "document") -> str:
    """Return ``value`` if it is a safe document id (a referral's, a consent's), else raise."""
    if not isinstance(value, str) or not _CLIENT_ID.fullmatch(value):
        raise InvalidId(f"{value!r} is not a valid {kind} id (letters, digits, '-' and '_')")
    return value  # (a document's name stem is one too, and lower case: ids are normalised where typed)
