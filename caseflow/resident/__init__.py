"""The resident index: a long-running process (``caseflow daemon``) that keeps one repository's
snapshot and per-client results hot, so read commands answer in a fraction of their own time.

- :mod:`.wire`: what travels over the socket, and which command lines a resident index may answer
  (standard library only: the ``caseflow`` command reads it before importing anything else);
- :mod:`.client`: the command's side: ask the resident index, or say why not and compute;
- :mod:`.watching`: what changed since the last answer (watchdog, with a cookie to be sure every
  change made before a question is seen before it is answered);
- :mod:`.server`: the daemon's side: runs the very same command in its own process;
- :mod:`.commands`: ``caseflow daemon start|run|stop|status``.

A resident index is only ever a faster way to the same answer: whatever is wrong with it (not
running, another version, another user's socket, slow, gone mid-way) the command computes its own.
"""
