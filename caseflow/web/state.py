"""What the server keeps between requests: where the repository is, the plugins it loaded, who
acts, and (while a watcher runs) the working tree's snapshot and what pages computed from it.

Each request opens the repository afresh over the one plugin host (cheap: no plugin is loaded
again), so a page always shows the settings and files as they are now, whoever changed them;
requests take turns (a lock), as commands on one clone do. The snapshot alone is kept, by
:class:`~caseflow.resident.keeper.SnapshotKeeper`, and taken again where the watcher saw a change.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from caseflow.repo import CaseRepo
from caseflow.resident.kept import KeptRepo

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.plugins import PluginHost
    from caseflow.resident.keeper import SnapshotKeeper

T = TypeVar("T")


@dataclass
class WebState:
    """The repository this server serves and the person acting in it."""

    root: Path
    host: PluginHost
    environ: Mapping[str, str]
    acting: str | None = None  #: ``--as``; else whoever caseflow resolves on this machine
    keeper: SnapshotKeeper | None = None  #: set while a watcher keeps it current
    _turn: threading.RLock = field(default_factory=threading.RLock)

    @contextlib.contextmanager
    def repo(self) -> Iterator[CaseRepo]:
        """The repository as it is now, for one request (requests take turns)."""
        from caseflow.session import open_parts

        with self._turn:
            root, config, host = open_parts(self.root, self.environ, (), self.host)
            repo = KeptRepo(root, config, host, self.environ)
            repo.keeper = self.keeper
            repo.sharing.ensure_driver()
            yield repo

    def actor(self, repo: CaseRepo) -> Staff:
        return repo.actor(self.acting)

    def memo(self, repo: CaseRepo, key: Any, build: Callable[[], T]) -> T:
        """``build()``, or what it gave last time while nothing it reads changed (a kept snapshot)."""
        if self.keeper is None:
            return build()
        repo.snapshot()  # brings the keeper up to date: a change starts a new generation
        return self.keeper.memo(key, build)

    def wrote(self, path: str) -> None:
        """A request that may have written (a POST to ``path``) has ended: tell the keeper at once,
        so the next page never waits for (or misses) the watcher's word on what changed."""
        if self.keeper is None:
            return
        parts = path.strip("/").split("/")
        if parts[0] == "clients" and len(parts) >= 2:
            self.keeper.changed(f"clients/{parts[1]}/")
        elif parts[0] == "sync":
            self.keeper.lost_track()  # settling a conflict writes files anywhere, uncommitted
        self.keeper.changed(".git/HEAD")  # the commits it made are found by comparing HEAD
