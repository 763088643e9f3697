"""The default client id: ``C-`` and six random Crockford base32 characters."""

from __future__ import annotations

from collections.abc import Callable

from caseflow import hookimpl, random_client_id

_ATTEMPTS = 100


@hookimpl(trylast=True)
def new_client_id(taken: Callable[[str], bool]) -> str:
    for _ in range(_ATTEMPTS):
        candidate = random_client_id()
        if not taken(candidate):
            return candidate
    # 2^30 ids: a hundred collisions in a row means the random source is broken, not bad luck.
    raise RuntimeError("could not find an unused client id after 100 tries")
