"""The writers' queue (:mod:`caseflow.core.writelock`): first come, first served among the processes of
one clone, dead waiters skipped, a timeout that grows with the queue and is renewed as it moves, one
line saying who holds the lock when the wait is long. Real processes wherever it is about processes;
then real ``caseflow visit`` commands, twenty at once (and, ``slow``, twenty times a hundred with
``caseflow watch --autocommit`` running)."""

from __future__ import annotations

import contextlib
import fcntl
import inspect
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from queue import Empty, SimpleQueue

import click
import pytest

from caseflow.core import layout, writelock
from caseflow.core.store import Store
from caseflow.core.writelock import LockHolder, WriteLock, clear_dead, holder, queue, write_lock
from caseflow.errors import LockTimeout, StoreError
from caseflow.testing import git

#: A process that takes the lock (``root hold-seconds wait-seconds command``), says "held", holds
#: it (a negative time: until a line comes on its standard input), and exits 3 on a timeout.
_HOLD = """
import sys, time
from pathlib import Path
from caseflow.core.writelock import write_lock
from caseflow.errors import LockTimeout
root, hold, wait, command = Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
try:
    with write_lock(root, wait=wait, command=command):
        print("held", flush=True)
        sys.stdin.readline() if hold < 0 else time.sleep(hold)
except LockTimeout as exc:
    print(exc, flush=True)
    sys.exit(3)
"""


def _wired() -> bool:
    return "write_lock" in inspect.getsource(Store.lock)


#: ``Store.lock`` takes this module's lock (the replacement body below). Until it does, the tests of
#: real ``caseflow`` commands run them with ``Store.lock`` replaced by that body in each process.
WIRED = _wired()

#: ``caseflow`` with Store.lock as it will be once wired (the same as ``python -m caseflow`` then).
_CASEFLOW_WITH_QUEUE = """
import contextlib, sys
from caseflow.core import store
from caseflow.core.writelock import write_lock

@contextlib.contextmanager
def lock(self, wait=store.LOCK_WAIT_SECONDS):
    with write_lock(self.root, wait=wait):
        yield

store.Store.lock = lock
from caseflow.cli import main
main(sys.argv[1:])
"""


def caseflow_command() -> list[str]:
    if WIRED:
        return [sys.executable, "-m", "caseflow"]
    return [sys.executable, "-c", _CASEFLOW_WITH_QUEUE]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path


_STARTED: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _reap() -> Iterator[None]:
    """Every process a test started is gone, and its pipes closed, when the test ends."""
    yield
    while _STARTED:
        process = _STARTED.pop()
        if process.poll() is None:
            process.kill()
        process.communicate()


def start_holder(
    root: Path, hold: float = 30.0, wait: float = 60.0, command: str = "caseflow visit", log: Path | None = None
) -> subprocess.Popen[str]:
    env = {**os.environ, writelock.LOG_ENV: str(log)} if log else None
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(root), str(hold), str(wait), command],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    _STARTED.append(process)
    return process


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def queued_pids(root: Path) -> list[int]:
    return [entry.pid for entry in queue(root)]


def leftovers(root: Path) -> list[str]:
    """What the queue holds besides its counter (nothing, once every process has left it)."""
    folder = root / layout.LOCK_QUEUE
    return sorted(name for name in os.listdir(folder) if name != "counter") if folder.exists() else []


@contextlib.contextmanager
def held_in_thread(root: Path, command: str = "caseflow visit") -> Iterator[threading.Event]:
    """Hold the lock in another thread until the ``with`` block ends."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with write_lock(root, command=command):
            holding.set()
            release.wait(30)

    worker = threading.Thread(target=hold)
    worker.start()
    try:
        assert holding.wait(10)
        yield holding
    finally:
        release.set()
        worker.join()


def read_log(log: Path) -> list[dict[str, float]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


# -- one process --------------------------------------------------------------------------------


def test_an_uncontended_lock_leaves_only_its_counter_and_an_empty_lock_file(root: Path) -> None:
    for _ in range(3):
        with write_lock(root):
            assert (root / layout.LOCK).exists()
            assert holder(root) is not None
    assert holder(root) is None
    assert leftovers(root) == []
    assert os.path.getsize(root / layout.LOCK) == 0  # who holds it is kept elsewhere
    assert (root / layout.LOCK_QUEUE / "counter").read_text() == "4\n"


def test_the_holder_is_known_by_pid_and_command_never_by_its_arguments(root: Path) -> None:
    command = click.Group("caseflow", commands=[click.Command("visit")])
    parent = click.Context(command, info_name="caseflow")
    context = click.Context(click.Command("visit"), info_name="visit", parent=parent)
    with context.scope(), write_lock(root):
        current = holder(root)
        assert current is not None
        assert (current.pid, current.command) == (os.getpid(), "caseflow visit")
        assert current.since is not None and abs(current.since - time.time()) < 5
        assert current.describe().startswith(f"pid {os.getpid()} (caseflow visit) has held it for ")
        assert queue(root) == [current]
        ticket = (root / layout.LOCK_QUEUE / f"{current.ticket:012d}").read_text()
        assert set(json.loads(ticket)) == {"pid", "command", "arrived"}


def test_one_thread_may_take_it_again_another_waits(root: Path) -> None:
    with write_lock(root), write_lock(root):  # re-entrant in one thread
        got: list[str] = []

        def other() -> None:
            try:
                with write_lock(root, wait=0.2, per_waiter=0):
                    got.append("held")
            except LockTimeout:
                got.append("timeout")

        worker = threading.Thread(target=other)
        worker.start()
        worker.join()
        assert got == ["timeout"]
        assert holder(root) is not None  # the inner release did not let go
    with write_lock(root, wait=0.2):
        pass


def test_a_timeout_is_one_line_naming_the_holder_and_leaves_no_ticket(root: Path) -> None:
    with held_in_thread(root, command="caseflow sync"):
        started = time.monotonic()
        with pytest.raises(LockTimeout) as caught, write_lock(root, wait=0.3):
            pass
        took = time.monotonic() - started
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("another caseflow command is writing to this repository: ")
    assert f"pid {os.getpid()} (caseflow sync) has held it for" in message and message.endswith("; try again")
    assert 0.3 <= took < 2
    assert leftovers(root) == []


def test_the_timeout_grows_with_each_waiter_ahead(root: Path) -> None:
    with held_in_thread(root):
        behind = threading.Thread(target=lambda: _wait_quietly(root, wait=10))
        behind.start()
        wait_until(lambda: len(queue(root)) == 2)
        started = time.monotonic()
        with pytest.raises(LockTimeout, match="1 more waiting ahead"), write_lock(root, wait=0.3, per_waiter=0.6):
            pass
        took = time.monotonic() - started
    behind.join()
    assert 0.85 <= took < 5  # 0.3 s, and 0.6 s for the one waiting ahead


def _wait_quietly(root: Path, wait: float) -> None:
    with contextlib.suppress(LockTimeout), write_lock(root, wait=wait):
        pass


def test_the_allowance_is_renewed_each_time_the_queue_moves(root: Path) -> None:
    """Five writers ahead, each holding 0.3 s: a writer allowed 1 s without movement is served."""
    order: list[int] = []

    def writer(number: int) -> None:
        with write_lock(root, wait=30):
            order.append(number)
            time.sleep(0.3)

    writers = []
    for number in range(5):
        writers.append(threading.Thread(target=writer, args=(number,)))
        writers[-1].start()
        wait_until(lambda n=number: len(queue(root)) == n + 1)
    started = time.monotonic()
    with write_lock(root, wait=1.0, per_waiter=0):
        waited = time.monotonic() - started
    for thread in writers:
        thread.join()
    assert order == [0, 1, 2, 3, 4]
    assert waited > 1.0  # longer than the 1 s allowed: it was renewed as the queue moved


def test_a_long_wait_says_once_who_holds_the_lock(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writelock, "LONG_WAIT_SECONDS", 0.2)
    said: list[str] = []
    release = threading.Event()

    def later() -> None:
        time.sleep(0.8)
        release.set()

    holding = threading.Event()

    def hold() -> None:
        with write_lock(root, command="caseflow watch"):
            holding.set()
            release.wait(10)

    worker = threading.Thread(target=hold)
    worker.start()
    assert holding.wait(10)
    threading.Thread(target=later).start()
    with write_lock(root, notify=said.append):
        pass
    worker.join()
    assert len(said) == 1
    assert said[0].startswith(
        f"waiting for the repository's writers' lock: pid {os.getpid()} (caseflow watch) has held"
    )


def test_an_interrupted_wait_leaves_no_ticket(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writelock, "LONG_WAIT_SECONDS", 0.05)

    def interrupt(message: str) -> None:
        raise KeyboardInterrupt

    with held_in_thread(root):
        with pytest.raises(KeyboardInterrupt), write_lock(root, notify=interrupt):
            pass
        assert len(queue(root)) == 1
    assert leftovers(root) == []


def test_the_test_without_waiting_and_an_older_caseflow_are_still_kept_out(root: Path) -> None:
    store = Store(root)
    with write_lock(root), store.try_lock() as mine:
        assert mine is False  # Store.try_lock (the journal's heal, git's index refresh) sees it held
    fd = os.open(root / layout.LOCK, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # what an older caseflow's Store.lock does
        with pytest.raises(LockTimeout), write_lock(root, wait=0.2):
            pass
    finally:
        os.close(fd)
    with write_lock(root, wait=0.2):
        pass


def test_a_clone_where_the_queue_cannot_be_made_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / layout.LOCAL_DIR).write_text("not a folder")
    refused = pytest.raises(StoreError, match=r"^cannot take the writers' lock in \.caseflow/ \(")
    with refused as caught, write_lock(tmp_path):
        pass
    assert not isinstance(caught.value, LockTimeout)


def test_a_damaged_counter_and_half_made_tickets_are_put_right(root: Path) -> None:
    folder = root / layout.LOCK_QUEUE
    folder.mkdir(parents=True)
    (folder / "counter").write_text("")  # a process killed while writing it
    (folder / ".tmp.99999.1.7").write_text("{")  # and one killed while making its ticket
    dead = folder / f"{41:012d}"  # a ticket of a process that is gone (nobody holds its flock)
    dead.write_text(json.dumps({"pid": 99999999, "command": "caseflow visit", "arrived": 0}))
    with write_lock(root, wait=1):
        mine = holder(root)
        assert mine is not None and mine.ticket == 42  # after every ticket present
    assert leftovers(root) == []


def test_a_reused_pid_is_not_a_live_waiter(root: Path) -> None:
    """A ticket left by a dead process whose pid now belongs to another (here, this test's own
    process) does not hold the queue up: nobody holds its flock."""
    folder = root / layout.LOCK_QUEUE
    folder.mkdir(parents=True)
    entry = {"pid": os.getpid(), "command": "caseflow visit", "arrived": 0}
    (folder / f"{5:012d}").write_text(json.dumps(entry))
    assert queue(root) == []
    started = time.monotonic()
    with write_lock(root, wait=1):
        assert time.monotonic() - started < 0.5
    assert leftovers(root) == []


# -- processes ------------------------------------------------------------------------------------


def test_waiters_are_served_in_the_order_they_came(root: Path, tmp_path: Path) -> None:
    log = tmp_path / "lock.log"
    first = start_holder(root, hold=30, log=log)
    assert first.stdout is not None and first.stdout.readline() == "held\n"
    waiters = []
    for number in range(8):
        waiters.append(start_holder(root, hold=0.05, log=log))
        wait_until(lambda n=number: len(queue(root)) == n + 2)
    arrival = [w.pid for w in waiters]
    assert queued_pids(root) == [first.pid, *arrival]
    first.send_signal(signal.SIGKILL)  # the holder dies: the kernel lets go of its locks
    first.wait()
    for waiter in waiters:
        assert waiter.wait(30) == 0
    served = [row["pid"] for row in sorted(read_log(log), key=lambda row: row["acquired"])]
    assert served == arrival
    assert leftovers(root) == []


def release(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.write("go\n")
    process.stdin.flush()


def test_a_killed_waiter_does_not_block_the_queue(root: Path, tmp_path: Path) -> None:
    log = tmp_path / "lock.log"
    first = start_holder(root, hold=-1, log=log)
    assert first.stdout is not None and first.stdout.readline() == "held\n"
    waiters = []
    for number in range(3):
        waiters.append(start_holder(root, hold=0.05, log=log))
        wait_until(lambda n=number: len(queue(root)) == n + 2)
    doomed = waiters[1]
    doomed.send_signal(signal.SIGKILL)  # in the middle of the queue, its ticket left behind
    doomed.wait()
    assert len(os.listdir(root / layout.LOCK_QUEUE)) >= 5  # counter, holder link and 4 tickets
    release(first)
    for waiter in (first, waiters[0], waiters[2]):
        assert waiter.wait(30) == 0
    served = [row["pid"] for row in sorted(read_log(log), key=lambda row: row["acquired"])]
    assert served == [first.pid, waiters[0].pid, waiters[2].pid]
    rows = {row["pid"]: row for row in read_log(log)}
    assert rows[waiters[2].pid]["acquired"] - rows[waiters[0].pid]["released"] < 3  # not the dead one's 15 s
    assert leftovers(root) == []


def test_a_killed_holder_hands_over_at_once(root: Path) -> None:
    """Even while the killed process is not reaped yet (a zombie: its pid still answers)."""
    first = start_holder(root, hold=30)
    assert first.stdout is not None and first.stdout.readline() == "held\n"
    current = holder(root)
    assert current is not None and current.pid == first.pid
    threading.Timer(0.3, first.kill).start()
    started = time.monotonic()
    with write_lock(root, wait=5):
        waited = time.monotonic() - started
    first.wait()
    assert waited < 1.3
    assert holder(root) is None
    assert clear_dead(root) == 0 and leftovers(root) == []


def test_a_long_wait_prints_one_line_on_standard_error(root: Path) -> None:
    first = start_holder(root, hold=-1, command="caseflow sync")
    assert first.stdout is not None and first.stdout.readline() == "held\n"
    second = start_holder(root, hold=0)
    wait_until(lambda: len(queue(root)) == 2)
    time.sleep(writelock.LONG_WAIT_SECONDS + 0.6)
    release(first)
    _, err = second.communicate(timeout=30)
    assert second.returncode == 0
    assert first.wait(30) == 0
    lines = err.splitlines()
    assert len(lines) == 1, err
    said = f"caseflow: waiting for the repository's writers' lock: pid {first.pid} (caseflow sync) has held it for "
    assert lines[0].startswith(said) and lines[0].endswith(" s")


def test_lock_overhead_is_small(root: Path) -> None:
    """An uncontended lock and release costs well under a millisecond (the commit it guards, tens)."""
    for _ in range(20):
        with write_lock(root):
            pass
    rounds = 300
    started = time.perf_counter()
    for _ in range(rounds):
        lock = WriteLock(root)
        lock.acquire()
        lock.release()
    each = (time.perf_counter() - started) / rounds
    assert each < 0.005


# -- real caseflow commands --------------------------------------------------------------------------

CLIENT = "C-7K2M9Q"
EDITED = "clients/C-4HX8TB/client.yaml"


def visits(commands: list[str], repo: Path, processes: int, each: int, log: Path) -> list[subprocess.Popen[str]]:
    """``processes`` processes, each making ``each`` ``caseflow visit`` commits one after another."""
    loop = f"""
import subprocess, sys
command = {commands!r}
for number in range({each}):
    done = subprocess.run(
        [*command, "visit", {CLIENT!r}, "--type", "phone", "--note", f"Phone check-in {{sys.argv[1]}}.{{number}}."],
        capture_output=True, text=True,
    )
    if done.returncode != 0:
        print(f"exit {{done.returncode}}: {{done.stderr.strip()}}", flush=True)
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
    env.update(
        CASEFLOW_USER="casey",
        CASEFLOW_PLUGINS="",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        NO_COLOR="1",
        **{writelock.LOG_ENV: str(log)},
    )
    return [
        subprocess.Popen([sys.executable, "-c", loop, str(k)], cwd=repo, env=env, stdout=subprocess.PIPE, text=True)
        for k in range(processes)
    ]


def check_run(repo: Path, before: str, expected: int, started: list[subprocess.Popen[str]], log: Path) -> None:
    refusals = [line for process in started for line in (process.communicate(timeout=3600)[0] or "").splitlines()]
    assert refusals == []
    made = git(repo, "log", "--format=%s", f"{before}..HEAD").splitlines()
    assert made.count(f"visit {CLIENT}") == expected
    git(repo, "fsck", "--full", "--strict", "--no-progress")
    assert git(repo, "status", "--porcelain") == ""
    rows = read_log(log)
    served = [row["ticket"] for row in sorted(rows, key=lambda row: row["acquired"])]
    assert served == sorted(served)  # first come, first served: never overtaken
    assert leftovers(repo) == []
    waits = [row["acquired"] - row["arrived"] for row in rows]
    held = [row["released"] - row["acquired"] for row in rows]
    print(
        f"\n{len(rows)} locks: wait mean {statistics.mean(waits):.2f} s, max {max(waits):.2f} s; "
        f"held mean {statistics.mean(held) * 1000:.0f} ms, max {max(held) * 1000:.0f} ms"
    )


@pytest.mark.parametrize(
    ("processes", "each"), [(6, 3), pytest.param(20, 5, marks=pytest.mark.slow)], ids=["6x3", "20x5"]
)
def test_processes_making_visits_at_once_all_commit_in_turn(
    processes: int, each: int, demo_repo: Callable[..., Path], tmp_path: Path
) -> None:
    """Runs ``caseflow`` with Store.lock on the queue: through ``python -m caseflow`` once Store.lock
    uses it, through the same command with Store.lock so replaced until then."""
    repo = demo_repo()
    log = tmp_path / "lock.log"
    before = git(repo, "rev-parse", "HEAD").strip()
    check_run(repo, before, processes * each, visits(caseflow_command(), repo, processes, each, log), log)


@pytest.mark.slow
@pytest.mark.skipif(not WIRED, reason="until Store.lock uses caseflow.core.writelock")
def test_soak_twenty_processes_making_a_hundred_visits_each_while_watch_commits(
    demo_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = demo_repo()
    log = tmp_path / "lock.log"
    before = git(repo, "rev-parse", "HEAD").strip()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
    env.update(CASEFLOW_USER="casey", CASEFLOW_PLUGINS="", GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    watch = subprocess.Popen(
        [*caseflow_command(), "watch", "--autocommit", "--quiet-ms", "300", "--json"],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    events: SimpleQueue[dict[str, object]] = SimpleQueue()
    reader = threading.Thread(target=lambda: [events.put(json.loads(line)) for line in watch.stdout or []])
    reader.start()
    assert next_event(events, lambda e: e["event"] == "ready")
    writers = visits(caseflow_command(), repo, 20, 100, log)
    edits = 0
    original = (repo / EDITED).read_text()
    while any(w.poll() is None for w in writers):  # another client's record edited by hand meanwhile,
        edits += 1  # each edit committed by watch, through the queue, before the next one
        (repo / EDITED).write_text(original.replace("phone: (573) 555-0139", f"phone: (573) 555-{1000 + edits}"))
        assert next_event(events, lambda e: e["event"] == "committed" and e["path"] == EDITED)
    # Every writer has exited (the loop ends then). watch says "committed" while it still holds
    # the lock: it is stopped before the queue must be empty.
    watch.send_signal(signal.SIGTERM)
    assert watch.wait(60) == 0
    reader.join()
    check_run(repo, before, 2000, writers, log)
    assert watch.stderr is not None and watch.stdout is not None
    err = watch.stderr.read()
    watch.stderr.close()
    watch.stdout.close()
    stopped = next_event(events, lambda e: e["event"] == "stopped")
    assert stopped is not None and stopped["commits"] == edits
    assert "holds the repository" not in err and "not committed" not in err
    made = git(repo, "log", "--format=%s", f"{before}..HEAD").splitlines()
    assert made.count("edit C-4HX8TB") == edits


def next_event(
    events: SimpleQueue[dict[str, object]], wanted: Callable[[dict[str, object]], bool], timeout: float = 300
) -> dict[str, object] | None:
    """The next event of ``caseflow watch --json`` that is ``wanted`` (None: none came in time)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            event = events.get(timeout=left)
        except Empty:
            return None
        if wanted(event):
            return event
    return None


def test_lock_holder_is_what_doctor_shows(root: Path) -> None:
    with write_lock(root, command="caseflow visit"):
        current = holder(root)
        assert isinstance(current, LockHolder)
        assert current.as_json()["command"] == "caseflow visit"
    assert holder(root) is None
