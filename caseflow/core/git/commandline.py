"""The command lines of git's reads that more than one module starts: named once, so that a status
started early (:mod:`.early`) is exactly the one the listing would start (:mod:`.listing`).

Standard library only, and nothing imported: :mod:`.early` runs before the rest of caseflow loads.
"""

from __future__ import annotations


def git_with(optional_locks: bool) -> list[str]:
    """``git`` and the global options of every listing: paths as they are (never quoted), and git's
    optional locks only where ``optional_locks`` (git may then refresh and rewrite its index)."""
    return ["git", "-c", "core.quotePath=false"] + ([] if optional_locks else ["--no-optional-locks"])


def status(folder: str, whole_tree: bool) -> list[str]:
    """``git status`` of the working tree, NUL-separated (``whole_tree``: the whole tree, whose
    untracked cache serves every later status; else only under ``folder``)."""
    return [
        "-c",
        "core.untrackedCache=true",
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=normal",
        "--no-renames",
        *(() if whole_tree else ("--", folder)),
    ]


def status_v2() -> list[str]:
    """:func:`status` of the whole tree in git's second format, with HEAD's commit (``--branch``)."""
    return [
        "-c",
        "core.untrackedCache=true",
        "status",
        "--porcelain=v2",
        "--branch",
        "-z",
        "--untracked-files=normal",
        "--no-renames",
    ]
