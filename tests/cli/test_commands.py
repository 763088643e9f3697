"""The `caseflow` command, end to end against real git repositories: in process through click's runner,
and in a real subprocess where only a process shows it (Ctrl-C during a commit)."""

from __future__ import annotations

import json
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

from caseflow.testing import Result, git

Run = Callable[..., Result]


def test_init_then_staff_then_intake(tmp_path: Path, invoke_caseflow: Run) -> None:
    path = tmp_path / "agency"
    invoke_caseflow("init", path, "--agency", "Riverbend: North", "--timezone", "America/Chicago").assert_success()
    assert (path / ".gitattributes").read_text().startswith("# Case documents")
    assert ".caseflow/" in (path / ".gitignore").read_text()
    assert git(path, "config", "core.fsync").strip() == "all"
    assert git(path, "log", "--format=%s").split("\n")[0] == "init"

    invoke_caseflow(
        "staff", "add", "sam", "--name", "Sam Whitfield", "--email", "sam@x.example", "--role", "supervisor", cwd=path
    ).assert_success()
    add_casey = [
        "staff",
        "add",
        "casey",
        "--name",
        "Casey Rivera",
        "--email",
        "casey@x.example",
        "--role",
        "case_manager",
    ]
    invoke_caseflow(*add_casey, cwd=path).assert_refused(1)  # once staff exist, only a supervisor adds more
    invoke_caseflow("--as", "sam", *add_casey, cwd=path).assert_success()
    staff = json.loads(invoke_caseflow("staff", "list", "--json", cwd=path).stdout)
    assert [s["id"] for s in staff] == ["sam", "casey"]

    result = invoke_caseflow(
        "--as", "casey", "intake", "--name", "Ana Example", "--dob", "1990-04-02", cwd=path
    ).assert_success()
    client_id = result.stdout.strip()
    assert git(path, "log", "-1", "--format=%an|%s").strip() == f"Casey Rivera|intake {client_id}"
    assert invoke_caseflow("init", path, "--agency", "Again").assert_refused(1).stderr.startswith("error: ")


def test_repository_found_by_flag_environment_and_parent_folders(
    case_repo: Callable[..., Path], invoke_caseflow: Run
) -> None:
    path = case_repo()
    (path / "providers" / "sub").mkdir(parents=True)
    for kwargs in ({"cwd": path / "providers" / "sub"}, {"env": {"CASEFLOW_REPO": str(path)}}):
        assert invoke_caseflow("clients", "--json", **kwargs).assert_success().stdout.strip() == "[]"
    assert invoke_caseflow("--repo", path, "clients", "--json").assert_success().stdout.strip() == "[]"
    assert invoke_caseflow("clients", "--repo", path, "--json").assert_success().stdout.strip() == "[]"


def test_a_day_of_work(case_repo: Callable[..., Path], invoke_caseflow: Run, tmp_path: Path) -> None:
    path = case_repo()
    env = {"CASEFLOW_USER": "casey", "CASEFLOW_PLUGINS": ""}
    intake = invoke_caseflow(
        "intake",
        "--name",
        "Ana Example",
        "--dob",
        "1990-04-02",
        "--phone",
        "555-0100",
        "--field",
        "language=Spanish",
        "--json",
        cwd=path,
        env=env,
    ).assert_success()
    client_id = json.loads(intake.stdout)["id"]

    clients = json.loads(invoke_caseflow("clients", "--json", "--worker", "casey", cwd=path).stdout)
    assert clients == [
        {
            "id": client_id,
            "stage": "intake",
            "assigned_worker": "casey",
            "intake_date": clients[0]["intake_date"],
            "risk_flags": [],
            "problem": None,
        }
    ]
    assert json.loads(invoke_caseflow("clients", "--json", "--stage", "active", cwd=path).stdout) == []

    invoke_caseflow("set", client_id, "client.yaml", "address.city=Springfield", cwd=path, env=env).assert_success()
    diff = git(path, "diff", "HEAD~1", "--stat")
    assert "1 file changed, 2 insertions(+)" in diff

    editor = tmp_path / "editor.sh"
    editor.write_text(
        '#!/bin/sh\nsed -i "s/type: office/type: home/" "$1"\nprintf "\\nVisited at home; all well.\\n" >> "$1"\n'
    )
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    created = invoke_caseflow(
        "new",
        client_id,
        "core.visit",
        "--edit",
        "--field",
        "duration_minutes=40",
        cwd=path,
        env={**env, "EDITOR": str(editor)},
    ).assert_success()
    note_path = created.stdout.strip()
    assert "/visits/" in note_path and "-home-" in note_path
    assert (path / note_path).read_text().endswith("Visited at home; all well.\n")

    shown = json.loads(invoke_caseflow("show", client_id, "--json", cwd=path).assert_success().stdout)
    assert shown["stage"] == "intake"
    assert [d["form"] for d in shown["documents"]] == ["core.client", "core.visit"]
    assert all(d["readable"] for d in shown["documents"])
    assert shown["documents"][1]["summary"] == {
        "date": note_path.split("/")[-1][:10],
        "type": "home",
        "author": "casey",
    }
    assert "Ana" not in json.dumps(shown)
    text = invoke_caseflow("show", client_id, cwd=path, env=env).assert_success().stdout
    assert "Contact note" in text and client_id in text

    validated = json.loads(invoke_caseflow("validate", "--json", cwd=path).assert_success().stdout)
    assert validated == {"ok": True, "documents": 2, "problems": [], "incomplete": []}
    assert git(path, "status", "--porcelain") == ""
    assert len(git(path, "log", "--format=%H", f"--grep=Caseflow-Client: {client_id}").split()) == 3


def test_an_invalid_draft_is_kept_and_nothing_is_committed(
    case_repo: Callable[..., Path], invoke_caseflow: Run, tmp_path: Path
) -> None:
    path = case_repo()
    env = {"CASEFLOW_USER": "casey", "CASEFLOW_PLUGINS": ""}
    client_id = invoke_caseflow(
        "intake", "--name", "Ana Example", "--dob", "1990-04-02", cwd=path, env=env
    ).stdout.strip()
    head = git(path, "rev-parse", "HEAD")
    editor = tmp_path / "editor.sh"
    editor.write_text(
        '#!/bin/sh\nsed -i "s/^date: .*/date: 2026-02-31/" "$1"\necho "An hour of careful notes." >> "$1"\n'
    )
    editor.chmod(0o755)
    result = invoke_caseflow(
        "new", client_id, "core.visit", "--edit", cwd=path, env={**env, "EDITOR": str(editor)}
    ).assert_refused(1)
    lines = result.stderr.splitlines()
    assert "Contact date: '2026-02-31' is not a date" in lines[0]
    assert lines[-1].startswith("error: your draft is kept at ")
    draft = Path(lines[-1].split("kept at ")[1].split(";")[0])
    assert draft.read_text().endswith("An hour of careful notes.\n")
    assert git(path, "rev-parse", "HEAD") == head
    assert git(path, "status", "--porcelain") == ""


def test_forms_and_help(case_repo: Callable[..., Path], invoke_caseflow: Run) -> None:
    path = case_repo()
    forms = json.loads(invoke_caseflow("--repo", path, "forms", "--json").assert_success().stdout)
    ids = {f["id"] for f in forms}
    assert {
        "core.client",
        "core.consent",
        "core.intake-interview",
        "core.visit",
        "core.plan",
        "core.referral",
        "core.appointments",
        "core.medications",
        "core.provider-report",
        "core.discharge",
    } <= ids
    assert "FORM" in invoke_caseflow("--repo", path, "forms").stdout
    help_text = invoke_caseflow("--help").assert_success().stdout
    for command in ("init", "staff", "intake", "clients", "show", "set", "new", "validate", "forms", "plugins", "demo"):
        assert f"  {command} " in help_text
    assert "Exit codes" in help_text
    assert "goals[g1].status" in invoke_caseflow("set", "--help").stdout


def test_crlf_documents_stay_crlf_through_set_and_git(case_repo: Callable[..., Path], invoke_caseflow: Run) -> None:
    client = "C-7K2M9Q"
    record = (
        f"form: core.client\r\nid: {client}\r\nname: Ana Example\r\ndob: 1990-04-02\r\n"
        "assigned_worker: casey\r\nintake_date: 2026-01-05\r\nstage: intake\r\n"
    )
    path = case_repo({f"clients/{client}/client.yaml": record.encode()})
    invoke_caseflow(
        "set", client, "client.yaml", "language=Spanish", cwd=path, env={"CASEFLOW_USER": "casey"}
    ).assert_success()
    committed = subprocess.run(
        ["git", "show", f"HEAD:clients/{client}/client.yaml"], cwd=path, capture_output=True, check=True
    ).stdout
    assert committed == record.encode() + b"language: Spanish\r\n"
    assert (path / f"clients/{client}/client.yaml").read_bytes() == committed
    assert git(path, "status", "--porcelain") == ""


def test_set_keeps_a_hand_written_layout(case_repo: Callable[..., Path], invoke_caseflow: Run) -> None:
    client = "C-7K2M9Q"
    record = (
        f"form: core.client\nid: {client}   \nname: Ana Example\ndob: 1990-04-02\nassigned_worker: casey\n"
        "intake_date: 2026-01-05\nstage: intake\nstage_history:\n-   to: intake\n    on: 2026-01-05\n    by: casey\n"
    )
    path = case_repo({f"clients/{client}/client.yaml": record})
    invoke_caseflow(
        "set", client, "client.yaml", "dob=1990-04-03", cwd=path, env={"CASEFLOW_USER": "casey"}
    ).assert_success()
    assert (path / f"clients/{client}/client.yaml").read_text() == record.replace("1990-04-02", "1990-04-03")


def test_setting_the_same_value_again_changes_nothing(case_repo: Callable[..., Path], invoke_caseflow: Run) -> None:
    path = case_repo()
    env = {"CASEFLOW_USER": "casey"}
    client = invoke_caseflow("intake", "--name", "Ana Example", "--dob", "1990-04-02", cwd=path, env=env).stdout.strip()
    head = git(path, "rev-parse", "HEAD")
    result = invoke_caseflow("set", client, "client.yaml", "dob=1990-04-02", cwd=path, env=env).assert_success()
    assert "nothing to change" in result.stderr
    assert git(path, "rev-parse", "HEAD") == head


def test_ctrl_c_during_the_commit_leaves_no_half_action(case_repo: Callable[..., Path], tmp_path: Path) -> None:
    import os
    import signal
    import sys
    import time

    from tests.samples import CLIENT, CLIENT_YAML

    path = case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML})
    hook = path / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nsleep 1.5\n")
    hook.chmod(0o755)
    env = {**os.environ, "CASEFLOW_USER": "casey", "GIT_CONFIG_GLOBAL": os.devnull, "CASEFLOW_PLUGINS": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "caseflow", "set", CLIENT, "client.yaml", "language=Spanish"],
        cwd=path,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.0)  # inside the pre-commit hook, as a terminal's Ctrl-C would be
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=30)
    # Either the action finished or it was undone; never a staged half (git's own commit dies).
    assert git(path, "status", "--porcelain") == "", err
    committed = git(path, "show", f"HEAD:clients/{CLIENT}/client.yaml")
    assert committed == (path / f"clients/{CLIENT}/client.yaml").read_text()
    assert err.decode().count("error: ") <= 1 and b"Traceback" not in err


def test_consents_say_whether_each_is_valid_today(case_repo: Callable[..., Path], invoke_caseflow: Run) -> None:
    from tests.samples import CLIENT, CLIENT_YAML

    expired = (
        f"form: core.consent\nid: CN-2Q4W6E\nclient: {CLIENT}\nkind: release\nregulation: hipaa\n"
        "patient_name: Ana Example\ndisclosing_party: Test Agency\ninformation_covered: [contact details]\n"
        "recipients:\n  - name: Eastside Counseling\n    provider: eastside-counseling\npurposes: [counseling]\n"
        "right_to_revoke: In writing.\nexpires_on: 2026-02-01\nsigned_by: {name: Ana Example, relationship: self}\n"
        "signed_on: 2026-01-05\nredisclosure_notice: true\nconditioning_statement: true\nstatus: active\n"
    )
    path = case_repo(
        {f"clients/{CLIENT}/client.yaml": CLIENT_YAML, f"clients/{CLIENT}/consents/CN-2Q4W6E.yaml": expired}
    )
    [row] = json.loads(invoke_caseflow("consents", CLIENT, "--json", cwd=path).assert_success().stdout)
    assert (row["id"], row["valid_today"], row["why_not"]) == ("CN-2Q4W6E", False, ["expired on 2026-02-01"])
    assert row["recipients"] == ["eastside-counseling"]
    assert "expired on 2026-02-01" in invoke_caseflow("consents", CLIENT, cwd=path).stdout
