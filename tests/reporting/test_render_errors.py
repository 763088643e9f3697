"""A broken agency template (report, referral packet, skeleton) is one line naming the template and
its line: no traceback, no output file, nothing committed, no client data; a runaway one is stopped."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.core import render
from caseflow.testing import Result, commit_files, git

Run = Callable[..., Result]

CLIENT = "C-7K2M9Q"  # the demo's client with a referral sent (casey's)
REFERRAL = "R-4Z60E0"

#: What an agency might get wrong, on line 4 of its template, and the words caseflow says it in.
BROKEN = {
    "division": ("{{ 1/0 }}", "division by zero"),
    "format_map": ("{{ '{0}'.format_map({}) }}", "an index out of range (tuple index out of range)"),
    "format_map_key": ("{{ '{total}'.format_map({}) }}", "a missing key 'total'"),
    "undefined": ("{{ no_such_name }}", "'no_such_name' is undefined"),
    "syntax": ("{{ agency + }}", "unexpected 'end of print statement'"),
    "unclosed": ("{% for row in rows %}", "Unexpected end of template. Jinja was looking for the following tags"),
    "sandbox": ("{{ agency.__class__.__mro__ }}", "tried something the sandbox forbids: access to attribute"),
    "runaway": ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "took longer"),
}


def override(kind: str) -> str:
    """A realistic template with the mistake on its fourth line."""
    return "# {{ agency }}\n\nWritten for the agency's board.\n" + BROKEN[kind][0] + "\nThe end.\n"


def committed_override(repo: Path, name: str, text: str) -> str:
    """Commit the agency's override (as an agency keeps its templates) and return the new HEAD."""
    commit_files(repo, {f"templates/{name}": text}, "agency template")
    return git(repo, "rev-parse", "HEAD")


def assert_one_line(result: Result, template: str, line: int, words: str) -> None:
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: templates/{template}:{line}: {words}"), lines[0]


def assert_untouched(repo: Path, head: str) -> None:
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain") == ""


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runaway is stopped after half a second instead of MAX_SECONDS."""
    monkeypatch.setattr(render, "MAX_SECONDS", 0.5)


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_report_template_is_one_line_and_writes_nothing(
    kind: str, demo_repo: Callable[..., Path], invoke_caseflow: Run, tmp_path: Path, quick: None
) -> None:
    repo = demo_repo()
    head = committed_override(repo, "reports/standard.md.j2", override(kind))
    out = tmp_path / "caseload.md"
    out.write_text("last month's report\n")
    started = time.monotonic()
    result = invoke_caseflow("--repo", repo, "--as", "sam", "report", "caseload", "--out", out)
    assert time.monotonic() - started < 5
    words = "took longer than 0.5 s; stopped" if kind == "runaway" else BROKEN[kind][1]
    assert_one_line(result, "reports/standard.md.j2", 5 if kind == "unclosed" else 4, words)  # where it ends
    assert out.read_text() == "last month's report\n"  # not half-written, not replaced
    assert not (tmp_path / "new.md").exists()
    fresh = invoke_caseflow("--repo", repo, "--as", "sam", "report", "caseload", "--out", tmp_path / "new.md")
    assert fresh.exit_code == 1 and not (tmp_path / "new.md").exists()
    assert_untouched(repo, head)


def test_an_error_in_a_block_of_an_override_that_extends_the_built_in_packet_names_the_override(
    demo_repo: Callable[..., Path], invoke_caseflow: Run
) -> None:
    repo = demo_repo()
    head = committed_override(
        repo,
        "packets/referral.md.j2",
        '{% extends "caseflow/packets/referral.md.j2" %}\n{% block client %}\nClient: {{ client.id }}\n'
        "{{ client.id // 0 }}\n{% endblock %}\n",
    )
    result = invoke_caseflow("--repo", repo, "--as", "casey", "referral", "packet", CLIENT, REFERRAL)
    assert_one_line(result, "packets/referral.md.j2", 4, "a value of the wrong type")
    commit_files(repo, {"templates/packets/referral.md.j2": '{% extends "caseflow/packets/referral.md.j2" %}\n'})
    builtin = invoke_caseflow("--repo", repo, "--as", "casey", "referral", "packet", CLIENT, REFERRAL)
    assert builtin.assert_success().stdout.startswith(f"# Referral {REFERRAL}")
    assert git(repo, "rev-parse", "HEAD~1") == head


@pytest.mark.parametrize("kind", ["division", "format_map", "undefined", "syntax", "runaway"])
def test_a_broken_packet_template_is_one_line_and_records_no_disclosure(
    kind: str, demo_repo: Callable[..., Path], invoke_caseflow: Run, tmp_path: Path, quick: None
) -> None:
    repo = demo_repo()
    head = committed_override(repo, "packets/referral.md.j2", override(kind))
    access = (repo / ".caseflow/access.log").read_bytes() if (repo / ".caseflow/access.log").exists() else b""
    out = tmp_path / "packet.md"
    result = invoke_caseflow("--repo", repo, "--as", "casey", "referral", "packet", CLIENT, REFERRAL, "--out", out)
    words = "took longer than 0.5 s; stopped" if kind == "runaway" else BROKEN[kind][1]
    assert_one_line(result, "packets/referral.md.j2", 4, words)
    assert not out.exists()
    after = (repo / ".caseflow/access.log").read_bytes() if (repo / ".caseflow/access.log").exists() else b""
    assert after == access  # nothing was disclosed, so nothing is recorded
    assert_untouched(repo, head)


def test_a_packet_error_never_repeats_the_client_s_data(demo_repo: Callable[..., Path], invoke_caseflow: Run) -> None:
    repo = demo_repo()
    name = next(
        line.split(":", 1)[1].strip()
        for line in (repo / f"clients/{CLIENT}/client.yaml").read_text().splitlines()
        if line.startswith("name:")
    )
    head = committed_override(
        repo, "packets/referral.md.j2", "# Referral\n\n{{ referral[client.name] }}\n{{ client.name|int + 'x' }}\n"
    )
    result = invoke_caseflow("--repo", repo, "--as", "casey", "referral", "packet", CLIENT, REFERRAL)
    assert_one_line(result, "packets/referral.md.j2", 3, "'dict object' has no attribute '…'")
    assert name not in result.stderr and name.split()[0] not in result.stderr
    commit_files(
        repo, {"templates/packets/referral.md.j2": "# Referral\n\n{{ ('{' ~ client.name ~ '}').format_map({}) }}\n"}
    )
    keyed = invoke_caseflow("--repo", repo, "--as", "casey", "referral", "packet", CLIENT, REFERRAL)
    assert_one_line(keyed, "packets/referral.md.j2", 3, "a missing key")
    assert name.split()[0] not in keyed.stderr and git(repo, "rev-parse", "HEAD~1") == head


@pytest.mark.parametrize("kind", ["division", "undefined", "syntax", "runaway"])
def test_a_broken_skeleton_is_one_line_and_commits_nothing(
    kind: str, demo_repo: Callable[..., Path], invoke_caseflow: Run, quick: None
) -> None:
    repo = demo_repo()
    skeleton = "---\nform: core.visit\ndate: {{ today }}\n" + BROKEN[kind][0] + "\n---\n\nWhat happened.\n"
    head = committed_override(repo, "forms/visit.md.j2", skeleton)
    visits = sorted(p.name for p in (repo / f"clients/{CLIENT}/visits").iterdir())
    result = invoke_caseflow("--repo", repo, "--as", "casey", "new", CLIENT, "core.visit")
    words = "took longer than 0.5 s; stopped" if kind == "runaway" else BROKEN[kind][1]
    assert_one_line(result, "forms/visit.md.j2", 4, words)
    assert sorted(p.name for p in (repo / f"clients/{CLIENT}/visits").iterdir()) == visits
    assert_untouched(repo, head)


def test_a_broken_client_skeleton_leaves_no_new_client(demo_repo: Callable[..., Path], invoke_caseflow: Run) -> None:
    repo = demo_repo()
    head = committed_override(repo, "forms/client.yaml.j2", "form: core.client\nid: {{ client_id }}\n\n{{ 1/0 }}\n")
    clients = sorted(p.name for p in (repo / "clients").iterdir())
    result = invoke_caseflow(
        "--repo", repo, "--as", "casey", "intake", "--name", "Nobody Example", "--dob", "1990-01-01"
    )
    assert_one_line(result, "forms/client.yaml.j2", 4, "division by zero")
    assert sorted(p.name for p in (repo / "clients").iterdir()) == clients
    assert_untouched(repo, head)
