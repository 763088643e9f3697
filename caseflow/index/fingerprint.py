"""What stored results depend on besides the documents: caseflow's and the plugins' code and
settings, the forms and caseflow.yaml (:func:`fingerprint`). Results made under another
fingerprint are dropped by the index (:meth:`caseflow.index.database.CaseIndex.bind`)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from types import ModuleType
from typing import TYPE_CHECKING

from caseflow.core.config import CONFIG_FILE
from caseflow.core.textpolicy import read_document_bytes
from caseflow.index.database import FORMAT_VERSION, POLICY_VERSION

if TYPE_CHECKING:
    from caseflow.session import Session


def fingerprint_of(repo: Session) -> str:
    """:func:`fingerprint`, carried by a long-running process from one request to the next: it is
    dropped with everything carried when the settings or the forms change; the code it names is
    the code such a process runs, loaded once (a source edited since runs only in a new process,
    and ``caseflow daemon`` stops when caseflow or a plugin changes)."""
    found = repo.carried(_FINGERPRINT)
    if not isinstance(found, str):
        found = fingerprint(repo)
        repo.carry(_FINGERPRINT, found)
    return found


_FINGERPRINT = "index-fingerprint"


def fingerprint(repo: Session) -> str:
    """Everything besides the documents that stored results depend on.

    caseflow's and the plugins' versions and hooks, the source files of every loaded module of
    the packages plugins come from (a plugin under development changes without a new version,
    and its rules may live in a helper module), how a plugin object was configured, the forms,
    and caseflow.yaml.
    """
    h = hashlib.sha1(usedforsecurity=False)
    h.update(f"{FORMAT_VERSION}:{POLICY_VERSION}:{repo.host.fingerprint()}\n".encode())
    packages: set[str] = set()
    for name, plugin in sorted(repo.host.pm.list_name_plugin(), key=lambda item: item[0]):
        hooks = sorted(caller.name for caller in repo.host.pm.get_hookcallers(plugin) or ())
        h.update(f"{name}:{_configuration(plugin)}:{','.join(hooks)}\n".encode())
        module = plugin if isinstance(plugin, ModuleType) else sys.modules.get(type(plugin).__module__)
        if module is not None:
            packages.add(module.__name__.partition(".")[0])
    for package in sorted(packages):
        h.update(_sources(package).encode())
    for form_id, form in sorted(repo.forms.items()):
        h.update(f"{form_id}:{form.path}:{json.dumps(form.schema, sort_keys=True, default=str)}\n".encode())
    h.update(read_document_bytes(repo.root, CONFIG_FILE))
    return h.hexdigest()


def _configuration(plugin: object) -> str:
    """A plugin object's class and settings (its attributes); a module is named by its file."""
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    settings = getattr(plugin, "__dict__", {})
    return f"{type(plugin).__module__}.{type(plugin).__qualname__}:" + json.dumps(
        settings, sort_keys=True, default=repr
    )


#: Each package's sources as this process first listed them (:func:`_sources`), by where it lives.
_SOURCES_LISTED: dict[tuple[str, ...], str] = {}


def _sources(package: str) -> str:
    """Every source file of a package (found on disk, not as imported: commands import different
    modules, and must agree) with its size and time of change.

    Listed once per process: the code a process runs is the code it loaded when it started, so a
    source edited since names code it does not run (as :func:`fingerprint_of` carries the whole
    fingerprint in a long-running one). A command lists them once anyway; a test session runs
    thousands of commands in one process, and each walked every source file of caseflow and of
    the test modules its plugins come from again."""
    top = sys.modules.get(package)
    folders = list(getattr(top, "__path__", []))
    key = (package, str(getattr(top, "__file__", None)), *folders)
    found = _SOURCES_LISTED.get(key)
    if found is None:
        found = _SOURCES_LISTED[key] = _listed_sources(top, folders)
    return found


def _listed_sources(top: ModuleType | None, folders: list[str]) -> str:
    files = [getattr(top, "__file__", None)] if not folders else []
    for folder in folders:
        for directory, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
            files.extend(os.path.join(directory, name) for name in sorted(filenames) if name.endswith(".py"))
    stamps = []
    for source in files:
        try:
            st = os.stat(source) if source else None
        except OSError:
            continue
        if st is not None:
            stamps.append(f"{source}:{st.st_mtime_ns}:{st.st_size}")
    return "\n".join(stamps) + "\n"
