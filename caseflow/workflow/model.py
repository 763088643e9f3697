"""Workflow specs: stages, the transitions between them, and requirements as data.

A requirement names a check (registered through ``register_checks()``) and gives it parameters:
``Requirement("approved", {"form": "core.plan"})``. Checks look at a read-only view of one
client's case and answer in plain words what is missing; the engine never hard-codes a rule.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caseflow.core.case import CaseView


@dataclass(frozen=True)
class Requirement:
    """One condition, as data: the check's id and its parameters (``label`` overrides its words).

    ``when`` makes it apply only to some cases: ``{"form": "core.discharge", "field": "reason",
    "in": ["completed"]}`` applies when the client's discharge document gives one of those reasons
    (a discharge closes a case for different reasons, each with its own requirements)."""

    check: str
    params: Mapping[str, Any] = field(default_factory=dict)
    label: str | None = None
    when: Mapping[str, Any] | None = None

    def applies(self, case: CaseView) -> bool:
        """Whether this requirement holds for ``case`` at all (always, without ``when``)."""
        if self.when is None:
            return True
        values = {str(d.data.get(str(self.when.get("field")))) for d in case.current(str(self.when.get("form")))}
        return bool(values & {str(v) for v in self.when.get("in") or ()})

    def condition(self) -> str | None:
        """``when`` in words, for listings: "if reason is completed or goals-met"."""
        if self.when is None:
            return None
        return f"if {self.when.get('field')} is {' or '.join(str(v) for v in self.when.get('in') or ())}"


#: The types a check parameter may take, and how the reference names each.
PARAMETER_TYPES: Mapping[type, str] = {str: "text", int: "whole number", bool: "true or false", list: "list of text"}


@dataclass(frozen=True)
class CheckParameter:
    """One parameter a check takes, declared so that a requirement giving it can be checked when
    its workflow loads, and so that the reference (docs/reference/checks.md) lists it from the code:
    ``CheckParameter("days", int, "how recent, in days before today", default="30")``.

    ``type`` is one of ``str``, ``int``, ``bool`` or ``list`` (a list of text). ``default`` says in
    words what holds when the parameter is left out (empty: nothing). ``identifies`` marks a
    parameter that says *what* a requirement is about (a form, the instruments) rather than how
    strict it is: two workflow extensions that add the same check to the same stage with the same
    identifying values set the same requirement, which is a conflict (see :class:`WorkflowExtension`).
    """

    name: str
    type: type
    meaning: str
    default: str = ""
    required: bool = False
    identifies: bool = False

    def __post_init__(self) -> None:
        if self.type not in PARAMETER_TYPES:
            raise ValueError(f"parameter '{self.name}' has type {self.type!r}: use one of str, int, bool, list")

    @property
    def type_name(self) -> str:
        """The type in words: "whole number", "list of text"."""
        return PARAMETER_TYPES[self.type]

    def problem(self, value: Any) -> str | None:
        """Why ``value`` does not fit this parameter (None: it fits)."""
        fits = isinstance(value, self.type) and not (self.type is int and isinstance(value, bool))
        if self.type is list and fits:
            fits = all(isinstance(item, str) for item in value)
        return None if fits else f"parameter '{self.name}' takes {_a(self.type_name)}, not {value!r}"


def _a(words: str) -> str:
    return words if words.startswith(("true", "list")) else f"a {words}"


@dataclass(frozen=True)
class Check:
    """A named test of a case. ``evaluate`` returns what is missing, in plain words ([] = met);
    ``describe`` says what the requirement asks for, for listings.

    ``parameters`` declares what a requirement may give it (name, type, meaning, default): a
    requirement that leaves out a required one, gives one of the wrong type or gives one the check
    does not declare is refused when its workflow loads. A check that declares none takes whatever
    it is given (``needs`` still names the ones it must have)."""

    id: str
    describe: Callable[[Mapping[str, Any]], str]
    evaluate: Callable[[CaseView, Mapping[str, Any]], list[str]]
    #: Parameters a requirement naming this check must give (the required ``parameters`` are added).
    needs: tuple[str, ...] = ()
    parameters: tuple[CheckParameter, ...] = ()
    #: What the check tests, in a sentence or two, for the reference page.
    doc: str = ""

    def __post_init__(self) -> None:
        required = tuple(p.name for p in self.parameters if p.required)
        object.__setattr__(self, "needs", tuple(dict.fromkeys((*self.needs, *required))))

    def parameter(self, name: str) -> CheckParameter | None:
        """The declared parameter ``name`` (None: not declared)."""
        return next((p for p in self.parameters if p.name == name), None)

    def problems(self, params: Mapping[str, Any]) -> list[str]:
        """What is wrong with the parameters a requirement gives this check (unknown ones only
        when the check declares its parameters)."""
        return [message for _, message in self.parameter_problems(params)]

    def parameter_problems(self, params: Mapping[str, Any]) -> list[tuple[str | None, str]]:
        """:meth:`problems`, each with the parameter it is about (None: a missing one)."""
        found: list[tuple[str | None, str]] = [
            (None, f"requirement '{self.id}' needs the parameter '{name}'") for name in self.needs if name not in params
        ]
        for name, value in params.items():
            declared = self.parameter(name)
            if declared is None and self.parameters:
                known = ", ".join(p.name for p in self.parameters)
                found.append((name, f"check '{self.id}' has no parameter '{name}' (it takes {known})"))
            elif declared is not None and (why := declared.problem(value)) is not None:
                found.append((name, f"check '{self.id}': {why}"))
        return found

    def identity(self, params: Mapping[str, Any]) -> str:
        """The check with its identifying parameters, ``document_exists{form=core.plan}``: what makes
        two requirements the same requirement."""
        shown = [f"{p.name}={_plain(params[p.name])}" for p in self.parameters if p.identifies and p.name in params]
        return f"{self.id}{{{','.join(shown)}}}" if shown else self.id


def _plain(value: Any) -> str:
    return "[" + ",".join(map(str, value)) + "]" if isinstance(value, list | tuple) else str(value)


@dataclass(frozen=True)
class Stage:
    """A stage of a case; ``exit_requirements`` must hold to leave it (on any transition)."""

    id: str
    title: str
    exit_requirements: tuple[Requirement, ...] = ()
    #: Forms whose document is created from its skeleton on entering the stage, if missing.
    on_enter_create: tuple[str, ...] = ()
    final: bool = False


@dataclass(frozen=True)
class Transition:
    """An allowed move; ``requirements`` are checked in addition to the source's exit requirements,
    unless ``exit_requirements`` is False: a case closed early (discharged from intake) leaves
    without what moving on would need."""

    source: str
    target: str
    requirements: tuple[Requirement, ...] = ()
    reason_required: bool = False
    exit_requirements: bool = True


@dataclass(frozen=True)
class Workflow:
    """A whole workflow: stages in order, the transitions between them, and monitoring rules.

    ``monitoring`` is read by later parts (the due list): contact cadence in days by risk level,
    rescreen intervals by instrument, the plan review interval.
    """

    id: str
    title: str
    stages: tuple[Stage, ...]
    transitions: tuple[Transition, ...]
    monitoring: Mapping[str, Any] = field(default_factory=dict)

    @property
    def initial(self) -> str:
        return self.stages[0].id

    def stage(self, stage_id: str) -> Stage | None:
        return next((s for s in self.stages if s.id == stage_id), None)

    def transitions_from(self, stage_id: str) -> list[Transition]:
        return [t for t in self.transitions if t.source == stage_id]

    def requirements(self, transition: Transition) -> tuple[Requirement, ...]:
        stage = self.stage(transition.source)
        leaving = stage.exit_requirements if stage and transition.exit_requirements else ()
        return leaving + transition.requirements


@dataclass(frozen=True)
class WorkflowExtension:
    """What an agency plugin adds to someone else's workflow: stages, transitions, requirements, monitoring.

    Several plugins' extensions combine in a documented order (tryfirst/trylast of the
    ``register_workflows`` implementation, then plugin name) and a conflict (two plugins setting
    the same key to different values) goes to the first: see :mod:`caseflow.workflow.combining`."""

    workflow: str
    stages: tuple[Stage, ...] = ()
    transitions: tuple[Transition, ...] = ()
    #: extra exit requirements by stage id
    exit_requirements: Mapping[str, tuple[Requirement, ...]] = field(default_factory=dict)
    #: monitoring settings that replace the workflow's own, key by key (e.g. contact_days_by_risk)
    monitoring: Mapping[str, Any] = field(default_factory=dict)

    def apply(self, base: Workflow) -> Workflow:
        stages = [
            Stage(
                s.id,
                s.title,
                s.exit_requirements + tuple(self.exit_requirements.get(s.id, ())),
                s.on_enter_create,
                s.final,
            )
            for s in base.stages
        ]
        return Workflow(
            base.id,
            base.title,
            (*stages, *self.stages),
            (*base.transitions, *self.transitions),
            _merged(base.monitoring, self.monitoring),
        )


def _merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` over ``base``, a table at a time: {"contact_days_by_risk": {"low": 14}} changes
    only the low-risk cadence and keeps the others."""
    merged = dict(base)
    for key, value in changes.items():
        old = merged.get(key)
        merged[key] = {**old, **value} if isinstance(old, Mapping) and isinstance(value, Mapping) else value
    return merged


def workflow_problems(
    workflow: Workflow, checks: Mapping[str, Check], forms: Collection[str] | None = None
) -> list[str]:
    """Why a workflow cannot be used: unknown checks, forms or stages, unreachable stages, dead ends."""
    problems: list[str] = []
    ids = [s.id for s in workflow.stages]
    if not ids:
        return [f"workflow '{workflow.id}' has no stages"]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    problems.extend(f"stage '{d}' is defined twice" for d in duplicates)
    for transition in workflow.transitions:
        for end in (transition.source, transition.target):
            if end not in ids:
                problems.append(f"a transition {transition.source} -> {transition.target} names unknown stage '{end}'")
    for requirement in _all_requirements(workflow):
        check = checks.get(requirement.check)
        if check is None:
            problems.append(f"requirement names unknown check '{requirement.check}'")
            continue
        problems.extend(check.problems(requirement.params))
        form = requirement.params.get("form")
        if forms is not None and isinstance(form, str) and form not in forms:
            problems.append(f"requirement '{check.id}' names unknown form '{form}'")
    for stage in workflow.stages:
        for form in stage.on_enter_create:
            if forms is not None and form not in forms:
                problems.append(f"stage '{stage.id}' creates unknown form '{form}' on entry")
    if problems:
        return problems
    reachable = _reachable(workflow, [workflow.initial])
    problems.extend(f"stage '{s}' cannot be reached from '{workflow.initial}'" for s in ids if s not in reachable)
    finals = [s.id for s in workflow.stages if s.final]
    if not finals:
        problems.append("no stage is marked final (where a case ends)")
    else:
        stuck = [s for s in ids if not set(finals) & _reachable(workflow, [s])]
        if stuck:
            problems.append(f"stages {', '.join(stuck)} form a cycle with no way out to a final stage")
    return problems


def _reachable(workflow: Workflow, start: Sequence[str]) -> set[str]:
    seen = set(start)
    frontier = list(start)
    while frontier:
        here = frontier.pop()
        for transition in workflow.transitions_from(here):
            if transition.target not in seen:
                seen.add(transition.target)
                frontier.append(transition.target)
    return seen


def _all_requirements(workflow: Workflow) -> list[Requirement]:
    found = [r for s in workflow.stages for r in s.exit_requirements]
    return found + [r for t in workflow.transitions for r in t.requirements]
