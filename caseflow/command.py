"""The ``caseflow`` command as installed: a resident index answers a read when one runs for the
repository (:mod:`caseflow.resident.client`, which imports nothing else of caseflow's); otherwise,
and for everything else, the command line runs here (:func:`caseflow.cli.main`)."""

from __future__ import annotations

import sys


def main() -> None:
    from caseflow import __version__
    from caseflow.resident.client import answer

    code = answer(sys.argv[1:], __version__)
    if code is not None:
        sys.exit(code)
    start_early(sys.argv[1:])
    from caseflow.cli import main as run_here

    try:
        run_here()
    except SystemExit as done:
        leave(done.code)
    leave(0)


def start_early(argv: list[str]) -> None:
    """For a read of the whole caseload (the command lines a resident index would answer), start
    git's status of the working tree now, while the rest of caseflow loads
    (:mod:`caseflow.core.git.early`)."""
    import os

    from caseflow.resident import wire

    shape = wire.servable(argv)
    if isinstance(shape, str):
        return
    try:
        root = wire.find_repository(shape.repo, os.environ, os.getcwd())
    except OSError:  # (the working folder is gone: the command says so itself)
        return
    if root is not None:
        from caseflow.core.git import early

        early.start_status(root)


def leave(code: object) -> None:
    """End the process as ``sys.exit(code)`` would, without taking the interpreter down object by
    object: what ``atexit`` was asked to do is done and the output flushed, and then the process
    ends. (At 10,000 clients a command holds a few hundred thousand objects, and freeing them one by
    one costs 20-40 ms after the answer is written; the system takes the memory back at once.)

    Only where no other thread runs, which Python would wait for; else as Python ends."""
    import os
    import threading

    if threading.active_count() > 1:
        raise SystemExit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # (as Python says a message given to sys.exit)
        print(code, file=sys.stderr)
        status = 1
    import atexit

    atexit._run_exitfuncs()  # (multiprocessing's pools, temporary folders, logging: as at any exit)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:  # the reader went (`caseflow due --all | head`): nothing more to say
            status = status or 1
        except (OSError, ValueError):
            status = status or 120  # (as Python ends when it cannot flush its output)
    os._exit(status)
