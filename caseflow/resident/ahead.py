"""Which questions a resident index answers again, into nothing, after a change: the latest few
different ones, once the repository is quiet, so that the next command finds its answer made
(see :mod:`caseflow.resident.server`)."""

from __future__ import annotations

import contextlib
import os
import threading
import time

from caseflow.resident import wire

#: How many of the latest different questions are answered again ahead of being asked.
AHEAD_QUESTIONS = 4
#: How long the repository must go without a change before they are (the steps of one save or
#: one commit by hand: a caseflow write holds the writers' lock throughout, and is waited for).
AHEAD_QUIET_SECONDS = 0.01
#: How long the rest wait, once the latest is answered ahead, for a question asked for real: a
#: command run right after a write starts and asks within this (at 10,000 clients it waited behind
#: three answers nobody had asked for yet: +0.12 s).
AHEAD_PAUSE_SECONDS = 0.2


class AnsweredAhead:
    """The latest different questions, and which are still to be answered again since the last change.

    ``noticed`` and ``wake`` are called from the watcher's thread; the rest from the thread that
    answers. A question asked for real meanwhile is answered first; the rest follow, unless the
    repository changed again (then all of them, once it settles)."""

    def __init__(self, most: int = AHEAD_QUESTIONS) -> None:
        self._most = most
        self._questions: dict[str, wire.Question] = {}  # the oldest first
        self._left: list[wire.Question] = []  # to answer again, the next one first
        self._lock = threading.Lock()
        self._changed_at: float | None = None
        self.answered = 0
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)

    @property
    def wakes(self) -> int:
        """A descriptor that becomes readable when something changed (for ``select``)."""
        return self._wake_read

    def asked(self, question: wire.Question) -> None:
        """A question was answered for real: the latest one now (and made: not left to do)."""
        key = _key(question)
        self._questions.pop(key, None)
        self._questions[key] = question
        while len(self._questions) > self._most:
            del self._questions[next(iter(self._questions))]
        self._left = [q for q in self._left if _key(q) != key]

    def forget(self, question: wire.Question) -> None:
        self._questions.pop(_key(question), None)

    def noticed(self) -> None:
        with self._lock:
            first = self._changed_at is None
            self._changed_at = time.monotonic()
        if first:
            self.wake()

    def wake(self) -> None:
        """Make the answering loop look again (called from the watcher's thread)."""
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_write, b"!")

    def drained(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.read(self._wake_read, 4096)

    def wait(self) -> float | None:
        """How long until there is something to answer ahead (0: now); None if nothing waits."""
        with self._lock:
            if self._changed_at is not None and self._questions:
                return max(0.0, self._changed_at + AHEAD_QUIET_SECONDS - time.monotonic())
        return 0.0 if self._left else None

    def next(self) -> wire.Question | None:
        """The next question to answer again (after a change: all of them again, the latest first)."""
        with self._lock:
            if self._changed_at is not None:
                self._changed_at = None
                self._left = list(reversed(self._questions.values()))
        return self._left.pop(0) if self._left else None

    def pending(self) -> bool:
        """Something changed since the round under way began."""
        with self._lock:
            return self._changed_at is not None

    def close(self) -> None:
        for fd in (self._wake_read, self._wake_write):
            with contextlib.suppress(OSError):
                os.close(fd)


def _key(question: wire.Question) -> str:
    return question.encode().decode()
