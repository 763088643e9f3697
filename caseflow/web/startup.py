"""What ``caseflow serve`` does in the background while the server starts.

The first page a person sees (Today) is computed before they ask for it, while uvicorn and the
app load; then the watcher starts and the snapshot it keeps is confirmed against what the first
page read (nothing changed meanwhile) or taken again.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caseflow.web.state import WebState


def keep_snapshot(state: WebState) -> None:
    """Keep the working tree's snapshot between requests, taken again where a watcher sees change.

    In the background, while the server starts: compute the acting person's first page, then
    start the watcher (a watch per folder takes seconds at scale, so after the first page rather
    than competing with it) and confirm that nothing changed meanwhile. Where no watcher can run
    (no inotify), the keeper is dropped and every request reads afresh, like a command.
    """
    from caseflow.repo import CaseRepo
    from caseflow.resident.keeper import SnapshotKeeper
    from caseflow.watch.settler import observe_repository

    keeper = state.keeper = SnapshotKeeper()

    def start() -> None:
        warm_up(state)
        if observe_repository(state.root, keeper.changed) is None:
            state.keeper = None  # (assigning is atomic: a request reads one or the other)
            return
        with contextlib.suppress(Exception), state.repo() as repo:  # a failure shows on the next page
            keeper.confirm(repo, lambda: CaseRepo.snapshot(repo))

    threading.Thread(target=start, name="caseflow-keeper-start", daemon=True).start()


def warm_up(state: WebState) -> None:
    """What the first page (Today) needs, computed before anyone asks; it waits for this."""
    from caseflow.web.pages.today import due_in_order, whose

    # Anything that goes wrong here goes wrong again on the page, which says so.
    with contextlib.suppress(Exception), state.repo() as repo:
        due_in_order(state, repo, whose(state.actor(repo)))
