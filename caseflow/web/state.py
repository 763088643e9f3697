"""What the server keeps between requests: where the repository is, the plugins it loaded, who acts.

Each request opens the repository afresh over the one plugin host (cheap: no plugin is loaded
again), so a page always shows the files as they are now, whoever changed them; requests take
turns (a lock), as commands on one clone do.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.plugins import PluginHost
    from caseflow.repo import CaseRepo


@dataclass
class WebState:
    """The repository this server serves and the person acting in it."""

    root: Path
    host: PluginHost
    environ: Mapping[str, str]
    acting: str | None = None  #: ``--as``; else whoever caseflow resolves on this machine
    _turn: threading.RLock = field(default_factory=threading.RLock)

    @contextlib.contextmanager
    def repo(self) -> Iterator[CaseRepo]:
        """The repository as it is now, for one request (requests take turns)."""
        from caseflow.repo import open_repo

        with self._turn:
            repo = open_repo(self.root, environ=self.environ, host=self.host)
            repo.sharing.ensure_driver()
            yield repo

    def actor(self, repo: CaseRepo) -> Staff:
        return repo.actor(self.acting)
