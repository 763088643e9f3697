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
    from caseflow.cli import main as run_here

    run_here()
