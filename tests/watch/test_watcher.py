"""``caseflow watch``, driven by real file operations in the ways editors save, against real git.

Most tests run the real command in a subprocess and read its ``--json`` lines; a few call the
watcher and ``Store.commit_files`` directly where a race has to be set up exactly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from caseflow.core.store import Store
from caseflow.errors import StoreError
from caseflow.testing import git
from tests.samples import CLIENT, CLIENT_YAML
from tests.watch.helpers import (
    CASEY,
    NOTE,
    RECORD,
    RUN_CASEFLOW,
    Watch,
    assert_consistent,
    commits,
    committed,
    is_check,
    is_commit,
    note,
    record,
    run_watch,
    watcher_for,
)

# -- the ways editors save -----------------------------------------------------------------------


def test_a_write_in_place_is_checked_at_once_and_committed_by_the_acting_person(
    repo: Path, start_watch: Callable[..., Watch]
) -> None:
    watch = start_watch("--autocommit", "--quiet-ms", "300")
    saved = time.monotonic()
    with open(repo / RECORD, "r+", encoding="utf-8") as handle:  # truncate and write, same inode
        handle.truncate(0)
        handle.write(record("555-0101"))
    watch.wait_for(is_check(RECORD), timeout=3)
    assert time.monotonic() - saved < 3  # generous: the settle delay is 150 ms
    event = watch.wait_for(is_commit(RECORD), timeout=5)
    assert committed(repo, RECORD) == record("555-0101")
    assert event["commit"] == git(repo, "rev-parse", "HEAD").strip()
    assert event["client"] == CLIENT and event["valid"] is True and event["deleted"] is False
    log = git(repo, "log", "-1", "--format=%an <%ae>|%cn|%B")
    assert log.startswith(f"Casey Rivera <casey@riverbend.example>|Casey Rivera|edit {CLIENT}\n")
    assert "Caseflow-Action: edit" in log
    assert_consistent(repo, RECORD)
    assert watch.stop() == 0
    assert watch.events[-1] == {"event": "stopped", "checked": 1, "invalid": 0, "commits": 1, "uncommitted": []}


def test_an_atomic_save_through_a_temp_file_commits_only_the_document(
    repo: Path, start_watch: Callable[..., Watch]
) -> None:
    watch = start_watch("--autocommit", "--quiet-ms", "300")
    before = len(commits(repo))
    temp = repo / f"clients/{CLIENT}/.client.yaml.x7Q2.tmp"
    temp.write_text(record("555-0102"))
    os.replace(temp, repo / RECORD)
    watch.wait_for(is_commit(RECORD), timeout=5)
    watch.collect(0.5)
    assert len(commits(repo)) == before + 1
    assert committed(repo, RECORD) == record("555-0102")
    assert all(e["path"] == RECORD for e in watch.events if "path" in e)  # the temp file was never judged
    assert_consistent(repo)


def test_vims_rename_away_backup_and_write_probe(repo: Path, start_watch: Callable[..., Watch]) -> None:
    watch = start_watch("--autocommit", "--quiet-ms", "300")
    folder = repo / f"clients/{CLIENT}"
    (folder / "4913").write_bytes(b"")  # vim checks it may create files in the folder
    (folder / "4913").unlink()
    os.rename(repo / RECORD, folder / "client.yaml~")  # backup by renaming the original away
    with open(repo / RECORD, "w", encoding="utf-8") as handle:
        handle.write(record("555-0103"))
        handle.flush()
        os.fsync(handle.fileno())
    (folder / "client.yaml~").unlink()
    watch.wait_for(is_commit(RECORD), timeout=5)
    assert committed(repo, RECORD) == record("555-0103")
    assert not any(e.get("deleted") for e in watch.events)
    assert {e["path"] for e in watch.events if "path" in e} == {RECORD}
    assert_consistent(repo)


def test_gedits_output_stream_renamed_over_the_document(repo: Path, start_watch: Callable[..., Watch]) -> None:
    watch = start_watch("--autocommit", "--quiet-ms", "300")
    stream = repo / f"clients/{CLIENT}/.goutputstream-3GKB51"
    stream.write_text(note("# Contact note\n\nA home visit.\n"))
    os.rename(stream, repo / NOTE)
    watch.wait_for(is_commit(NOTE), timeout=5)
    assert committed(repo, NOTE) == note("# Contact note\n\nA home visit.\n")
    assert_consistent(repo)


# -- what is never committed ---------------------------------------------------------------------


def test_an_invalid_edit_is_reported_and_never_committed_until_it_is_fixed(
    repo: Path, start_watch: Callable[..., Watch]
) -> None:
    watch = start_watch("--autocommit", "--quiet-ms", "300")
    head = commits(repo)[0]
    (repo / RECORD).write_text(CLIENT_YAML.replace("intake_date: 2026-01-05", "intake_date: 2026-13-45"))
    event = watch.wait_for(is_check(RECORD, valid=False), timeout=3)
    [problem] = event["problems"]
    assert (problem["path"], problem["line"], problem["col"]) == (RECORD, 6, 14)
    watch.collect(0.9)  # three quiet periods
    assert commits(repo)[0] == head
    assert not any(e["event"] == "committed" for e in watch.events)

    (repo / RECORD).write_text(record("555-0104"))
    watch.wait_for(is_check(RECORD, valid=True), timeout=3)
    watch.wait_for(is_commit(RECORD), timeout=5)
    assert committed(repo, RECORD) == record("555-0104")
    assert watch.stop() == 0
    assert watch.events[-1]["invalid"] == 1


def test_text_output_uses_path_line_col_and_says_when_it_is_valid_again(repo: Path, run_caseflow: Any) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, NO_COLOR="1", CASEFLOW_PLUGINS="")
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_CASEFLOW, "watch", "--quiet-ms", "200"],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None and "watching clients/" in process.stderr.readline()
        head = commits(repo)[0]
        (repo / RECORD).write_text(CLIENT_YAML.replace("assigned_worker: casey", "assigned_worker: 17"))
        time.sleep(0.6)
        (repo / RECORD).write_text(record("555-0105"))
        time.sleep(0.6)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == 0
    assert out.splitlines() == [
        f"{RECORD}:5:18: Assigned case manager: expected string, got 17",
        f"{RECORD}: valid again",
    ]
    assert "stopped: 2 checked, 1 invalid, 0 commits" in err
    assert commits(repo)[0] == head  # without --autocommit nothing is committed


def test_a_burst_of_200_edits_ends_with_exactly_the_final_content_committed(
    repo: Path, start_watch: Callable[..., Watch]
) -> None:
    watch = start_watch("--autocommit", "--quiet-ms", "300")
    before = set(commits(repo))
    versions = [note(f"# Contact note\n\nEdit {n}.\n" + "More words. " * n) for n in range(200)]
    target = repo / NOTE
    for text in versions:
        with open(target, "r+", encoding="utf-8") as handle:  # in place: a reader can see half of it
            handle.truncate(0)
            handle.write(text[: len(text) // 2])
            handle.flush()
            handle.write(text[len(text) // 2 :])
    watch.wait_for(lambda e: e["event"] == "committed" and committed(repo, NOTE) == versions[-1], timeout=8)
    new = [c for c in commits(repo) if c not in before]
    assert 1 <= len(new) <= 5
    assert all(committed(repo, NOTE, c) in versions for c in new)  # no half-written state, ever
    assert_consistent(repo, NOTE)


def test_a_document_written_in_chunks_is_committed_only_when_complete(
    repo: Path, start_watch: Callable[..., Watch]
) -> None:
    watch = start_watch("--autocommit", "--quiet-ms", "800")
    before = set(commits(repo))
    body = "# Contact note\n\n## Purpose\n\nCheck in.\n\n## What happened\n\nTalked.\n\n## Next steps\n\nCall.\n"
    complete = note(body, "2026-01-11", "phone")
    chunks = [complete[i : i + 40] for i in range(0, len(complete), 40)]
    target = repo / f"clients/{CLIENT}/visits/2026-01-11-phone.md"
    rel = f"clients/{CLIENT}/visits/2026-01-11-phone.md"
    with open(target, "w", encoding="utf-8") as handle:
        for chunk in chunks:
            handle.write(chunk)
            handle.flush()
            time.sleep(0.25)  # longer than the settle delay, shorter than the quiet period
    watch.wait_for(is_commit(rel), timeout=5)
    new = [c for c in commits(repo) if c not in before]
    assert [committed(repo, rel, c) for c in new] == [complete]
    assert any(is_check(rel)(e) or is_check(rel, valid=False)(e) for e in watch.events[:-2])  # judged meanwhile


def test_a_removal_in_the_middle_of_a_save_is_never_committed(repo: Path, start_watch: Callable[..., Watch]) -> None:
    watch = start_watch("--autocommit", "--quiet-ms", "800")
    before = set(commits(repo))
    (repo / RECORD).unlink()  # a save that removes first, then writes after a pause
    watch.wait_for(lambda e: e["event"] == "removed" and e["path"] == RECORD, timeout=3)
    time.sleep(0.3)
    (repo / RECORD).write_text(record("555-0106"))
    watch.wait_for(is_commit(RECORD), timeout=5)
    assert committed(repo, RECORD) == record("555-0106")
    assert [committed(repo, RECORD, c) for c in commits(repo) if c not in before] == [record("555-0106")]
    assert not any(e.get("deleted") for e in watch.events)


def test_its_own_commits_cause_no_further_commits(repo: Path, start_watch: Callable[..., Watch]) -> None:
    watch = start_watch("--autocommit", "--quiet-ms", "300")
    (repo / RECORD).write_text(record("555-0107"))
    watch.wait_for(is_commit(RECORD), timeout=5)
    head, count = commits(repo)[0], len(watch.events)
    watch.collect(1.0)
    assert commits(repo)[0] == head
    assert len(watch.events) == count


def test_killed_mid_burst_then_restarted_it_commits_what_was_left(
    repo: Path, start_watch: Callable[..., Watch]
) -> None:
    watch = start_watch("--autocommit", "--quiet-ms", "100")
    second = f"clients/{CLIENT}/visits/2026-01-12-home.md"
    for n in range(60):
        (repo / RECORD).write_text(record(f"555-{n:04d}"))
        (repo / second).write_text(note(f"# Contact note\n\nVisit {n}.\n", "2026-01-12", "home"))
        if n == 40:
            watch.process.send_signal(signal.SIGKILL)
        time.sleep(0.01)
    watch.process.wait(timeout=5)

    restarted = start_watch("--autocommit", "--quiet-ms", "100")  # reconciles with git status at start
    restarted.wait_for(lambda e: committed(repo, RECORD) == record("555-0059"), timeout=5)
    restarted.wait_for(lambda e: committed(repo, second) == (repo / second).read_text(), timeout=5)
    assert restarted.stop() == 0
    assert_consistent(repo, RECORD, second)


def test_ctrl_c_at_a_terminal_during_commits_leaves_head_and_the_index_in_agreement(
    repo: Path, start_watch: Callable[..., Watch]
) -> None:
    watch = start_watch("--autocommit", "--quiet-ms", "50", own_group=True)
    for n in range(40):
        (repo / RECORD).write_text(record(f"555-{n:04d}"))
        time.sleep(0.02 if n % 8 else 0.2)  # pauses long enough for commits now and then
        if n == 30:
            os.killpg(watch.process.pid, signal.SIGINT)  # what a terminal does: git processes get it too
    assert watch.process.wait(timeout=10) == 0
    assert subprocess.run(["git", "diff", "--cached", "--quiet"], cwd=repo, check=False).returncode == 0
    assert_consistent(repo, f"clients/{CLIENT}/visits")


def test_sigterm_stops_cleanly(repo: Path, start_watch: Callable[..., Watch]) -> None:
    watch = start_watch("--autocommit", "--quiet-ms", "300")
    assert watch.stop(signal.SIGTERM) == 0
    assert watch.events[-1]["event"] == "stopped"


# -- the steps, set up exactly -------------------------------------------------------------------


def test_a_file_that_changes_after_it_was_checked_waits_for_the_next_quiet_period(repo: Path) -> None:
    watcher, events, _ = watcher_for(repo)
    head = commits(repo)[0]
    (repo / RECORD).write_text(record("555-0108"))
    watcher.judge(RECORD)
    (repo / RECORD).write_text(record("555-0109") + "# still typing\n")  # no event seen yet
    watcher.commit(CLIENT)
    assert commits(repo)[0] == head  # the checked bytes are no longer what is on disk
    assert watcher.settler.settled(time.monotonic() + 1) == [RECORD]  # so it is judged again
    watcher.judge(RECORD)
    watcher.commit(CLIENT)
    assert committed(repo, RECORD) == record("555-0109") + "# still typing\n"
    assert [e.kind for e in events] == ["checked", "checked", "committed"]


def test_a_removal_is_committed_only_if_the_file_is_still_gone(repo: Path) -> None:
    watcher, events, _ = watcher_for(repo, allow_delete=True)
    head = commits(repo)[0]
    (repo / NOTE).unlink()
    watcher.judge(NOTE)
    assert watcher.look_at_missing(CLIENT) == []  # the first look: one more to go
    deleted = watcher.look_at_missing(CLIENT)
    assert deleted == [NOTE]
    (repo / NOTE).write_text(note("# Rewritten\n"))  # the second half of a save, just in time
    watcher.commit(CLIENT, deleted)
    assert commits(repo)[0] == head  # asked once more under the lock, right before committing
    assert [e.kind for e in events] == ["removed"]


def test_commit_files_leaves_what_a_person_staged_and_the_working_tree_alone(repo: Path) -> None:
    store = Store(repo)
    (repo / "providers").mkdir(exist_ok=True)
    (repo / "providers/staged.yaml").write_text("id: staged\n")
    git(repo, "add", "providers/staged.yaml")
    (repo / RECORD).write_text(record("555-0110"))
    commit = store.commit_files(CASEY, {RECORD: record("555-0110").encode()}, action="edit", client=CLIENT)
    assert commit == git(repo, "rev-parse", "HEAD").strip()
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == [RECORD]
    assert git(repo, "status", "--porcelain").splitlines() == ["A  providers/staged.yaml"]
    assert store.commit_files(CASEY, {RECORD: record("555-0110").encode()}, action="edit", client=CLIENT) is None


def test_commit_files_refuses_conflict_markers_and_skips_what_keep_refuses(repo: Path) -> None:
    store = Store(repo)
    head = commits(repo)[0]
    marked = b"form: core.client\n<<<<<<< ours\nid: x\n>>>>>>> theirs\n"
    with pytest.raises(StoreError, match="conflict markers"):
        store.commit_files(CASEY, {RECORD: marked}, action="edit", client=CLIENT)
    asked: list[str] = []
    kept = store.commit_files(
        CASEY, {RECORD: b"x: 1\n", NOTE: None}, action="edit", client=CLIENT, keep=lambda p, _: asked.append(p) or False
    )
    assert kept is None and sorted(asked) == sorted([RECORD, NOTE])
    assert commits(repo)[0] == head


def test_polling_sees_saves_too(repo: Path, start_watch: Callable[..., Watch]) -> None:
    watch = start_watch("--autocommit", "--quiet-ms", "300", "--polling")
    assert watch.events[0]["polling"] is True
    (repo / RECORD).write_text(record("555-0111"))
    watch.wait_for(is_commit(RECORD), timeout=5)
    assert committed(repo, RECORD) == record("555-0111")


def test_autocommit_needs_a_known_staff_member_and_the_options_are_checked(repo: Path) -> None:
    refused = run_watch(repo, "--autocommit")
    assert refused.returncode == 1 and refused.stderr.startswith("error: who is acting?")
    assert run_watch(repo, "--quiet-ms", "10").returncode == 2
    usage = run_watch(repo, "--help")
    assert usage.returncode == 0 and "--autocommit" in usage.stdout and "path:line:col" in usage.stdout


def test_an_index_left_behind_by_a_crash_after_the_commit_is_repaired_at_start(repo: Path) -> None:
    store = Store(repo)
    (repo / RECORD).write_text(record("555-0112"))
    store.commit_files(CASEY, {RECORD: record("555-0112").encode()}, action="edit", client=CLIENT)
    git(repo, "read-tree", "HEAD~1")  # as if killed after HEAD moved, before git's index was updated
    assert git(repo, "status", "--porcelain", "--", RECORD).strip() == f"MM {RECORD}"
    head = commits(repo)[0]
    watcher, _, _ = watcher_for(repo)
    watcher.reconcile()
    for path in watcher.settler.settled(time.monotonic() + 1):
        watcher.judge(path)
    watcher.commit(CLIENT)
    assert commits(repo)[0] == head  # nothing new to commit ...
    assert_consistent(repo)  # ... but git's index agrees with HEAD again
