"""The sandboxed renderer: errors as one line naming the template and line, client data kept out of
them, loops unchanged, and a runaway render stopped in any thread."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from caseflow.core import render
from caseflow.core.render import render_template
from caseflow.errors import CaseflowError, NotFound

DATA = {"agency": "Riverbend", "client": {"name": "Ana Example", "id": "C-7K2M9Q"}, "rows": [[1, 2], [3, 4]]}


def templates(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "templates"
    for name, text in files.items():
        (folder / "reports").mkdir(parents=True, exist_ok=True)
        (folder / "reports" / f"{name}.md.j2").write_text(text)
    return folder


def refusal(folder: Path, name: str, data: dict[str, object] | None = None, **options: float) -> str:
    with pytest.raises(CaseflowError) as caught:
        render_template(f"reports/{name}.md.j2", [folder], DATA if data is None else data, **options)
    message = str(caught.value)
    assert "\n" not in message and caught.value.__cause__ is None and caught.value.__suppress_context__
    return message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\n\n{{ 1/0 }}\n", "templates/reports/t.md.j2:3: division by zero"),
        (
            "a\n{{ '{0}'.format_map({}) }}",
            "templates/reports/t.md.j2:2: an index out of range (tuple index out of range)",
        ),
        ("{{ '{n}'.format_map({}) }}", "templates/reports/t.md.j2:1: a missing key 'n'"),
        ("a\nb\n{{ nope }}", "templates/reports/t.md.j2:3: 'nope' is undefined"),
        ("{{ agency ~ }}", "templates/reports/t.md.j2:1: unexpected 'end of print statement'"),
        ("a\n{{ rows[5][0] }}", "templates/reports/t.md.j2:2: list object has no element 5"),
        ("{{ rows[0] + 1 }}", "templates/reports/t.md.j2:1: a value of the wrong type (can only concatenate list"),
        ("{{ agency.__class__ }}", "templates/reports/t.md.j2:1: tried something the sandbox forbids: access to"),
        ("{% macro f() %}{{ f() }}{% endmacro %}\n{{ f() }}", "templates/reports/t.md.j2:1: calls itself without end"),
        ("{{ (9 ** 64) ** 64 ** 64 }}", "templates/reports/t.md.j2:1: tried something the sandbox forbids: a number"),
        ("x\n{% include 'reports/missing.md.j2' %}", "templates/reports/t.md.j2:2: includes 'reports/missing.md.j2'"),
        (
            "a\n" + "{% for r in rows %}{{ 'x' * 10000 }}{% endfor %}" * 200,
            "templates/reports/t.md.j2:2: produced more than",
        ),
    ],
)
def test_an_error_in_a_template_is_one_line_naming_its_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    assert refusal(templates(tmp_path, t=text), "t").startswith(expected)


def test_the_line_is_the_innermost_template_s(tmp_path: Path) -> None:
    folder = templates(tmp_path, outer="one\n{% include 'reports/inner.md.j2' %}\n", inner="a\nb\n{{ 1 // 0 }}\n")
    assert refusal(folder, "outer") == "templates/reports/inner.md.j2:3: division by zero"
    macros = templates(tmp_path, lib="{% macro cell(v) %}\n{{ v / 0 }}\n{% endmacro %}\n")
    (macros / "reports/uses.md.j2").write_text("{% from 'reports/lib.md.j2' import cell %}\nx\n{{ cell(1) }}\n")
    assert refusal(macros, "uses") == "templates/reports/lib.md.j2:2: division by zero"


def test_a_template_that_is_not_there_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"template 'reports/none\.md\.j2' was not found"):
        render_template("reports/none.md.j2", [templates(tmp_path)], DATA)


def test_an_error_never_repeats_a_client_s_data(tmp_path: Path) -> None:
    folder = templates(
        tmp_path,
        attribute="{{ rows[client.name] }}",
        key="{{ ('{' ~ client.name ~ '}').format_map({}) }}",
        value="{{ client.name.index('zz') + client.id.index(client.name) }}",
        number="{{ (client.name ~ '') | float + client.name }}",
        include="{% include client.name %}",
    )
    for name in ("attribute", "key", "value", "number", "include"):
        message = refusal(folder, name)
        assert "Ana" not in message and "Example" not in message, message
    assert refusal(folder, "attribute").endswith("'list object' has no attribute '…'")
    assert refusal(folder, "include").endswith(
        "includes '…', which was not found in templates/ or caseflow's built-in templates"
    )


LOOPS = (
    "{% for a, b in rows %}{{ loop.index }}/{{ loop.length }}:{{ a + b }}{% if loop.last %}.{% endif %} "
    "{% endfor %}{% for x in [] %}{% else %}none {% endfor %}"
    "{% for x in rows|map('first') if x > 1 %}{{ x }}{{ loop.revindex }}{{ loop.nextitem is defined }}{% endfor %}"
    "{% for r in [[1, [2]]] recursive %}{{ loop.depth }}{% if r is iterable %}{{ loop(r) }}{% endif %}{% endfor %}"
    "{% for k, v in {'b': 1, 'a': 2}|dictsort %}{{ loop.cycle('x', 'y') }}{{ k }}{{ v }}{% endfor %}"
)


def test_loops_render_as_jinja2_renders_them(tmp_path: Path) -> None:
    """Each loop checks the time limit at every turn; nothing else about it changes."""
    import jinja2.sandbox

    plain = jinja2.sandbox.ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined).from_string(LOOPS)
    assert render_template("reports/loops.md.j2", [templates(tmp_path, loops=LOOPS)], DATA) == plain.render(DATA)


RUNAWAYS = {
    "nested": "a\n{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "silent": "a\n{% set r = range(100000)|list %}\n{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}",
    "printing": "{% for i in range(100000) %}{% for j in range(100000) %}{{ '' }}{% endfor %}{% endfor %}",
}


@pytest.mark.parametrize("kind", sorted(RUNAWAYS))
def test_a_runaway_render_is_stopped_in_a_worker_thread(tmp_path: Path, kind: str) -> None:
    """As in a web server's worker thread, where no signal can reach it."""
    folder = templates(tmp_path, run=RUNAWAYS[kind])
    outcome: list[BaseException | str] = []

    def worker() -> None:
        try:
            outcome.append(render_template("reports/run.md.j2", [folder], DATA, max_seconds=0.5))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=worker, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(10)
    assert not thread.is_alive() and time.monotonic() - started < 5
    [error] = outcome
    assert isinstance(error, CaseflowError)
    line = {"nested": 2, "silent": 3, "printing": 1}[kind]
    assert str(error) == f"templates/reports/run.md.j2:{line}: took longer than 0.5 s; stopped"


def test_the_limit_is_max_seconds_unless_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "MAX_SECONDS", 0.3)
    folder = templates(tmp_path, run=RUNAWAYS["silent"])
    started = time.monotonic()
    assert refusal(folder, "run").endswith("took longer than 0.3 s; stopped")
    assert time.monotonic() - started < 3
    assert render.MAX_SECONDS * 1.25 <= 10  # what a command adds around the render still ends within 10 s


def test_threads_render_side_by_side_each_within_its_own_limit(tmp_path: Path) -> None:
    folder = templates(tmp_path, run=RUNAWAYS["nested"], ok="{% for r in rows %}{{ r[0] }}{% endfor %}")
    results: dict[str, str] = {}

    def slow() -> None:
        try:
            render_template("reports/run.md.j2", [folder], DATA, max_seconds=0.5)
        except CaseflowError as exc:
            results["slow"] = str(exc)

    def quick() -> None:
        results["quick"] = "".join(render_template("reports/ok.md.j2", [folder], DATA) for _ in range(20))

    threads = [threading.Thread(target=slow), threading.Thread(target=quick)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == {"slow": "templates/reports/run.md.j2:2: took longer than 0.5 s; stopped", "quick": "13" * 20}
