"""``python -m caseflow`` is the ``caseflow`` command."""

from caseflow.command import main

main()
