"""Rules as data: what ``rules:`` in ``caseflow.yaml`` adds to the workflow, without Python.

```yaml
rules:
  stages:                      # requirements to leave a stage, added to the workflow's own
    evaluation:
      - check: document_exists
        form: agency.housing-needs
        title: a housing needs screen
      - check: screened_within
        days: 14
        instruments: [instruments.phq9]
  monitoring:                  # the workflow's intervals, changed key by key
    contact_days_by_risk: {high: 5}
    rescreen_days: {instruments.gad7: 60}
    referral_stale_days: 10
```

Each requirement names a check (``caseflow stages --json`` lists them with their parameters) and
gives its parameters; ``label`` words it in listings. Everything it names (stages, checks, forms,
instruments) is checked when the repository is opened, each problem located in caseflow.yaml.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from caseflow.core.located import Located
from caseflow.workflow.model import Check, Requirement, Workflow, WorkflowExtension


def with_rules(
    workflow: Workflow,
    rules: Mapping[str, Any],
    checks: Mapping[str, Check],
    forms: Collection[str],
    instruments: Collection[str],
) -> tuple[Workflow, list[Located]]:
    """``workflow`` with the agency's rules applied, and what is wrong with them (located at
    their place in caseflow.yaml; the workflow is returned unchanged when anything is)."""
    problems: list[Located] = []
    stage_ids = [stage.id for stage in workflow.stages]
    added: dict[str, tuple[Requirement, ...]] = {}
    for stage_id, listed in (rules.get("stages") or {}).items():
        at = ("rules", "stages", stage_id)
        if stage_id not in stage_ids:
            problems.append(Located(at, f"workflow '{workflow.id}' has no stage '{stage_id}' ({', '.join(stage_ids)})"))
            continue
        requirements = []
        for index, entry in enumerate(listed):
            found = _requirement_problems(entry, (*at, index), checks, forms, instruments)
            problems.extend(found)
            if not found:
                params = {k: v for k, v in entry.items() if k not in ("check", "label")}
                requirements.append(Requirement(entry["check"], params, entry.get("label")))
        added[stage_id] = tuple(requirements)
    monitoring = dict(rules.get("monitoring") or {})
    for instrument in monitoring.get("rescreen_days") or {}:
        if instrument not in instruments:
            where = ("rules", "monitoring", "rescreen_days", instrument)
            problems.append(Located(where, f"unknown instrument '{instrument}' ({', '.join(sorted(instruments))})"))
    if problems:
        return workflow, problems
    return WorkflowExtension(workflow.id, exit_requirements=added, monitoring=monitoring).apply(workflow), []


def _requirement_problems(
    entry: Mapping[str, Any],
    at: tuple[str | int, ...],
    checks: Mapping[str, Check],
    forms: Collection[str],
    instruments: Collection[str],
) -> list[Located]:
    check = checks.get(entry["check"])
    if check is None:
        known = ", ".join(sorted(checks))
        return [Located((*at, "check"), f"unknown check '{entry['check']}' (known: {known})")]
    params = {key: value for key, value in entry.items() if key not in ("check", "label")}
    problems = [
        Located(
            at if name is None else (*at, name), message.replace(f"requirement '{check.id}'", f"check '{check.id}'", 1)
        )
        for name, message in check.parameter_problems(params)
    ]
    form = entry.get("form")
    if form is not None and form not in forms:
        problems.append(Located((*at, "form"), f"unknown form '{form}' (`caseflow forms` lists the forms)"))
    named = entry.get("instruments")
    for index, instrument in enumerate(named if isinstance(named, list) else []):
        if instrument not in instruments:
            problems.append(Located((*at, "instruments", index), f"unknown instrument '{instrument}'"))
    return problems
