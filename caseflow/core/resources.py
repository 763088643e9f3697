"""Files caseflow ships beside its code: ``templates/`` and ``example_casefiles/``.

In an installed wheel they live inside the package (``caseflow/templates``); in a source checkout
(an editable install) they are the top-level folders of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # caseflow/, beside which the folders are shipped


def shipped_dir(name: str) -> Path:
    installed = _PACKAGE / name
    return installed if installed.is_dir() else _PACKAGE.parent / name
