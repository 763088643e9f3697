"""An instrument's skeleton: one template serves every instrument, each document naming its own form."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from caseflow.core.documents import load_document
from caseflow.core.skeletons import render_skeleton
from caseflow.records.actions import skeleton_context
from caseflow.testing import registered_plugin


def test_each_instrument_document_names_its_own_form(case_repo: Callable[..., Path]) -> None:
    repo = registered_plugin(case_repo())
    context = skeleton_context(repo, repo.actor("casey"), "C-7K2M9Q", [])
    for form_id in ("instruments.phq9", "instruments.gad7"):
        form = repo.form(form_id)
        assert form.skeleton == "forms/instrument.yaml.j2"
        text = render_skeleton(form, repo.root / "templates", context)
        assert load_document("x.yaml", text.encode()).data["form"] == form_id
