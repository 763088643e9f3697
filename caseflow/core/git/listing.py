"""Which paths git lists: staged blob ids and the working tree's status under a folder, the files
of a commit, what is staged or unmerged, and what a commit or a range of commits changed."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import NamedTuple

from caseflow.core.git import commandline
from caseflow.core.git.config import config_value, config_values
from caseflow.core.git.runner import GitFailed, git, head, query, run_concurrently
from caseflow.core.layout import LOCAL_DIR
from caseflow.errors import StoreError

#: One entry of ``git ls-files -s -z``: mode, blob id, stage, path.
_LS_FILES_ENTRY = re.compile(r"(\d{6}) ([0-9a-f]+) \d\t([^\0]*)\0")


def listing(
    root: Path, folder: str, optional_locks: bool, whole_tree: bool = True
) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """What git knows of ``folder``: ``{path: (mode, staged blob id)}`` from ``git ls-files -s``
    and ``{path: status}`` of the files changed, untracked (``??``) or ignored (``!!``) in the
    working tree. A path with no status holds exactly its staged blob.

    ``git status`` runs on the whole tree with git's untracked cache, which a path limit would
    switch off (it is what makes status fast on thousands of client folders), and may refresh
    git's index only while no caseflow command is writing (otherwise ``--no-optional-locks``).
    Ignored files are asked for separately, and only where an ignore rule could reach ``folder``.
    ``whole_tree=False``: status of ``folder`` alone (one client's folder: faster than the whole
    tree even with the untracked cache).
    """
    if not whole_tree:
        with contextlib.suppress(StoreError):  # (no commit yet: no HEAD to list)
            return _folder_listing(root, folder, optional_locks)
    staged_out, status_out = run_concurrently(
        root, _ls_files(folder), commandline.status(folder, whole_tree), optional_locks=optional_locks
    )
    staged = _staged(staged_out)
    return staged, _changed(root, folder, status_out, inner_rules=_has_inner_rules(staged_out))


def _folder_listing(root: Path, folder: str, optional_locks: bool) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """:func:`listing` of one folder, reading git's index once: HEAD's files (``git ls-tree``, which
    reads no index) and, from ``git status --porcelain=v2``, the staged blob of every path that
    differs from HEAD. (``ls-files`` and ``status`` each read the whole index: at 10,000 clients
    that is most of what listing one client's folder costs.) Its untracked files are found by
    walking the folder, which costs less than git's search (that hashes every name in its index);
    where ignore rules apply, git then says which of them it ignores, as for any folder."""
    tree_out, status_out = run_concurrently(
        root,
        _tree_listing("HEAD", [folder]),
        ["status", "--porcelain=v2", "-z", "--untracked-files=no", "--no-renames", "--", folder],
        optional_locks=optional_locks,
    )
    staged = _tree_entries(tree_out)
    as_v1: list[str] = []  # the status as ``--porcelain=v1`` gives it, for what reads that
    for entry in status_out.split("\0"):
        kind, _, rest = entry.partition(" ")
        if kind == "1":  # 1 XY sub mH mI mW hH hI path
            xy, _, _, mode, _, _, blob, path = rest.split(" ", 7)
            _stage(staged, path, mode, blob)
        elif kind == "u":  # u XY sub m1 m2 m3 mW h1 h2 h3 path: the last stage listed wins, as ls-files
            xy, _, *modes_and_blobs, path = rest.split(" ", 9)
            m1, m2, m3, _, h1, h2, h3 = modes_and_blobs
            staged.pop(path, None)
            for mode, blob in ((m1, h1), (m2, h2), (m3, h3)):
                _stage(staged, path, mode, blob)
        else:
            continue
        as_v1.append(f"{xy.replace('.', ' ')} {path}")
    if not os.path.islink(root / folder):  # (a link is one untracked file to git, not a folder)
        as_v1.extend(f"?? {path}" for path in _files_below(root, folder) if path not in staged)
    inner_rules = any(path.endswith("/.gitignore") for path in staged)
    return staged, _changed(root, folder, "\0".join(as_v1), inner_rules=inner_rules)


def _stage(staged: dict[str, tuple[str, str]], path: str, mode: str, blob: str) -> None:
    """What git's index stages at ``path`` (an all-zero id: nothing)."""
    if blob.strip("0"):
        staged[path] = (mode, blob)
    elif mode == "000000":
        staged.pop(path, None)


def staged_under(root: Path, folders: list[str]) -> tuple[dict[str, tuple[str, str]], bool]:
    """``{path: (mode, staged blob id)}`` of the files under ``folders`` as git's index has them,
    and whether a ``.gitignore`` is among them."""
    (staged_out,) = run_concurrently(root, _ls_files(*folders))
    return _staged(staged_out), _has_inner_rules(staged_out)


def status_under(root: Path, folder: str, optional_locks: bool, inner_rules: bool) -> dict[str, str]:
    """The working tree's status of the files under ``folder`` (the second half of
    :func:`listing`), where what git's index stages there is known already. ``inner_rules``:
    a ``.gitignore`` is staged under ``folder``."""
    (status_out,) = run_concurrently(root, commandline.status(folder, whole_tree=True), optional_locks=optional_locks)
    return _changed(root, folder, status_out, inner_rules=inner_rules)


def started_status_under(root: Path, folder: str, inner_rules: bool) -> dict[str, str] | None:
    """:func:`status_under` from the status this command started as it began
    (:mod:`caseflow.core.git.early`), or None where it started none (the caller runs it now)."""
    from caseflow.core.git import early

    status_out = early.take_status(root, commandline.status(folder, whole_tree=True))
    return None if status_out is None else _changed(root, folder, status_out, inner_rules=inner_rules)


class HeadStatus(NamedTuple):
    """The working tree's status and what git's index stages otherwise than HEAD, read at once."""

    head: str  #: the commit HEAD named as git read the index ("" before the first commit)
    changed: dict[str, str]  #: as :func:`status_under` gives it
    staged_apart: list[str]  #: the paths under the folder git's index stages otherwise than HEAD (unmerged too)
    output: str = ""  #: git's own output, as it answered


def status_and_files_at(
    root: Path, folder: str, inner_rules: bool, commit: str, folders: list[str], optional_locks: bool
) -> tuple[HeadStatus, dict[str, tuple[str, str]]]:
    """The working tree's status under ``folder`` with HEAD and what git's index stages apart
    from it (one ``git status --porcelain=v2``: the index is read once), and, at the same time,
    ``{path: (mode, blob id)}`` of the files under ``folders`` as ``commit`` holds them (what git's
    index stages there, where it stages that commit). ``optional_locks``: git may refresh its index."""
    commands = [commandline.status_v2()] + ([_tree_listing(commit, folders)] if folders else [])
    status_out, *tree_out = run_concurrently(root, *commands, optional_locks=optional_locks)
    return _head_status(root, folder, status_out, inner_rules), _tree_entries("".join(tree_out))


def started_status_and_files_at(
    root: Path, folder: str, inner_rules: bool, commit: str, folders: list[str]
) -> tuple[HeadStatus, dict[str, tuple[str, str]]] | None:
    """:func:`status_and_files_at` with the status this command started as it began, after
    caseflow's own write (:mod:`caseflow.core.git.early`: the files are listed while it ends);
    None where it started none (the caller runs both now)."""
    from caseflow.core.git import early

    if not early.after_a_write(root):
        return None
    tree_out = run_concurrently(root, _tree_listing(commit, folders)) if folders else []
    status = started_head_status(root, folder, inner_rules)
    return None if status is None else (status, _tree_entries("".join(tree_out)))


def started_after_a_write(root: Path) -> bool:
    """Did this command start the status a read asks for after caseflow's own write, still to be
    taken (:func:`caseflow.core.git.early.after_a_write`)?"""
    from caseflow.core.git import early

    return early.after_a_write(root)


def started_head_status(root: Path, folder: str, inner_rules: bool) -> HeadStatus | None:
    """The :class:`HeadStatus` of the status this command started after caseflow's own write
    (:mod:`caseflow.core.git.early`), once git answers; None where it started none, or git failed."""
    from caseflow.core.git import early

    status_out = early.take_status(root, commandline.status_v2())
    return None if status_out is None else _head_status(root, folder, status_out, inner_rules)


def leave_head_status(root: Path, status: HeadStatus) -> None:
    """Leave a :class:`HeadStatus` taken from the status started as the command began to be taken
    once more (:func:`caseflow.core.git.early.leave_status`): a read made again asks for it."""
    from caseflow.core.git import early

    early.leave_status(root, commandline.status_v2(), status.output)


def _head_status(root: Path, folder: str, status_out: str, inner_rules: bool) -> HeadStatus:
    """:class:`HeadStatus` from ``git status --porcelain=v2 --branch -z``."""
    head, staged_apart, as_v1 = "", [], []
    prefix = f"{folder}/"
    for entry in status_out.split("\0"):
        kind, _, rest = entry.partition(" ")
        if kind == "#":
            if rest.startswith("branch.oid "):
                head = rest[len("branch.oid ") :].strip("()").replace("initial", "")
            continue
        if kind in ("1", "u"):  # 1 XY sub mH mI mW hH hI path; u XY sub m1 m2 m3 mW h1 h2 h3 path
            xy, _, *_, path = rest.split(" ", 7 if kind == "1" else 9)
            if path.startswith(prefix) and (kind == "u" or xy[0] != "."):
                staged_apart.append(path)
            as_v1.append(f"{xy.replace('.', ' ')} {path}")
        elif kind in ("?", "!"):
            as_v1.append(f"{kind * 2} {rest}")
    changed = _changed(root, folder, "\0".join(as_v1), inner_rules=inner_rules)
    return HeadStatus(head, changed, staged_apart, status_out)


def head_and_entries(root: Path, commit: str, folders: list[str]) -> tuple[str, dict[str, tuple[str, str]]]:
    """The commit HEAD names, and at the same time :func:`entries_at` of ``commit``."""
    head_out, tree_out = run_concurrently(root, ["rev-parse", "--verify", "-q", "HEAD"], _tree_listing(commit, folders))
    return head_out.strip(), _tree_entries(tree_out)


def rules_may_apply(root: Path) -> bool:
    """Could git's rules make a file under the clients' folder read otherwise than its bytes
    say: an ignore rule (:func:`_ignore_rules_may_reach`), an attribute that changes what git
    stores (filters, line endings: caseflow's own ``.gitattributes`` names only its merge driver),
    or git's own line-ending setting?"""
    for source in (root / ".gitattributes", root / ".git" / "info" / "attributes"):
        try:
            lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            if fields[0].startswith("[attr]"):
                return True  # (a macro may stand for any of them)
            if {f.lstrip("-!").split("=")[0] for f in fields[1:]} & _CONTENT_ATTRIBUTES:
                return True
    settings = config_values(root, "core.autocrlf", "core.excludesFile")
    if settings["core.autocrlf"] not in (None, "false"):
        return True
    return _ignore_rules_with(root, settings["core.excludesFile"])


#: The attributes under which git stores other bytes than the working tree's file holds.
_CONTENT_ATTRIBUTES = frozenset({"text", "eol", "crlf", "filter", "ident", "working-tree-encoding", "binary"})


def entries_at(root: Path, commit: str, folders: list[str]) -> dict[str, tuple[str, str]]:
    """``{path: (mode, blob id)}`` of the files under ``folders`` as ``commit`` holds them."""
    (tree_out,) = run_concurrently(root, _tree_listing(commit, folders))
    return _tree_entries(tree_out)


def _tree_listing(commit: str, folders: list[str]) -> list[str]:
    return ["ls-tree", "-r", "-z", "--full-tree", commit, "--", *folders]


def _tree_entries(tree_out: str) -> dict[str, tuple[str, str]]:
    """Every entry of ``git ls-tree -z`` output (links and submodules too): ``{path: (mode, id)}``."""
    found: dict[str, tuple[str, str]] = {}
    for entry in tree_out.split("\0"):
        info, _, path = entry.partition("\t")
        if path:
            mode, _, blob = info.split(" ")
            found[path] = (mode, blob)
    return found


def staged_since(root: Path, folder: str, since: str) -> list[str]:
    """The paths under ``folder`` whose staged entry differs from the commit ``since``: what git's
    index changed there since it matched that commit (the commits and merges made meanwhile, and
    anything staged). A StoreError if git cannot tell (``since`` is gone)."""
    return list(staged_apart(root, folder, since))


def staged_apart(root: Path, folder: str, commit: str) -> dict[str, str]:
    """``{path: staged blob id}`` of the paths under ``folder`` that git's index stages otherwise
    than ``commit`` holds them ("" where it stages none: removed). A StoreError if git cannot tell."""
    (apart_out,) = run_concurrently(
        root, ["diff-index", "--cached", "-z", "--no-renames", "--abbrev=40", commit, "--", folder]
    )
    found: dict[str, str] = {}
    fields = apart_out.split("\0")
    # Each entry: ":mode mode blob blob status" then its path.
    for header, path in zip(fields[0::2], fields[1::2], strict=False):
        parts = header.split(" ")
        if len(parts) == 5 and path:
            found[path] = "" if set(parts[3]) == {"0"} else parts[3]
    return found


def head_if_staged_as_committed(root: Path, folder: str) -> str | None:
    """The commit HEAD names, if git's index stages exactly what it holds under ``folder``
    (nothing staged there and not committed); else None."""
    commit = head(root)
    if commit is None:
        return None
    try:
        git(root, "--no-optional-locks", "diff-index", "--cached", "--quiet", commit, "--", folder, literal=True)
    except GitFailed:
        return None  # something is staged there (exit 1), or git could not tell
    return commit


def _ls_files(*folders: str) -> list[str]:
    return ["ls-files", "-s", "-z", "--", *folders]


def _staged(staged_out: str) -> dict[str, tuple[str, str]]:
    # An unmerged path lists stages 1-3: the last one wins. (One regex pass: a large caseload
    # lists hundreds of thousands of entries.)
    return {path: (mode, blob) for mode, blob, path in _LS_FILES_ENTRY.findall(staged_out)}


def _has_inner_rules(staged_out: str) -> bool:
    # (A .gitignore inside the folder is a rule too: found in git's raw listing, at C speed.)
    return "/.gitignore\0" in staged_out


def _changed(root: Path, folder: str, status_out: str, inner_rules: bool) -> dict[str, str]:
    changed: dict[str, str] = {}
    prefix = f"{folder}/"
    for entry in status_out.split("\0"):
        path = entry[3:]
        if not path.startswith(prefix):
            continue
        if path.endswith("/"):  # a folder git has never seen: every file in it is untracked
            changed.update((inner, "??") for inner in _files_below(root, path.rstrip("/")))
        else:
            changed[path] = entry[:2]
    if inner_rules or any(p.endswith("/.gitignore") for p in changed) or _ignore_rules_may_reach(root):
        (ignored_out,) = run_concurrently(
            root, ["status", "--porcelain=v1", "-z", "--ignored", "--untracked-files=all", "--no-renames", "--", folder]
        )
        changed.update((entry[3:], "!!") for entry in ignored_out.split("\0") if entry.startswith("!!"))
    return changed


def _files_below(root: Path, folder: str) -> list[str]:
    """Every file (links included, never followed) below a folder, as repository paths."""
    found: list[str] = []
    for directory, dirnames, filenames in os.walk(root / folder, followlinks=False):
        relative = Path(directory).relative_to(root).as_posix()
        found.extend(f"{relative}/{name}" for name in filenames)
        found.extend(f"{relative}/{name}" for name in dirnames if os.path.islink(os.path.join(directory, name)))
    return found


def _ignore_rules_may_reach(root: Path) -> bool:
    """Could an ignore rule outside the case folders hide a document? (Then git is asked which.)

    caseflow's own .gitignore names only ``.caseflow/``; any other rule, anywhere git reads
    rules from, might.
    """
    return _ignore_rules_with(root, config_value(root, "core.excludesFile"))


def _ignore_rules_with(root: Path, configured: str | None) -> bool:
    """:func:`_ignore_rules_may_reach`, git's ``core.excludesFile`` being ``configured``."""
    sources = [root / ".gitignore", root / ".git" / "info" / "exclude"]
    if configured:
        sources.append(Path(os.path.expanduser(configured)))
    else:
        xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
        sources.append(Path(xdg) / "git" / "ignore")
    for source in sources:
        try:
            lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        rules = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
        if source == root / ".gitignore":
            rules = [rule for rule in rules if rule.rstrip("/") != LOCAL_DIR]
        if rules:
            return True
    return False


def uncommitted(root: Path, paths: list[str]) -> list[str]:
    """Those of ``paths`` with changes not yet committed (a person's edit in progress)."""
    out = query(root, "status", "--porcelain", "-z", "--untracked-files=all", "--", *paths, literal=True)
    return [entry[3:] for entry in out.split("\0") if entry]


def staged_set(root: Path) -> frozenset[str]:
    """Every path whose staged version differs from HEAD's (renames not paired: both names).

    One read of git's index, compared with HEAD through its cached trees: a write asks it once and
    answers both "is this file's edit staged?" and "may the commit be made from the index?"."""
    out = query(root, "diff", "--cached", "--name-only", "--no-renames", "-z")
    return frozenset(path for path in out.split("\0") if path)


def staged_and_committed(root: Path, paths: list[str]) -> tuple[frozenset[str], dict[str, tuple[str, str]]]:
    """:func:`staged_set` and :func:`committed_entries` of ``paths``, the two git processes at once
    (a write asks both before anything else: the second no longer waits for the first)."""
    staged_out, committed_out = run_concurrently(
        root,
        ["diff", "--cached", "--name-only", "--no-renames", "-z"],
        ["--literal-pathspecs", "ls-tree", "-z", "HEAD", "--", *paths],
    )
    return frozenset(path for path in staged_out.split("\0") if path), _tree_files(committed_out)


def committed_entries(root: Path, paths: list[str]) -> dict[str, tuple[str, str]]:
    """``{path: (mode, blob id)}`` of those ``paths`` that are files in HEAD (``git ls-tree``: the
    commit's trees only, not git's index). A folder is left out, as is a path HEAD lacks."""
    return _tree_files(query(root, "ls-tree", "-z", "HEAD", "--", *paths, literal=True))


def _tree_files(out: str) -> dict[str, tuple[str, str]]:
    """The files of ``git ls-tree -z`` output: ``{path: (mode, blob id)}``."""
    entries = {}
    for entry in out.split("\0"):
        info, tab, path = entry.partition("\t")
        fields = info.split()
        if tab and len(fields) == 3 and fields[1] == "blob":
            entries[path] = (fields[0], fields[2])
    return entries


def tracked(root: Path, path: str) -> bool:
    """Is ``path`` in the last commit or in git's index? (False when git cannot tell: no commit yet.)"""
    try:
        return bool(git(root, "ls-files", "--with-tree=HEAD", "--", path, literal=True).strip())
    except (GitFailed, OSError):
        return False


def files_at(root: Path, rev: str, folder: str) -> list[str]:
    """The files under ``folder`` as committed at ``rev``."""
    return query(root, "ls-tree", "-r", "--name-only", rev, "--", folder, literal=True).split()


def staged_paths(root: Path) -> list[str]:
    """The paths whose staged version differs from HEAD."""
    return query(root, "diff", "--cached", "--name-only").split()


def unmerged_paths(root: Path) -> list[str]:
    """The paths a merge left in conflict (several stages in git's index), in git's order.

    (From git's index alone: ``git diff --diff-filter=U`` would also look at every file of the
    working tree, a tenth of a second at 10,000 clients.)"""
    out = query(root, "ls-files", "--unmerged", "-z")
    return list(dict.fromkeys(entry.split("\t", 1)[1] for entry in out.split("\0") if "\t" in entry))


def changes_between(root: Path, before: str, after: str) -> list[tuple[str, str]]:
    """(status letter(s), path) of each file that differs between two commits."""
    changes = []
    for line in query(root, "diff", "--name-status", before, after).splitlines():
        status, _, path = line.partition("\t")
        changes.append((status, path))
    return changes


def changes_in(root: Path, commit: str) -> list[tuple[str, str]]:
    """(path, status letter) of each file one commit changed (against nothing, for a first commit)."""
    out = query(root, "diff-tree", "--no-commit-id", "--name-status", "-r", "-z", "--root", commit)
    fields = [f for f in out.split("\0") if f]
    return list(zip(fields[1::2], fields[0::2], strict=True))
