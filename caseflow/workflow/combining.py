"""Several plugins extending one workflow: the order their extensions combine in, and conflicts.

Extensions combine in a fixed, documented order, whatever order the plugins were installed or
registered in:

1. by the ``register_workflows`` hook implementation's pluggy marker: ``tryfirst=True`` first,
   then unmarked ones, then ``trylast=True``;
2. then by plugin name (the entry-point name, ``riverbend``), alphabetically;
3. a plugin's own extensions in the order it returns them.

Stages, transitions and requirements add up. Where two plugins set the *same thing* with
different values, that is a conflict, and the plugin that comes first in this order wins (as
pluggy's own ``firstresult`` hooks let the first answer stand):

- a ``monitoring`` setting, key by key inside a table (``contact_days_by_risk.high``; one plugin
  setting ``high`` and another ``low`` do not conflict);
- a stage requirement: the same check on the same stage with the same identifying parameters
  (:attr:`caseflow.CheckParameter.identifies`: ``document_exists{form=...}``,
  ``screened_within{instruments=[...]}``) and the same ``when``; the winner's parameters stand and
  the loser's requirement is left out;
- a stage or a transition (``source -> target``) that two plugins both add.

Two plugins setting the same thing to the same value agree: nothing to report. The agency's own
``rules:`` in caseflow.yaml apply after every plugin, over all of them. ``caseflow plugins --check``
lists every conflict (which plugins, which key, who wins) and exits 1 when there is one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from caseflow.workflow.model import Check, Requirement, Stage, Transition, Workflow, WorkflowExtension

#: The rank of a hook implementation's pluggy marker in the order extensions combine in.
TRYFIRST, PLAIN, TRYLAST = 0, 1, 2
RANK_WORDS = {TRYFIRST: "tryfirst", PLAIN: "", TRYLAST: "trylast"}


@dataclass(frozen=True)
class Contribution:
    """One workflow extension, with the plugin it came from and the rank of that plugin's hook."""

    plugin: str
    extension: WorkflowExtension
    rank: int = PLAIN

    @property
    def order(self) -> tuple[int, str]:
        """Where it stands in the order extensions combine in (sort by it; sorting is stable)."""
        return self.rank, self.plugin


@dataclass(frozen=True)
class Conflict:
    """Two or more plugins setting the same thing of a workflow to different values.

    ``plugins`` lists every plugin that set ``key``, in the order extensions combine in, each with
    its ``values`` entry; the first is the winner, whose value stands."""

    workflow: str
    key: str
    plugins: tuple[str, ...]
    values: tuple[Any, ...]

    @property
    def winner(self) -> str:
        """The plugin whose value stands."""
        return self.plugins[0]

    def describe(self) -> str:
        """The conflict in one line: which key, who set it to what, who wins."""
        said = ", ".join(f"'{p}' ({_short(v)})" for p, v in zip(self.plugins, self.values, strict=True))
        return f"{self.workflow}: {self.key} is set by {said}; '{self.winner}' wins"

    def as_json(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow,
            "key": self.key,
            "plugins": list(self.plugins),
            "values": [_jsonable(v) for v in self.values],
            "winner": self.winner,
        }


def ordered(contributions: Iterable[Contribution]) -> list[Contribution]:
    """``contributions`` in the order they combine in (see the module's docstring)."""
    return sorted(contributions, key=lambda c: c.order)


def combine(
    base: Workflow, contributions: Iterable[Contribution], checks: Mapping[str, Check]
) -> tuple[Workflow, list[Conflict]]:
    """``base`` with every extension applied in order, and the conflicts between plugins."""
    ranked = ordered(contributions)
    conflicts = _Conflicts(base.id)
    stages = _added(
        base.stages,
        [(c.plugin, s) for c in ranked for s in c.extension.stages],
        lambda s: f"stages.{s.id}",
        conflicts,
    )
    transitions = _added(
        base.transitions,
        [(c.plugin, t) for c in ranked for t in c.extension.transitions],
        lambda t: f"transitions.{t.source} -> {t.target}",
        conflicts,
    )
    added = _requirements(ranked, checks, conflicts)
    combined_stages = tuple(
        Stage(s.id, s.title, s.exit_requirements + tuple(added.get(s.id, ())), s.on_enter_create, s.final)
        for s in stages
    )
    monitoring = _monitoring(base.monitoring, ranked, conflicts)
    workflow = Workflow(base.id, base.title, combined_stages, tuple(transitions), monitoring)
    return workflow, conflicts.found


class _Conflicts:
    """Who set each key first (and to what), and the conflicts found on the way."""

    def __init__(self, workflow: str) -> None:
        self.workflow = workflow
        self.setters: dict[str, list[tuple[str, Any]]] = {}

    def claim(self, key: str, plugin: str, value: Any) -> bool:
        """Whether ``plugin`` sets ``key``: it is the first to (or the first was itself); any
        other plugin's value is remembered, to report when it differs from the first's."""
        setters = self.setters.setdefault(key, [])
        if not setters or setters[0][0] == plugin:
            if not setters:
                setters.append((plugin, value))
            return True
        if all(p != plugin for p, _ in setters):
            setters.append((plugin, value))
        return False

    @property
    def found(self) -> list[Conflict]:
        conflicts = []
        for key, setters in self.setters.items():
            values = [value for _, value in setters]
            if len(setters) > 1 and any(value != values[0] for value in values[1:]):
                plugins = tuple(p for p, _ in setters)
                conflicts.append(Conflict(self.workflow, key, plugins, tuple(values)))
        return conflicts


def _added(own: Sequence[Any], contributed: list[tuple[str, Any]], key: Any, conflicts: _Conflicts) -> list[Any]:
    """``own`` items, then each contributed one unless an earlier plugin added the same key (an
    identical item is left out quietly; a different one is a conflict the earlier plugin wins)."""
    items = list(own)
    for plugin, item in contributed:
        if conflicts.claim(key(item), plugin, item) and item not in items:
            items.append(item)
    return items


def _requirements(
    ranked: list[Contribution], checks: Mapping[str, Check], conflicts: _Conflicts
) -> dict[str, list[Requirement]]:
    """The exit requirements extensions add, by stage: one per identity (the first plugin's)."""
    added: dict[str, list[Requirement]] = {}
    for contribution in ranked:
        for stage_id, requirements in contribution.extension.exit_requirements.items():
            for requirement in requirements:
                key = f"stages.{stage_id}.requires {requirement_identity(requirement, checks)}"
                claimed = conflicts.claim(key, contribution.plugin, _as_value(requirement))
                if claimed and requirement not in added.get(stage_id, []):
                    added.setdefault(stage_id, []).append(requirement)
    return added


def requirement_identity(requirement: Requirement, checks: Mapping[str, Check]) -> str:
    """What makes two requirements the same one: the check with its identifying parameters, and
    the condition it applies under (``screened_within{instruments=[instruments.phq9]}``)."""
    check = checks.get(requirement.check)
    identity = check.identity(requirement.params) if check is not None else requirement.check
    condition = requirement.condition()
    return f"{identity} {condition}" if condition else identity


def _as_value(requirement: Requirement) -> dict[str, Any]:
    value: dict[str, Any] = dict(requirement.params)
    if requirement.label is not None:
        value["label"] = requirement.label
    return value


def _monitoring(base: Mapping[str, Any], ranked: list[Contribution], conflicts: _Conflicts) -> dict[str, Any]:
    """``base``'s monitoring with each plugin's settings over it, a table key at a time; where two
    plugins set the same key (or one a whole value and another a table for it), the first stands."""
    merged: dict[str, Any] = dict(base)
    shapes: dict[str, tuple[str, Any]] = {}  # key -> the first plugin to set it, and its value
    for contribution in ranked:
        plugin = contribution.plugin
        for key, value in contribution.extension.monitoring.items():
            first, said = shapes.setdefault(key, (plugin, value))
            if first != plugin and isinstance(said, Mapping) != isinstance(value, Mapping):
                conflicts.claim(f"monitoring.{key}", first, said)  # a whole value against a table
                conflicts.claim(f"monitoring.{key}", plugin, value)
                continue
            if not isinstance(value, Mapping):
                if conflicts.claim(f"monitoring.{key}", plugin, value):
                    merged[key] = value
                continue
            kept = {inner: v for inner, v in value.items() if conflicts.claim(f"monitoring.{key}.{inner}", plugin, v)}
            old = merged.get(key)
            merged[key] = {**old, **kept} if isinstance(old, Mapping) else kept

    return merged


def _short(value: Any) -> str:
    text = repr(_jsonable(value))
    return text if len(text) <= 60 else text[:57] + "..."


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Stage):
        return {"id": value.id, "title": value.title, "final": value.final}
    if isinstance(value, Transition):
        return {"source": value.source, "target": value.target}
    return value
