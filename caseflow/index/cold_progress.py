"""Progress on a terminal while a read indexes thousands of documents that no command is watching.

``caseflow index`` and ``caseflow validate`` draw their own progress bar. Any other read that
finds the index cold (the first ``caseflow clients`` or ``due`` on a new clone, say) parses every
document first, which takes a minute at an agency's scale: without a word it would look hung. So
the indexing says how far it is on stderr, when stderr is a terminal; output to a pipe or a file
stays clean, and so does the terminal once it is done (the line is cleared).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

#: Fewer documents than this index in a few seconds: no progress line.
MIN_DOCUMENTS = 2000
#: Redraw at most this often (seconds).
REDRAW_EVERY = 0.2


def terminal_progress(
    label: str, total: int, stream: TextIO | None = None, minimum: int = MIN_DOCUMENTS
) -> Callable[[int, int], None] | None:
    """``progress(done, total)`` drawing ``label: done of total documents`` on ``stream`` (stderr),
    or None when it is not a terminal or the work is small; ``progress(-1, total)`` clears it."""
    out = sys.stderr if stream is None else stream
    if total < minimum or not out.isatty():
        return None
    started = time.monotonic()
    drawn = 0.0

    def update(done: int, of: int) -> None:
        nonlocal drawn
        if done < 0:
            out.write("\r\033[K")
            out.flush()
            return
        now = time.monotonic()
        if done < of and now - drawn < REDRAW_EVERY:
            return
        drawn = now
        share = done / of if of else 1.0
        left = (now - started) * (1 - share) / share if share > 0 else 0.0
        out.write(f"\r\033[K{label}: {done:,} of {of:,} documents ({share:.0%}, about {left:.0f} s left)")
        out.flush()

    return update
