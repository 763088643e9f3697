"""``caseflow watch`` never deletes by accident: a document that disappears is a deletion only if it
is still gone after the quiet period and a second look, with no editor's save in progress beside it;
a deletion by hand is reported once and left uncommitted unless ``--allow-delete``.

The editors' ways of saving are played with gaps longer than the quiet period, and with
``--allow-delete`` (the setting under which a mistake would be committed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.core.store import Store
from caseflow.testing import git
from tests.samples import CLIENT
from tests.watch.helpers import (
    CASEY,
    NOTE,
    RECORD,
    RUN_CASEFLOW,
    Watch,
    assert_consistent,
    commits,
    committed,
    is_commit,
    note,
    record,
    run_watch,
    watcher_for,
)

QUIET_MS = 300
QUIET = QUIET_MS / 1000
FOLDER = f"clients/{CLIENT}"


def is_deleted(rel: str) -> Callable[[dict[str, object]], bool]:
    return lambda e: e["event"] == "deleted" and e["path"] == rel


def no_deletion_committed(watch: Watch, repo: Path, before: set[str], rel: str) -> None:
    """No event says a deletion was committed, and no new commit lacks ``rel``."""
    assert not any(e["event"] == "committed" and e["deleted"] for e in watch.events), watch.events
    assert all(committed(repo, rel, c) is not None for c in commits(repo) if c not in before)


# -- a deletion by hand -------------------------------------------------------------------------


def test_a_deletion_by_hand_is_reported_once_after_two_looks_and_left_uncommitted(
    repo: Path, start_watch: Callable[..., Watch]
) -> None:
    watch = start_watch("--autocommit", "--quiet-ms", str(QUIET_MS))
    head = commits(repo)[0]
    removed = time.monotonic()
    (repo / NOTE).unlink()
    event = watch.wait_for(is_deleted(NOTE), timeout=5)
    assert time.monotonic() - removed >= 2 * QUIET  # the quiet period, then a second look
    assert event["client"] == CLIENT and event["deleted"] is True and event["commit"] is None
    watch.collect(3 * QUIET)
    assert commits(repo)[0] == head and committed(repo, NOTE) is not None
    assert [e["event"] for e in watch.events if e.get("path") == NOTE] == ["removed", "deleted"]
    assert watch.stop() == 0
    assert watch.events[-1]["uncommitted"] == []  # nothing it means to commit later either


def test_text_output_says_it_in_one_line_naming_the_client_and_the_document(repo: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, NO_COLOR="1", CASEFLOW_PLUGINS="")
    env["CASEFLOW_USER"] = "casey"
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_CASEFLOW, "watch", "--autocommit", "--quiet-ms", "200"],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None and "watching clients/" in process.stderr.readline()
        (repo / NOTE).unlink()
        assert process.stdout is not None
        line = process.stdout.readline()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == 0
    assert line.startswith(f"{NOTE}: deleted (client {CLIENT}); not committed")
    assert "--allow-delete" in line
    assert out == ""  # that one line only
    assert "0 commits" in err


def test_with_allow_delete_a_deletion_is_committed_after_the_quiet_period_and_a_second_look(
    repo: Path, start_watch: Callable[..., Watch]
) -> None:
    watch = start_watch("--autocommit", "--allow-delete", "--quiet-ms", str(QUIET_MS))
    removed = time.monotonic()
    (repo / NOTE).unlink()
    event = watch.wait_for(is_commit(NOTE), timeout=5)
    assert time.monotonic() - removed >= 2 * QUIET
    assert event["deleted"] is True and event["valid"] is None
    assert committed(repo, NOTE) is None
    assert git(repo, "show", "--name-status", "--format=", "HEAD").split() == ["D", NOTE]
    assert not any(is_deleted(NOTE)(e) for e in watch.events)  # committed, so not "left"
    assert_consistent(repo)


def test_without_autocommit_a_deletion_is_reported_and_allow_delete_is_refused(
    repo: Path, start_watch: Callable[..., Watch]
) -> None:
    watch = start_watch("--quiet-ms", str(QUIET_MS))
    head = commits(repo)[0]
    (repo / NOTE).unlink()
    watch.wait_for(is_deleted(NOTE), timeout=5)
    assert commits(repo)[0] == head
    refused = run_watch(repo, "--allow-delete")
    assert refused.returncode == 2 and "--allow-delete goes with --autocommit" in refused.stderr
    usage = run_watch(repo, "--help")
    assert "--allow-delete" in usage.stdout and "second look" in usage.stdout


# -- editors' saves, with gaps longer than the quiet period --------------------------------------


def test_vims_rename_away_save_with_a_long_gap_commits_no_deletion(
    repo: Path, start_watch: Callable[..., Watch]
) -> None:
    watch = start_watch("--autocommit", "--allow-delete", "--quiet-ms", str(QUIET_MS))
    before = set(commits(repo))
    backup = repo / f"{FOLDER}/client.yaml~"
    os.rename(repo / RECORD, backup)  # the document renamed away ...
    time.sleep(4 * QUIET)  # ... for four quiet periods (a slow disk, a large file)
    (repo / RECORD).write_text(record("555-0201"))  # ... then written anew
    backup.unlink()
    watch.wait_for(lambda e: committed(repo, RECORD) == record("555-0201"), timeout=5)
    no_deletion_committed(watch, repo, before, RECORD)
    assert not any(is_deleted(RECORD)(e) for e in watch.events)
    assert_consistent(repo, RECORD)


def test_emacs_rename_away_save_keeping_its_backup_commits_no_deletion(
    repo: Path, start_watch: Callable[..., Watch]
) -> None:
    watch = start_watch("--autocommit", "--allow-delete", "--quiet-ms", str(QUIET_MS))
    before = set(commits(repo))
    (repo / f"{FOLDER}/.#client.yaml").symlink_to("casey@laptop.1234:1700000000")  # Emacs's lock
    os.rename(repo / RECORD, repo / f"{FOLDER}/client.yaml~")  # the backup Emacs keeps
    time.sleep(4 * QUIET)
    (repo / RECORD).write_text(record("555-0202"))
    (repo / f"{FOLDER}/.#client.yaml").unlink()
    watch.wait_for(lambda e: committed(repo, RECORD) == record("555-0202"), timeout=5)
    no_deletion_committed(watch, repo, before, RECORD)


def test_jetbrains_safe_write_with_a_long_gap_commits_no_deletion(
    repo: Path, start_watch: Callable[..., Watch]
) -> None:
    watch = start_watch("--autocommit", "--allow-delete", "--quiet-ms", str(QUIET_MS))
    before = set(commits(repo))
    new, old = repo / f"{FOLDER}/client.yaml___jb_tmp___", repo / f"{FOLDER}/client.yaml___jb_old___"
    new.write_text(record("555-0203"))
    os.rename(repo / RECORD, old)
    time.sleep(4 * QUIET)
    os.rename(new, repo / RECORD)
    old.unlink()
    watch.wait_for(lambda e: committed(repo, RECORD) == record("555-0203"), timeout=5)
    no_deletion_committed(watch, repo, before, RECORD)


def test_a_temp_file_renamed_over_the_document_after_a_long_gap_commits_no_deletion(
    repo: Path, start_watch: Callable[..., Watch]
) -> None:
    watch = start_watch("--autocommit", "--allow-delete", "--quiet-ms", str(QUIET_MS))
    before = set(commits(repo))
    temp = repo / f"{FOLDER}/.client.yaml.Xq81.tmp"
    with open(temp, "w", encoding="utf-8") as handle:
        handle.write(record("555-0204")[:20])
        handle.flush()
        time.sleep(4 * QUIET)  # written slowly
        handle.write(record("555-0204")[20:])
    os.replace(temp, repo / RECORD)
    watch.wait_for(lambda e: committed(repo, RECORD) == record("555-0204"), timeout=5)
    no_deletion_committed(watch, repo, before, RECORD)


def test_a_removal_then_a_slow_temp_file_renamed_into_place_commits_no_deletion(
    repo: Path, start_watch: Callable[..., Watch]
) -> None:
    watch = start_watch("--autocommit", "--allow-delete", "--quiet-ms", str(QUIET_MS))
    before = set(commits(repo))
    (repo / RECORD).unlink()
    temp = repo / f"{FOLDER}/.client.yaml.Zr22.tmp"
    temp.write_text(record("555-0205")[:20])
    time.sleep(4 * QUIET)
    temp.write_text(record("555-0205"))
    os.replace(temp, repo / RECORD)
    watch.wait_for(lambda e: committed(repo, RECORD) == record("555-0205"), timeout=5)
    no_deletion_committed(watch, repo, before, RECORD)


def test_a_delete_and_recreate_with_a_gap_longer_than_the_quiet_period_commits_no_deletion(
    repo: Path, start_watch: Callable[..., Watch]
) -> None:
    """No editor's file is left to tell: the second look, one quiet period on, sees it back."""
    quiet_ms = 500  # a wide margin either side of the gap, on a loaded machine
    watch = start_watch("--autocommit", "--allow-delete", "--quiet-ms", str(quiet_ms))
    before = set(commits(repo))
    (repo / RECORD).unlink()
    time.sleep(1.4 * quiet_ms / 1000)  # longer than the quiet period, shorter than two
    (repo / RECORD).write_text(record("555-0206"))
    watch.wait_for(lambda e: committed(repo, RECORD) == record("555-0206"), timeout=5)
    no_deletion_committed(watch, repo, before, RECORD)
    assert [e["event"] for e in watch.events if e.get("path") == RECORD] == ["removed", "checked", "committed"]


def test_a_save_that_never_finishes_is_never_a_deletion_until_the_editors_backup_goes_too(
    repo: Path, start_watch: Callable[..., Watch]
) -> None:
    """The editor died after renaming the document away: what is left is its backup. Only once that
    is removed too has the document been deleted."""
    watch = start_watch("--autocommit", "--allow-delete", "--quiet-ms", str(QUIET_MS))
    head = commits(repo)[0]
    backup = repo / f"{FOLDER}/client.yaml~"
    os.rename(repo / RECORD, backup)
    watch.collect(5 * QUIET)
    assert commits(repo)[0] == head
    assert not any(e["event"] in ("deleted", "committed") for e in watch.events)
    backup.unlink()
    watch.wait_for(is_commit(RECORD), timeout=5)
    assert committed(repo, RECORD) is None


# -- the looks, set up exactly ------------------------------------------------------------------


def test_each_look_asks_the_file_system(repo: Path) -> None:
    watcher, events, _ = watcher_for(repo, allow_delete=True)
    head = commits(repo)[0]
    (repo / RECORD).unlink()
    watcher.judge(RECORD)
    assert watcher.look_at_missing(CLIENT) == []  # first look
    (repo / f"{FOLDER}/.client.yaml.swp").write_bytes(b"b0VIM")  # vim still has it open
    assert watcher.look_at_missing(CLIENT) == []  # a save in progress: the looks start over
    (repo / f"{FOLDER}/.client.yaml.swp").unlink()
    (repo / f"{FOLDER}/.plan.yaml.swp").write_bytes(b"b0VIM")  # another document's swap file
    assert watcher.look_at_missing(CLIENT) == []
    (repo / RECORD).write_text(record("555-0207"))  # back, with no event seen
    assert watcher.look_at_missing(CLIENT) == []
    assert watcher.settler.settled(time.monotonic() + 1) == [RECORD]  # so it is judged again
    watcher.judge(RECORD)
    (repo / RECORD).unlink()
    watcher.judge(RECORD)
    assert watcher.look_at_missing(CLIENT) == []
    assert watcher.look_at_missing(CLIENT) == [RECORD]
    assert commits(repo)[0] == head
    assert [e.kind for e in events] == ["removed", "checked", "removed"]


def test_an_old_editors_backup_is_no_evidence_of_a_save(repo: Path) -> None:
    backup = repo / f"{FOLDER}/client.yaml~"
    backup.write_text("kept by Emacs from a save long ago\n")
    watcher, events, _ = watcher_for(repo, allow_delete=False)
    (repo / RECORD).unlink()
    watcher.judge(RECORD)
    watcher._missing[RECORD].since_ns += 60 * 10**9  # found missing a minute after the backup was made
    watcher.quiet(CLIENT)
    watcher.quiet(CLIENT)
    assert [e.kind for e in events] == ["removed", "deleted"]
    watcher.quiet(CLIENT)  # said once
    assert [e.kind for e in events] == ["removed", "deleted"]


def test_a_deletion_seen_at_start_goes_through_the_same_looks(repo: Path) -> None:
    (repo / NOTE).unlink()  # while no watch ran
    watcher, events, _ = watcher_for(repo, allow_delete=True)
    watcher.reconcile()
    for path in watcher.settler.settled(time.monotonic() + 1):
        watcher.judge(path)
    head = commits(repo)[0]
    watcher.quiet(CLIENT)
    assert commits(repo)[0] == head
    watcher.quiet(CLIENT)
    assert committed(repo, NOTE) is None
    assert [e.kind for e in events] == ["removed", "committed"]


# -- git's untracked cache ----------------------------------------------------------------------


def _phantom(repo: Path, rel: str) -> bool:
    """Make caseflow's listing name an untracked file that is gone: the file is listed (git keeps
    the folder's listing, stamped to the second) and removed within the same second, then git's
    index is written in a later second (as watch's own commit writes it), so git trusts its stale
    listing of that folder. False if the second ran out first."""
    store = Store(repo)
    time.sleep(1 - time.time() % 1 + 0.01)  # the start of a second
    second = int(time.time())
    (repo / rel).write_text(note("# Contact note\n", "2026-01-12", "home"))
    store.worktree_listing("clients")  # git records the folder's listing in its index
    (repo / rel).unlink()
    if int(time.time()) != second or int((repo / rel).parent.stat().st_mtime) != second:
        return False
    time.sleep(1 - time.time() % 1 + 0.01)
    (repo / RECORD).write_text(record("555-0208"))
    store.commit_files(CASEY, {RECORD: record("555-0208").encode()}, action="edit", client=CLIENT)
    return True


def test_gits_untracked_cache_can_list_a_file_that_is_gone_and_watch_asks_the_file_system(repo: Path) -> None:
    """caseflow's listing (``git status`` with the untracked cache) names a note that is gone; watch
    uses it only to know what to look at, and each look asks the file system."""
    gone = f"{FOLDER}/visits/2026-01-12-home.md"
    if not any(_phantom(repo, gone) for _ in range(3)):
        pytest.skip("the machine is too busy to do three steps within one second")
    _, changed = Store(repo).worktree_listing("clients")
    if gone not in changed:
        pytest.skip("this git re-reads the folder (its untracked cache is not fooled)")
    assert not (repo / gone).exists()  # listed, but not there
    watcher, events, _ = watcher_for(repo, allow_delete=True)
    head = commits(repo)[0]
    watcher.reconcile()
    for path in watcher.settler.settled(time.monotonic() + 1):
        watcher.judge(path)
    watcher.quiet(CLIENT)
    watcher.quiet(CLIENT)
    assert events == [] and commits(repo)[0] == head  # nothing checked, removed or committed
