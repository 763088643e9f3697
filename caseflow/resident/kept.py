"""A repository opened over a kept snapshot: what ``caseflow serve`` and ``caseflow daemon`` open
for each request, so that only what a watcher saw change is taken again."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from caseflow.repo import CaseRepo

if TYPE_CHECKING:
    from caseflow.index.snapshot import Snapshot
    from caseflow.resident.keeper import SnapshotKeeper

T = TypeVar("T")


class KeptRepo(CaseRepo):
    """The repository for one request, its snapshot from the keeper (when one runs)."""

    keeper: SnapshotKeeper | None = None

    def snapshot(self, progress: Callable[[int, int], None] | None = None) -> Snapshot:
        if self.keeper is None:
            return super().snapshot(progress)
        snapshot = self.keeper.snapshot(self, lambda: CaseRepo.snapshot(self, progress))
        # (the answers are of the commit the keeper saw: git is not asked again)
        self._head_seen, self._head_seen_at = self.keeper.head, self.store.generation
        return snapshot

    def kept(self, key: str, build: Callable[[], T]) -> T:
        if self.keeper is None:
            return build()
        self.snapshot()  # brings the keeper up to date: a change starts a new generation
        # (this session's own writes are in the key: a result is never kept across one)
        return self.keeper.memo(("kept", key, self.store.generation), build)

    @property
    def carries(self) -> bool:  # type: ignore[override]
        return self.keeper is not None

    def carried(self, key: str) -> Any | None:
        return self.keeper.carried.get(key) if self.keeper is not None else None

    def carry(self, key: str, value: Any) -> None:
        if self.keeper is not None:
            self.keeper.carried[key] = value

    def cached(self, key: str, build: Callable[[], T]) -> T:
        # What the history proves (the ledger) changes only when commits move or the settings
        # change, and either starts a new generation of the keeper: keep it across requests.
        # (Its key names this session's writes, so one made in this request is never hidden.)
        # Once found, it is this session's for the rest of the request: a caseload's checks ask for
        # it once per client, and bringing the keeper up to date each time cost more than they did.
        keeper = self.keeper
        if keeper is not None and key.startswith("ledger@"):

            def across_requests() -> T:
                self.snapshot()
                return keeper.memo(("session", key), build)

            return super().cached(key, across_requests)
        return super().cached(key, build)
