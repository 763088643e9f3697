"""``Doctor``: every check, in the order repairs must happen, reported or put right."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from caseflow.core import journal, writelock
from caseflow.core.config import find_root
from caseflow.core.git import health
from caseflow.core.git.runner import GitFailed, require_repository
from caseflow.doctor import gitstate, leftovers
from caseflow.doctor.findings import Finding, Scene
from caseflow.errors import CaseflowError

#: The checks, in the order their repairs must run: the interrupted write first (healing it puts
#: its own files, index, locks and temporary files right), then git's locks (every later repair
#: that touches the index needs them gone), then the index, the temporary files, the queue and the
#: settings; last, what only a person can finish.
CHECKS: tuple[Callable[[Scene], list[Finding]], ...] = (
    leftovers.write_lock,
    leftovers.interrupted_write,
    gitstate.git_locks,
    gitstate.index,
    leftovers.temp_files,
    leftovers.lock_queue,
    gitstate.durability,
    gitstate.git_operation,
)


class Doctor:
    """What crashes and other tools left in one clone (see :mod:`caseflow.doctor`)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    @classmethod
    def find(cls, path: str | Path | None = None) -> Doctor:
        """The clone at ``path``, else as ``--repo``, ``$CASEFLOW_REPO`` or the folders up say;
        found, never opened (opening one heals by itself, which a report must not do)."""
        return cls(find_root(path))

    def examine(self) -> list[Finding]:
        """Everything found; nothing is changed."""
        return self._run(fixing=False)

    def repair(self) -> list[Finding]:
        """Everything found, each problem put right where that is safe, holding the writers' lock
        (a caseflow command writing now is waited for). A finding's ``detail`` then says what was
        done, or why it could not be."""
        with writelock.write_lock(self.root, command="caseflow doctor"):
            return self._run(fixing=True)

    def _run(self, *, fixing: bool) -> list[Finding]:
        require_repository(self.root)
        try:
            git_dir, common = health.folders(self.root)
        except GitFailed as exc:
            raise CaseflowError(f"git cannot read this repository ({exc.reason})") from None
        findings: list[Finding] = []
        for check in CHECKS:
            intent = journal.pending(self.root)  # asked again after each repair: healing removes it
            scene = Scene(self.root, git_dir, common, fixing, frozenset(intent.paths if intent else ()))
            found = check(scene)
            if fixing:
                for finding in found:
                    _apply(finding)
            findings.extend(found)
        return findings


def _apply(finding: Finding) -> None:
    if finding.repair is None or not finding.problem:
        return
    try:
        finding.detail = finding.repair()
        finding.fixed = True
    except CaseflowError as exc:
        finding.detail = f"not put right: {exc}"
    except GitFailed as exc:
        finding.detail = f"not put right: git refused ({exc.reason})"
    except OSError as exc:
        finding.detail = f"not put right: {exc.strerror or exc}"


def problems_left(findings: list[Finding]) -> list[Finding]:
    """The problems not put right (``doctor`` exits 1 while there are any)."""
    return [f for f in findings if f.problem and not f.fixed]
