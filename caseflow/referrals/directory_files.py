"""Provider directories kept as files in the repository: found, read by plugins, cached, imported.

A directory file or folder lives at ``directories/<id>.json`` or ``directories/<id>/`` (``caseflow
providers import`` puts it there), or wherever ``directories.sources`` in caseflow.yaml points. The
first plugin whose ``read_provider_directory`` knows the format reads it. What it read is cached
under ``.caseflow/cache/directories/`` keyed by a hash of the files' bytes, caseflow's version and
the installed plugins, so a 5,000-service directory is parsed and validated once, then comes back
from the cache in milliseconds until a file changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import re
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from caseflow.core import layout
from caseflow.core.ids import check_directory_id
from caseflow.core.safefiles import replace_cache_file
from caseflow.errors import AlreadyExists, CaseflowError, NotFound, PluginError, StoreError
from caseflow.plugins import PluginHost
from caseflow.referrals.directory import Directory, DirectoryLoad, directory_from_json, directory_to_json

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.session import Session

FOLDER = "directories"
CACHE_DIR = layout.DIRECTORY_CACHE
#: 3: marshal (decodes twice as fast as JSON; the data is lists, strings and numbers only).
CACHE_FORMAT = 3
#: Where the sources' hashes are remembered by stat stamp (see :func:`content_key`).
STAMPS = "stamps.marshal"
NO_READER = "no installed plugin reads this directory format"
NO_READER_HINT = " (Open Referral HSDS needs the caseflow-hsds plugin; `caseflow plugins` lists what is installed)"


@dataclass(frozen=True)
class LoadedSource:
    """One directory source as read (or from the cache): its directory, or why it could not be read."""

    id: str
    path: str  # relative to the repository
    directory: Directory | None
    skipped: tuple[str, ...] = ()
    reader: str | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "reader": self.reader,
            "title": self.directory.title if self.directory else None,
            "services": len(self.directory.services) if self.directory else 0,
            "skipped": list(self.skipped),
            "error": self.error,
        }


@dataclass(frozen=True)
class ImportReport:
    id: str
    path: str
    reader: str
    services: int
    skipped: tuple[str, ...]
    commit: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "reader": self.reader,
            "services": self.services,
            "skipped": list(self.skipped),
            "commit": self.commit,
        }


def sources(root: Path, settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(id, path inside the repository) of every directory source, ``directories/`` first."""
    found: list[tuple[str, str]] = []
    folder = root / FOLDER
    if folder.is_dir() and not folder.is_symlink():
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith(".") or entry.is_symlink():
                continue
            found.append((entry.name if entry.is_dir() else entry.stem, f"{FOLDER}/{entry.name}"))
    configured = settings.get("sources") or {}
    if isinstance(configured, Mapping):
        found.extend((str(k), str(v)) for k, v in configured.items())
    return found


def load_all(root: Path, host: PluginHost, settings: Mapping[str, Any]) -> list[LoadedSource]:
    loaded: list[LoadedSource] = []
    first: dict[str, str] = {}
    for directory_id, path in sources(root, settings):
        if directory_id in first:  # two sources, one id: services would be ambiguous
            error = f"{path}: directory id '{directory_id}' is already used by {first[directory_id]}"
            loaded.append(LoadedSource(directory_id, path, None, error=error))
            continue
        first[directory_id] = path
        loaded.append(load_source(root, host, directory_id, path))
    return loaded


def load_source(root: Path, host: PluginHost, directory_id: str, rel: str) -> LoadedSource:
    """Read one source through the cache; a broken source is reported (a broken plugin raises)."""
    source = root / rel
    try:
        _inside(root, source, rel)
        key = content_key(source, host.fingerprint(), root / CACHE_DIR / STAMPS)
    except (CaseflowError, OSError) as exc:
        return LoadedSource(directory_id, rel, None, error=_reason(exc))
    cached = _read_cache(root, directory_id, key)
    if cached is not None:
        return LoadedSource(directory_id, rel, cached[0], cached[1], cached[2])
    try:
        read = host.read_provider_directory(source, directory_id)
    except CaseflowError as exc:
        return LoadedSource(directory_id, rel, None, error=_reason(exc))
    if read is None:
        return LoadedSource(directory_id, rel, None, error=f"{rel}: {_no_reader(host)}")
    reader, loaded = read
    _check_loaded(reader, loaded, directory_id)
    _write_cache(root, directory_id, key, reader, loaded)
    return LoadedSource(directory_id, rel, loaded.directory, loaded.skipped, reader)


def content_key(source: Path, salt: str, stamps: Path | None = None) -> str:
    """A hash of every file's name and bytes under ``source`` (or of the one file), and ``salt``.

    ``stamps``: a file where the hash of the bytes is remembered by the files' stat stamps (size,
    times, inode), as git's index remembers blob ids: while no file changed, nothing is read (a
    5,000-service directory is 10 MB to hash on every search otherwise).
    """
    if not source.exists():
        raise NotFound(f"{source.name}: no such file or folder")
    # (marshal's format may change with Python's version: a cache is for the Python that wrote it.)
    digest = hashlib.sha256(f"caseflow-directory-cache {CACHE_FORMAT} {sys.version}\0{salt}\0".encode())
    digest.update(_bytes_digest(source, stamps).encode())
    return digest.hexdigest()


#: A file changed this recently may change again within the clock's granularity: its stat stamp
#: says nothing yet (git's "racy" rule).
_RACY_SECONDS = 2.0


def _bytes_digest(source: Path, stamps: Path | None) -> str:
    files = list(_files(source))
    stats = [path.stat() for _, path in files]
    stamp = tuple(
        (rel, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns) for (rel, _), st in zip(files, stats, strict=True)
    )
    remembered = _remembered(stamps)
    kept = remembered.get(str(source))
    if kept is not None and kept[0] == stamp:
        return str(kept[1])
    digest = hashlib.sha256()
    for rel, path in files:
        data = path.read_bytes()
        digest.update(f"{rel}\0{len(data)}\0".encode())
        digest.update(data)
    found = digest.hexdigest()
    if stamps is not None and all(time.time() - st.st_mtime > _RACY_SECONDS for st in stats):
        remembered[str(source)] = (stamp, found)
        with contextlib.suppress(OSError):
            stamps.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            replace_cache_file(stamps, marshal.dumps(remembered))
    return found


def _remembered(stamps: Path | None) -> dict[str, Any]:
    if stamps is None:
        return {}
    try:
        found = marshal.loads(stamps.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return found if isinstance(found, dict) else {}


def _files(source: Path) -> Iterator[tuple[str, Path]]:
    if source.is_file():
        yield source.name, source
        return
    for folder, dirs, names in os.walk(source):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (Path(folder) / d).is_symlink())
        for name in sorted(names):
            path = Path(folder) / name
            if not name.startswith(".") and path.is_file() and not path.is_symlink():
                yield path.relative_to(source).as_posix(), path


def _inside(root: Path, source: Path, rel: str) -> None:
    if PurePosixPath(rel).is_absolute() or ".." in PurePosixPath(rel).parts:
        raise CaseflowError(f"{rel}: a directory source must be a path inside the repository")
    with contextlib.suppress(OSError):
        if not source.resolve().is_relative_to(root.resolve()):
            raise CaseflowError(f"{rel}: a directory source must be inside the repository (it links outside)")


def _check_loaded(reader: str, loaded: DirectoryLoad, directory_id: str) -> None:
    if loaded.directory.id != directory_id or any(s.directory != directory_id for s in loaded.directory.services):
        raise PluginError(f"plugin '{reader}' read directory '{directory_id}' but labelled it otherwise")


# -- cache -----------------------------------------------------------------------------------------


def _cache_file(root: Path, directory_id: str, key: str) -> Path:
    return root / CACHE_DIR / f"{directory_id}-{key[:32]}.marshal"


def _read_cache(root: Path, directory_id: str, key: str) -> tuple[Directory, tuple[str, ...], str] | None:
    try:
        data = marshal.loads(_cache_file(root, directory_id, key).read_bytes())
        return directory_from_json(data["directory"]), tuple(data["skipped"]), str(data["reader"])
    except (OSError, EOFError, ValueError, KeyError, TypeError, IndexError):
        return None  # missing or damaged: read the source again


def _write_cache(root: Path, directory_id: str, key: str, reader: str, loaded: DirectoryLoad) -> None:
    target = _cache_file(root, directory_id, key)
    payload = {"reader": reader, "skipped": list(loaded.skipped), "directory": directory_to_json(loaded.directory)}
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        for old in target.parent.glob(f"{directory_id}-{'[0-9a-f]' * 32}.*"):
            if old != target:
                old.unlink(missing_ok=True)
        replace_cache_file(target, marshal.dumps(payload))
    except OSError:
        pass  # a cache that cannot be written only costs time


# -- import ----------------------------------------------------------------------------------------


def import_directory(
    repo: Session, actor: Staff, path: Path, directory_id: str | None = None, replace: bool = False
) -> ImportReport:
    """Read and validate a directory, then record its files under ``directories/`` in one commit."""
    source = path.parent if path.name == "datapackage.json" else path
    if not source.exists():
        raise NotFound(f"{path}: no such file or folder")
    directory_id = check_directory_id(directory_id or _slug(source.stem if source.is_file() else source.name))
    read = repo.host.read_provider_directory(source.resolve(), directory_id)
    if read is None:
        raise CaseflowError(f"{path}: {_no_reader(repo.host)}")
    reader, loaded = read
    _check_loaded(reader, loaded, directory_id)
    if not loaded.directory.services:
        raise CaseflowError(f"{path}: no valid service to import ({len(loaded.skipped)} records skipped)")
    if source.is_dir():
        target = f"{FOLDER}/{directory_id}"
        writes = {f"{target}/{_relative(rel)}": (source / rel).read_bytes() for rel in loaded.files}
    else:
        target = f"{FOLDER}/{directory_id}{source.suffix.lower()}"
        writes = {target: source.read_bytes()}
    existing = _existing(repo.root, directory_id)
    if existing and not replace:
        raise AlreadyExists(f"directory '{directory_id}' is already imported ({existing[0]}); --replace updates it")
    services = len(loaded.directory.services)
    if set(existing) == set(writes) and all((repo.root / rel).read_bytes() == data for rel, data in writes.items()):
        return ImportReport(directory_id, target, reader, services, loaded.skipped, None)  # already up to date
    action = f"import provider directory {directory_id}"
    with repo.store.transaction(repo.author(actor), action=action, client=None) as tx:
        changed = repo.store.uncommitted([target, *existing])
        if changed:
            raise StoreError(f"{changed[0]} has changes that are not committed yet; commit or discard them first")
        tx.details["Directory"] = f"{directory_id} ({services} services, read by {reader})"
        for rel in existing:
            if rel not in writes:
                tx.remove(rel)
        for rel, data in writes.items():
            tx.write(rel, data)
    _write_cache(repo.root, directory_id, content_key(repo.root / target, repo.host.fingerprint()), reader, loaded)
    return ImportReport(directory_id, target, reader, services, loaded.skipped, tx.commit)


def _existing(root: Path, directory_id: str) -> list[str]:
    """Files already recorded for ``directory_id``, as a folder or as one file."""
    folder = root / FOLDER
    if not folder.is_dir():
        return []
    found = []
    if (folder / directory_id).is_dir():
        found = [f"{FOLDER}/{directory_id}/{rel}" for rel, _ in _files(folder / directory_id)]
    found.extend(f"{FOLDER}/{p.name}" for p in sorted(folder.glob(f"{directory_id}.*")) if p.is_file())
    return found


def _no_reader(host: PluginHost) -> str:
    readers = host.implementers("read_provider_directory")
    if not readers:
        return NO_READER + NO_READER_HINT
    return f"{NO_READER} (plugins that read directories: {', '.join(readers)})"


def _relative(rel: Path) -> str:
    posix = PurePosixPath(rel.as_posix())
    if posix.is_absolute() or ".." in posix.parts:
        raise PluginError(f"a directory reader named a file outside its source: {rel}")
    return posix.as_posix()


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "directory"


def _reason(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, CaseflowError) else f"{type(exc).__name__}: {exc}"


def directories(session: Session) -> list[Directory]:
    """Every provider directory: those plugins register, then every readable directory source."""
    registered = session.host.provider_directories(session.root, session.config.directories)
    return [*registered, *(s.directory for s in loaded_sources(session) if s.directory is not None)]


def loaded_sources(session: Session) -> list[LoadedSource]:
    """The directory files and folders (``directories/``, ``directories.sources``), read once a session."""
    return session.cached(
        "referrals.directory_sources", lambda: load_all(session.root, session.host, session.config.directories)
    )
