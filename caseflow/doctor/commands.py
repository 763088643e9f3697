"""``caseflow doctor [--fix] [--json]``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from caseflow.cli.context import Settings, colour_on, emit_json, json_option, repo_options
from caseflow.hookspecs import hookimpl

if TYPE_CHECKING:
    from caseflow.doctor.findings import Finding


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(doctor)


#: How each finding is marked, and its colour on a terminal.
_MARKS = {"fixed": ("✓", "green"), "problem": ("✗", "red"), "note": ("·", None)}


@click.command()
@click.option("--fix", is_flag=True, help="Put right what is safe to (each step said in one line).")
@json_option
@repo_options
def doctor(settings: Settings, fix: bool, as_json: bool) -> None:
    """Find what crashes and other tools left in this clone, and with --fix put it right.

    Looks for git's stale lock files (never one a live process holds), a half-staged index
    (changes someone staged by hand are reported, never touched), stray temporary files, an
    interrupted caseflow write, a merge left in the middle (`caseflow sync` finishes it), missing
    durable git settings, and who holds caseflow's writers' lock. Nothing is changed without
    --fix; what --fix removes that may hold typing is kept in .caseflow/drafts/.

    Exit 0 when the clone is healthy (or everything was put right), 1 when problems remain.
    """
    from caseflow.doctor.service import Doctor, problems_left

    clinic = Doctor.find(settings.repo_path)
    findings = clinic.repair() if fix else clinic.examine()
    left = problems_left(findings)
    if as_json:
        emit_json([f.as_json() for f in findings])
    else:
        colour = colour_on()
        kind_width = max((len(f.kind) for f in findings), default=0)
        path_width = min(40, max((len(f.path) for f in findings), default=0))
        for finding in findings:
            state = "fixed" if finding.fixed else "problem" if finding.problem else "note"
            mark, hue = _MARKS[state]
            if colour and hue:
                mark = click.style(mark, fg=hue, bold=True)
            line = f"{mark} {finding.kind:<{kind_width}}  {finding.path:<{path_width}}  {finding.detail}"
            click.echo(line, color=colour)
        click.echo(_summary(findings, len(left), fix))
    if left:
        raise SystemExit(1)


def _summary(findings: list[Finding], left: int, fixed: bool) -> str:
    repaired = sum(1 for f in findings if f.fixed)
    if not left:
        if repaired:
            return f"put right {repaired}: the clone is healthy"
        return "healthy: nothing to put right"
    fixable = sum(1 for f in findings if f.problem and not f.fixed and f.repair is not None)
    problems = f"{left} problem{'s' if left != 1 else ''}"
    if fixed:
        return f"put right {repaired}; {problems} left (see above)"
    if fixable == left:
        return f"{problems}: `caseflow doctor --fix` puts {'them' if left != 1 else 'it'} right"
    if fixable:
        return f"{problems}: `caseflow doctor --fix` puts {fixable} right; the rest are for a person (see above)"
    return f"{problems}, for a person to settle (see above)"
