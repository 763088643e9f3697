"""Standardized screening instruments: items, response options, exact scoring, and their forms.

An :class:`Instrument` is registered through ``register_instruments()``; caseflow turns each into a
form (``evaluation/<date>-<short id>.yaml``) whose documents store the answers and the computed
result. Validation recomputes the result from the answers: a hand-edited score that does not
match, a missing answer or an answer to a skipped question is an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from caseflow.core.forms import Finding, Form

Answers = Mapping[str, int]


@dataclass(frozen=True)
class Option:
    """One answer an item offers: its scored ``value``, the words shown, and its LOINC answer code."""

    value: int
    label: str
    loinc: str | None = None


@dataclass(frozen=True)
class Item:
    """One question. ``asked_if`` encodes skip logic: an item not asked must be left out."""

    id: str
    text: str
    options: tuple[Option, ...]
    loinc: str | None = None
    scored: bool = True
    optional: bool = False
    asked_if: Callable[[Answers], bool] | None = field(default=None, compare=False)

    def asked(self, answers: Answers) -> bool:
        return self.asked_if is None or self.asked_if(answers)


@dataclass(frozen=True)
class Parameter:
    """A fact scoring needs besides the answers (AUDIT-C's threshold depends on sex)."""

    id: str
    title: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Result:
    """What scoring gives: the ``total`` (None where the instrument has none), the severity ``band``,
    ``flags`` such as a positive suicide-risk item, and an ``interpretation`` in words."""

    total: int | None
    band: str
    flags: tuple[str, ...] = ()
    interpretation: str = ""

    def as_data(self) -> dict[str, Any]:
        return {"total": self.total, "band": self.band, "flags": list(self.flags)}


@dataclass(frozen=True)
class Instrument:
    """A questionnaire as its authors publish it; none of it may be reworded or reordered."""

    id: str
    name: str
    version: str
    items: tuple[Item, ...]
    score: Callable[[Answers, Mapping[str, str]], Result] = field(compare=False)
    licence: str = ""
    free_for_commercial_use: bool = False
    loinc_panel: str | None = None
    loinc_total: str | None = None
    parameters: tuple[Parameter, ...] = ()
    description: str = ""

    @property
    def short_id(self) -> str:
        return self.id.split(".", 1)[1]

    def asked_items(self, answers: Answers) -> list[Item]:
        return [item for item in self.items if item.asked(answers)]

    def problems(self, answers: Mapping[str, Any], parameters: Mapping[str, Any]) -> list[Finding]:
        """Incomplete, out-of-range or skipped-but-present answers, and missing parameters."""
        findings = []
        known = {item.id for item in self.items}
        for key in answers:
            if key not in known:
                findings.append(Finding(f"{self.name} has no item '{key}'", ("answers", key)))
        numeric = {k: v for k, v in answers.items() if isinstance(v, int) and not isinstance(v, bool)}
        for item in self.items:
            given = item.id in answers
            if not item.asked(numeric):
                if given:
                    findings.append(
                        Finding(
                            f"{item.id} must be left out: it is not asked after these answers", ("answers", item.id)
                        )
                    )
                continue
            if not given:
                if not item.optional:
                    findings.append(Finding(f"the answer to {item.id} ({item.text}) is missing", ("answers",)))
                continue
            allowed = [o.value for o in item.options]
            if type(answers[item.id]) is not int or answers[item.id] not in allowed:  # not 1.0, not true
                findings.append(
                    Finding(
                        f"{item.id}: {answers[item.id]!r} is not one of the answers {allowed}", ("answers", item.id)
                    )
                )
        for parameter in self.parameters:
            if parameters.get(parameter.id) not in parameter.options:
                options = " or ".join(parameter.options)
                findings.append(Finding(f"{self.name} needs {parameter.title} ({options})", ("parameters",)))
        return findings

    def document_findings(self, data: Mapping[str, Any]) -> list[Finding]:
        """Everything wrong with a stored administration, including a result that does not add up."""
        answers: Mapping[str, Any] = data["answers"] if isinstance(data.get("answers"), Mapping) else {}
        parameters: Mapping[str, Any] = data["parameters"] if isinstance(data.get("parameters"), Mapping) else {}
        findings = self.problems(answers, parameters)
        if data.get("instrument_version") not in (None, self.version):
            findings.append(
                Finding(
                    f"instrument version {data.get('instrument_version')} is not {self.version}",
                    ("instrument_version",),
                )
            )
        if findings:
            return findings
        expected = self.score(answers, parameters).as_data()
        stored: Mapping[str, Any] = data["result"] if isinstance(data.get("result"), Mapping) else {}
        for key, value in expected.items():
            if stored.get(key) != value:
                findings.append(
                    Finding(
                        f"the stored {key} {stored.get(key)!r} does not match the answers ({value!r})", ("result", key)
                    )
                )
        return findings

    def form(self) -> Form:
        answer_schema = {
            item.id: {"type": "integer", "enum": [o.value for o in item.options], "title": item.text}
            for item in self.items
        }
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": self.name,
            "type": "object",
            "properties": {
                "form": {"const": self.id, "title": "Form"},
                "client": {"type": "string", "title": "Client"},
                "date": {"type": "string", "format": "date", "title": "Date administered"},
                "administered_by": {"type": "string", "title": "Administered by"},
                "instrument_version": {"type": "string", "title": "Instrument version"},
                "parameters": {"type": "object", "title": "Scoring parameters"},
                "answers": {
                    "type": "object",
                    "title": "Answers",
                    "properties": answer_schema,
                    "additionalProperties": True,
                },
                "result": {
                    "type": "object",
                    "title": "Result",
                    "properties": {
                        "total": {"type": ["integer", "null"], "title": "Total"},
                        "band": {"type": "string", "title": "Band"},
                        "flags": {"type": "array", "items": {"type": "string"}, "title": "Flags"},
                    },
                    "required": ["total", "band", "flags"],
                    "additionalProperties": False,
                },
            },
            "required": ["form", "client", "date", "administered_by", "instrument_version", "answers", "result"],
            "additionalProperties": False,
        }
        return Form(
            id=self.id,
            title=self.name,
            kind="yaml",
            path=f"evaluation/{{date}}-{self.short_id}.yaml",
            schema=schema,
            skeleton="forms/instrument.yaml.j2",
            description=self.description or f"{self.name}, scored by caseflow",
            summarize=lambda d: {"date": d.get("date"), **(d.get("result") or {})},
            check=self.document_findings,
            describe_changes=self.describe_changes,
        )

    def describe_changes(self, changes: list[Any]) -> list[str]:
        """A score change as a clinician says it: "PHQ-9 total 14 → 19 (moderate → moderately severe)"."""
        by_field = {tuple(c.path): c for c in changes}
        total, band = by_field.get(("result", "total")), by_field.get(("result", "band"))
        lines = []
        if total is not None:
            bands = f" ({band.old} → {band.new})" if band and band.old is not None else ""
            lines.append(f"{self.name} total {total.old} → {total.new}{bands}")
        elif band is not None:
            lines.append(f"{self.name} band {band.old} → {band.new} (total unchanged)")
        skip = {("result", "total"), ("result", "band")}
        return lines + [c.text() for c in changes if tuple(c.path) not in skip]


def band_of(total: int, cuts: tuple[tuple[int, str], ...]) -> str:
    """The label of the highest cut-off ``total`` reaches; ``cuts`` ascend from the lowest score."""
    return [label for floor, label in cuts if total >= floor][-1]


def sum_of(answers: Answers, items: tuple[Item, ...]) -> int:
    """The total of the scored items' answers (an item not answered counts 0)."""
    return sum(int(answers.get(item.id, 0)) for item in items if item.scored)


#: The answers of every yes/no item, with their LOINC answer codes.
YES_NO = (Option(0, "No", "LA32-8"), Option(1, "Yes", "LA33-6"))
