"""A skeleton filled in without jinja2 is exactly what jinja2 renders, or jinja2 renders it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from caseflow import open_repo
from caseflow.core import skeletons
from caseflow.core.documents import yaml_scalar
from caseflow.core.forms import Form
from caseflow.core.render import render_sandboxed, skeleton_environment
from caseflow.errors import CaseflowError
from caseflow.testing import ONLY_BUILTIN_PLUGINS


def by_jinja2(form: Form, repo_templates: Path | None, context: Mapping[str, Any]) -> str:
    """The render as it always was: every template through the jinja2 sandbox."""
    layers = [
        (repo_templates, "templates"),
        (form.template_dir, str(form.template_dir)),
        (skeletons.builtin_templates_dir(), "caseflow's templates"),
    ]
    folders = [(path, label) for path, label in layers if path is not None and path.is_dir()]
    inline = {form.skeleton: form.skeleton_text} if form.skeleton_text is not None else {}
    env, sources = skeleton_environment(folders, {"yaml": yaml_scalar}, inline)
    context = {"form_id": form.id, **context}
    return render_sandboxed(env, sources, form.skeleton, context, missing="missing")


def context() -> dict[str, Any]:
    today = dt.date(2026, 11, 14)
    return {
        "client_id": "C-7K2M9Q",
        "actor": "casey",
        "agency": "Riverbend",
        "today": today.isoformat(),
        "in_days": lambda days: (today + dt.timedelta(days=int(days))).isoformat(),
        "new_id": lambda prefix="": f"{prefix}ABC123",
        "fields": ["phone"],
        "worker": "casey",
    }


@pytest.fixture
def forms(case_repo: Callable[..., Path]) -> tuple[Path, dict[str, Form]]:
    path = case_repo()
    return path, dict(open_repo(path).forms)


def test_every_skeleton_renders_as_jinja2_renders_it(forms: tuple[Path, dict[str, Form]]) -> None:
    path, known = forms
    quick = 0
    for form in known.values():
        if not form.skeleton:
            continue
        expected = by_jinja2(form, path / "templates", context())
        assert skeletons.render_skeleton(form, path / "templates", context()) == expected, form.id
        quick += (
            skeletons._filled_in(
                skeletons._source(form.skeleton, [(skeletons.builtin_templates_dir(), "")], {}),
                {"form_id": form.id, **context()},
            )
            is not None
        )
    assert quick >= 3  # the visit note, the client record, ... take the shortcut


@pytest.mark.parametrize(
    "override",
    [
        "---\nform: core.visit\nclient: {{ client_id }}\ndate: {{   today }}\nauthor: {{actor}}\n---\n# Note\n",
        "---\nform: core.visit\nclient: {{ client_id }}\ndate: {{ in_days(3) }}\nauthor: {{ actor }}\n---\n",
        "---\nform: core.visit\n{% if true %}client: {{ client_id }}{% endif %}\ndate: {{ today }}\n---\n",
        "---\nform: core.visit\nclient: {{ client_id | yaml }}\ndate: {{ today }}\n---\n{# a comment #}\n",
        "---\nform: core.visit\nclient: {{- client_id }}\ndate: {{ today }}\n---\n",
        "---\nform: core.visit\nclient: {{ true }}\ndate: {{ fields }}\n---\n",
        "---\r\nform: core.visit\r\nclient: {{ client_id }}\r\ndate: {{ today }}\r\n---\r\nno final newline",
        "---\nform: core.visit\nclient: {{ client_id }}\ndate: {{ today }}\n---\n}} {} { {",
    ],
)
def test_an_agency_override_renders_as_jinja2_renders_it(forms: tuple[Path, dict[str, Form]], override: str) -> None:
    path, known = forms
    form = known["core.visit"]
    target = path / "templates" / form.skeleton
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(override.encode())
    assert skeletons.render_skeleton(form, path / "templates", context()) == by_jinja2(
        form, path / "templates", context()
    )


def test_a_name_the_context_lacks_is_jinja2s_error(forms: tuple[Path, dict[str, Form]]) -> None:
    path, known = forms
    form = known["core.visit"]
    target = path / "templates" / form.skeleton
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("---\nform: core.visit\nclient: {{ nobody }}\n---\n")
    with pytest.raises(CaseflowError, match="nobody"):
        skeletons.render_skeleton(form, path / "templates", context())


def test_an_inline_skeleton_and_a_link_out_of_the_folder(forms: tuple[Path, dict[str, Form]], tmp_path: Path) -> None:
    path, known = forms
    form = replace(known["core.visit"], skeleton="inline-visit.md.j2", skeleton_text="a: {{ client_id }}\n")
    assert skeletons.render_skeleton(form, path / "templates", context()) == "a: C-7K2M9Q\n"
    outside = tmp_path / "outside.md.j2"
    outside.write_text("secret: {{ client_id }}\n")
    form = known["core.visit"]
    target = path / "templates" / form.skeleton
    target.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(outside, target)
    rendered = skeletons.render_skeleton(form, path / "templates", context())
    assert rendered == by_jinja2(form, path / "templates", context())
    assert "secret" not in rendered  # the link is refused, the next layer's template used


def test_a_visit_does_not_import_jinja2(case_repo: Callable[..., Path]) -> None:
    """``caseflow visit`` fills in the built-in note's skeleton without jinja2 (read from the
    process's own modules after it ran)."""
    from tests.samples import CLIENT, CLIENT_YAML

    path = case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML})
    probe = (
        "import atexit, sys, runpy\n"
        "sys.argv = ['caseflow', *sys.argv[1:]]\n"
        "atexit.register(lambda: print('jinja2', 'jinja2' in sys.modules, file=sys.stderr))\n"
        "runpy.run_module('caseflow', run_name='__main__')\n"
    )
    env = {**os.environ, **ONLY_BUILTIN_PLUGINS, "CASEFLOW_USER": "casey", "CASEFLOW_TODAY": "2026-11-14"}
    done = subprocess.run(
        [sys.executable, "-c", probe, "visit", CLIENT, "--type", "phone", "--note", "Called; all well."],
        cwd=path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr.strip().splitlines()[-1]) == (0, "jinja2 False"), done.stderr
    note = next((path / "clients" / CLIENT / "visits").glob("2026-11-14-phone*.md")).read_text()
    assert "client: C-7K2M9Q" in note and "Called; all well." in note
