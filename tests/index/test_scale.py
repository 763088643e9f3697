"""The case index under change, under load and under damage: it never answers other than a fresh reading.

Every test compares what the index-backed reads (clients, validate, due, review) answer with what
the same reads answer with no index at all (a copy of the repository without ``.caseflow/``), on
real git repositories: the synthetic caseload from ``bench/synthetic.py`` (fictional clients, with
approvals, plans waiting for review and overdue items), edited, committed, damaged and read by
several processes at once.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import caseflow
from caseflow import DocumentView, Finding, Form, hookimpl
from caseflow.core import parallel
from caseflow.core.case import blob_id
from caseflow.core.validation import SchemaChecker
from caseflow.followup.due import due_list
from caseflow.index.database import APPLICATION_ID, FORMAT_VERSION, INDEX_FILE, document_key
from caseflow.index.maintenance import verify
from caseflow.repo import CaseRepo
from caseflow.review.queue import pending_reviews
from caseflow.testing import Result, git

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-14"  # bench/synthetic.py's MORNING_AFTER: the day after its history ends
ENV = {"CASEFLOW_PLUGINS": "", "CASEFLOW_TODAY": TODAY}
#: git authors for commits made by the tests (emails of the synthetic staff, and one stranger)
AUTHORS = (
    ("Casey Rivera", "casey@riverbend.example"),
    ("Robin Okafor", "robin@riverbend.example"),
    ("Jordan Vale", "jordan@elsewhere.example"),
)


# -- repositories -----------------------------------------------------------------------------------


def _synthetic() -> ModuleType:
    module = sys.modules.get("caseflow_bench_synthetic")
    if module is None:
        spec = importlib.util.spec_from_file_location("caseflow_bench_synthetic", ROOT / "bench" / "synthetic.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return module


def caseload(path: Path, clients: int, seed: int = 7) -> Path:
    """A committed synthetic caseload of ``clients`` fictional clients (every document valid)."""
    built: Path = _synthetic().build(path, clients, seed)
    return built


def fresh_copy(path: Path, into: Path) -> Path:
    """The repository as it is (working tree, git's index and history), without the case index."""
    shutil.rmtree(into, ignore_errors=True)
    shutil.copytree(path, into, symlinks=True, ignore=shutil.ignore_patterns(".caseflow"))
    return into


def open_repo(path: Path, schemas: SchemaChecker | None = None, **kwargs: Any) -> CaseRepo:
    """The repository read with the synthetic caseload's day; ``schemas``: compiled validators to share
    (compiling the forms' JSON Schemas costs more than reading a small caseload)."""
    repo = caseflow.open_repo(path, environ=ENV, **kwargs)
    if schemas is not None:
        repo._schemas = schemas
    return repo


def documents_under(path: Path) -> list[str]:
    """Every document path under clients/ (links included), as git would name it."""
    found = []
    for directory, dirnames, filenames in os.walk(path / "clients"):
        dirnames.sort()
        for name in [*filenames, *(d for d in dirnames if os.path.islink(os.path.join(directory, d)))]:
            if name.endswith((".yaml", ".md")):
                found.append(Path(directory, name).relative_to(path).as_posix())
    return sorted(found)


def answers(repo: CaseRepo) -> dict[str, Any]:
    """What the read commands say, in comparable form (reviews with who changed what, and when)."""
    report = repo.validate()
    reviews = [p.as_json() for p in pending_reviews(repo)]
    return {
        "validate": (report.documents, [str(p) for p in report.problems]),
        "clients": repo.clients(),
        "due": [e.as_json() for e in due_list(repo)],
        "review": reviews,
    }


def fresh_answers(path: Path, scratch: Path, schemas: SchemaChecker | None = None) -> dict[str, Any]:
    return answers(open_repo(fresh_copy(path, scratch), schemas))


def commit_all(path: Path, message: str, author: int = 0, minutes: int = 0) -> bool:
    """``git add -A clients && git commit`` as one of AUTHORS at a given time; False if nothing to commit."""
    name, email = AUTHORS[author % len(AUTHORS)]
    when = (dt.datetime(2026, 11, 13, 9, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)).isoformat()
    git(path, "add", "-A", "--", "clients")
    if not git(path, "status", "--porcelain", "--", "clients"):
        return False
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_COMMITTER_DATE": when,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=path, env=env, check=True, capture_output=True)
    return True


def set_field(raw: bytes, key: str, value: str, markdown: bool) -> bytes:
    """The first ``key:`` line (at any depth) set to ``value``; where there is none, the field added."""
    text = raw.decode("utf-8", "replace")
    pattern = re.compile(rf"^(\s*(?:- )?){re.escape(key)}: .*$", re.MULTILINE)
    if pattern.search(text):
        return pattern.sub(lambda m: f"{m.group(1)}{key}: {value}", text, count=1).encode()
    if markdown and text.startswith("---\n"):
        return f"---\n{key}: {value}\n{text[4:]}".encode()
    return f"{text}{'' if text.endswith(chr(10)) or not text else chr(10)}{key}: {value}\n".encode()


# -- 1. random edit sequences: the long-lived index answers as a fresh reading ----------------------

#: (field, value): valid and invalid values of fields the forms, due rules and reviews read
FIELD_EDITS = (
    ("stage", "active"),
    ("stage", "closed"),
    ("stage", "42"),
    ("assigned_worker", "robin"),
    ("assigned_worker", "nobody-here"),
    ("date", "2026-11-02"),
    ("date", "2026-02-30"),
    ("phone", "555-0142"),
    ("review_date", "2026-11-20"),
    ("status", "missed"),
    ("decision", "rejected"),
    ("by", "casey"),  # in approvals.yaml: a decision by someone who may not approve
    ("risk_flags", "[{flag: Suicide risk, since: 2026-11-01}]"),
    ("intake_date", "yesterday"),
)
#: Whole-file contents: broken YAML, an empty file, a list instead of a mapping
REWRITES = (b"form: core.visit\nclient: [unclosed\n", b"", b"- just\n- a list\n", b"form: core.nothing\n")
NEW_CLIENTS = ("C-N3WAAA", "C-N3WBBB")

_index = st.integers(0, 10_000)
OPERATIONS = st.one_of(
    st.tuples(st.just("edit"), _index, st.integers(0, len(FIELD_EDITS) - 1)),
    st.tuples(st.just("rewrite"), _index, st.integers(0, len(REWRITES) - 1)),
    st.tuples(st.just("comment"), _index),
    st.tuples(st.just("restore"), _index),  # back to the bytes it had when the test began (A-B-A)
    st.tuples(st.just("add"), _index, st.booleans()),
    st.tuples(st.just("new-client"), _index),
    st.tuples(st.just("delete"), _index),
    st.tuples(st.just("rename"), _index, st.booleans()),
    st.tuples(st.just("commit"), _index),
    st.tuples(st.just("checkout"), _index),
    st.tuples(st.just("stage"), _index),
    st.tuples(st.just("touch"), _index),
    st.tuples(st.just("backdate")),
    st.tuples(st.just("same-size"), _index),
    st.tuples(st.just("symlink"), _index, _index),
    st.tuples(st.just("check"), st.booleans()),  # compare now (after making every file look old)
)


class Editor:
    """Applies one operation to a working tree (picking documents by index among those there now)."""

    def __init__(self, path: Path, original: dict[str, bytes]) -> None:
        self.path = path
        self.original = original
        self.commits = 0
        #: The whole second the last "backdate" set every document's mtime to (see :meth:`backdate`).
        self.backdated = int(time.time()) - 86_400

    def documents(self) -> list[str]:
        return documents_under(self.path)

    def clients(self) -> list[str]:
        return sorted(p.name for p in (self.path / "clients").iterdir() if p.is_dir() and not p.is_symlink())

    def pick(self, i: int) -> Path | None:
        docs = self.documents()
        return self.path / docs[i % len(docs)] if docs else None

    def pick_changed(self, i: int) -> Path | None:
        """A document git has no blob for: caseflow keeps their hashes by stat stamp. (A committed file
        is git's own business: git too misses a same-size edit in the second of the last one.)"""
        listed = git(self.path, "status", "--porcelain", "-z", "--untracked-files=all", "--", "clients")
        changed = sorted(e[3:] for e in listed.split("\0") if e[:2] in (" M", "??", "AM", "MM"))
        return self.path / changed[i % len(changed)] if changed else None

    def backdate(self) -> None:
        """Every document's mtime set a day back, to a whole second no earlier backdate used.

        (As ``touch -d``, ``tar`` or ``rsync -t`` set an mtime: to another file's, which differs
        once that file was edited.) Never back to a second set before: git compares whole seconds
        of mtime and ctime (unless built with ``USE_NSEC``), and takes an entry whose mtime is
        older than its own index's as certainly clean (its racy-git check looks at mtime alone).
        So "backdate; git status (which records the stat); a same-size edit; backdate again to
        the same second", all within one second of ctime, leaves plain ``git status`` blind to the
        edit of a committed file, and caseflow, which takes git's word for those (reading every
        committed file would defeat the index), with it: git's limit, not caseflow's. caseflow's
        own stamps, of the files it hashed, include the nanoseconds of the ctime and see it."""
        self.backdated -= 1
        for rel in self.documents():
            if not (self.path / rel).is_symlink():
                os.utime(self.path / rel, (self.backdated, self.backdated))

    def write(self, target: Path, content: bytes) -> None:
        if target.is_symlink():
            target.unlink()
        target.write_bytes(content)

    def apply(self, op: tuple[Any, ...]) -> None:
        kind = op[0]
        target = None
        if kind == "same-size":
            target = self.pick_changed(op[1])
        elif len(op) > 1 and kind not in ("add", "new-client", "commit", "check"):
            target = self.pick(op[1])
        if kind == "edit" and target is not None and not target.is_symlink():
            key, value = FIELD_EDITS[op[2]]
            self.write(target, set_field(target.read_bytes(), key, value, target.suffix == ".md"))
        elif kind == "rewrite" and target is not None:
            self.write(target, REWRITES[op[2]])
        elif kind == "comment" and target is not None and not target.is_symlink():
            self.write(target, target.read_bytes() + b"\n# noted\n")
        elif kind == "restore" and target is not None:
            rel = target.relative_to(self.path).as_posix()
            if rel in self.original:
                self.write(target, self.original[rel])
        elif kind == "add":
            clients = self.clients()
            if clients:
                client = clients[op[1] % len(clients)]
                day = 1 + op[1] % 9
                visit = "phone" if op[2] else "teleport"  # an unknown visit type: invalid
                note = self.path / "clients" / client / "visits" / f"2026-11-0{day}-{visit}.md"
                note.parent.mkdir(exist_ok=True)
                front = f"form: core.visit\nclient: {client}\ndate: 2026-11-0{day}\ntype: {visit}\nauthor: casey\n"
                self.write(note, f"---\n{front}---\nCalled to check in.\n".encode())
        elif kind == "new-client":
            clients = self.clients()
            new = NEW_CLIENTS[op[1] % len(NEW_CLIENTS)]
            if clients and new not in clients:
                source = clients[op[1] % len(clients)]
                shutil.copytree(self.path / "clients" / source, self.path / "clients" / new, symlinks=True)
                for doc in (self.path / "clients" / new).rglob("*"):
                    if doc.is_file() and not doc.is_symlink():
                        doc.write_bytes(doc.read_bytes().replace(source.encode(), new.encode()))
        elif kind == "delete" and target is not None:
            target.unlink()
        elif kind == "rename" and target is not None:
            moved = target.with_name(f"{target.stem}-moved{target.suffix}")
            if not moved.exists() and not moved.is_symlink():
                if op[2] and git(self.path, "ls-files", "--", str(target.relative_to(self.path))):
                    git(self.path, "mv", str(target.relative_to(self.path)), str(moved.relative_to(self.path)))
                else:
                    target.rename(moved)
        elif kind == "commit":
            self.commits += 1
            commit_all(self.path, f"step {self.commits}", author=op[1], minutes=self.commits)
        elif kind == "checkout" and target is not None:
            subprocess.run(["git", "checkout", "-q", "--", str(target)], cwd=self.path, capture_output=True)
        elif kind == "stage" and target is not None:
            git(self.path, "add", "-A", "--", str(target.relative_to(self.path)))
        elif kind == "touch" and target is not None and not target.is_symlink():
            os.utime(target)
        elif kind == "backdate" or (kind == "check" and op[1]):  # old enough to trust the stat stamps kept
            self.backdate()
        elif kind == "same-size" and target is not None and not target.is_symlink():
            # Same size, same mtime, same inode: only the ctime tells (as it does git).
            st_before = target.stat()
            raw = target.read_bytes()
            swapped = re.sub(rb"\d", lambda m: b"7" if m.group() != b"7" else b"3", raw, count=1)
            with open(target, "r+b") as handle:
                handle.write(swapped)
            os.utime(target, ns=(st_before.st_atime_ns, st_before.st_mtime_ns))
        elif kind == "symlink" and target is not None:
            other = self.pick(op[2])
            if other is not None and other != target:
                target.unlink()
                target.symlink_to(os.path.relpath(other, target.parent))


@pytest.fixture(scope="module")
def small_caseload(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SchemaChecker]:
    path = caseload(tmp_path_factory.mktemp("small") / "repo", 3)
    return path, open_repo(path).schemas


@pytest.mark.slow
@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(OPERATIONS, min_size=1, max_size=10))
def test_random_edits_never_make_the_index_answer_otherwise(
    small_caseload: tuple[Path, SchemaChecker], steps: list[tuple[Any, ...]]
) -> None:
    template, schemas = small_caseload
    with tempfile.TemporaryDirectory() as scratch:
        path = fresh_copy(template, Path(scratch) / "repo")
        original = {rel: (path / rel).read_bytes() for rel in documents_under(path)}
        editor = Editor(path, original)
        kept = open_repo(path, schemas)  # one CaseRepo across every step (as `caseflow watch` keeps one)
        answers(kept)  # the index now holds every answer about the caseload as it was
        checks = [i for i, op in enumerate(steps) if op[0] == "check"] + [len(steps) - 1]
        for i, op in enumerate(steps):
            editor.apply(op)
            if i not in checks:
                continue
            expected = fresh_answers(path, Path(scratch) / "fresh", schemas)
            assert answers(open_repo(path, schemas)) == expected, f"after {steps[: i + 1]}"
            assert answers(kept) == expected, f"(kept) after {steps[: i + 1]}"
        assert verify(open_repo(path, schemas)).mismatches == []


def test_backdating_twice_in_one_second_never_hides_a_same_size_edit_of_a_committed_file(tmp_path: Path) -> None:
    """The Editor's "backdate" models what git guarantees (the sequence hypothesis found: refreshed
    stat, a same-size edit and a second backdate, all in one second): git still lists the edit, and
    caseflow, which takes git's word for committed files, answers as a fresh reading."""
    path = caseload(tmp_path / "repo", 1)
    editor = Editor(path, {})
    visit = sorted((path / "clients").glob("*/visits/*.md"))[0]
    rel = visit.relative_to(path).as_posix()
    for _attempt in range(5):  # until the steps below fall within one second (as they did there)
        git(path, "checkout", "-q", "--", rel)
        time.sleep(1.02 - time.time() % 1)  # the start of a second
        second = int(time.time())
        editor.apply(("backdate",))
        git(path, "status", "--porcelain")  # git's index records each file's stat (caseflow's listing does this)
        edited = set_field(visit.read_bytes(), "date", "2026-11-02", markdown=True)
        assert len(edited) == visit.stat().st_size and edited != visit.read_bytes()
        editor.write(visit, edited)
        editor.apply(("backdate",))
        if int(time.time()) == second and visit.stat().st_ctime_ns // 10**9 == second:
            break
    else:
        pytest.skip("the machine is too slow to edit within one second")
    assert git(path, "status", "--porcelain", "--", rel).startswith(" M")
    expected = fresh_answers(path, tmp_path / "fresh")
    assert any(p.startswith(f"{rel}:") and "2026-11-02" in p for p in expected["validate"][1])
    assert answers(open_repo(path)) == expected


def test_review_names_the_commit_that_last_changed_a_reverted_document(tmp_path: Path) -> None:
    """A plan waiting for review, changed and changed back in two more commits: the last commit is named."""
    path = caseload(tmp_path / "repo", 3)
    plan = next(p for p in sorted((path / "clients").glob("*/plan.yaml")))
    waiting = set_field(plan.read_bytes(), "review_date", "2026-12-01", markdown=False)
    plan.write_bytes(waiting)
    commit_all(path, "plan review moved", author=0, minutes=0)
    before = answers(open_repo(path))["review"]
    assert [(r["path"], r["author"], r["changed_on"]) for r in before] == [
        ("plan.yaml", "casey", "2026-11-13T09:00:00+00:00")
    ]
    plan.write_bytes(set_field(waiting, "review_date", "2027-01-15", markdown=False))
    commit_all(path, "plan review moved again", author=1, minutes=60)
    plan.write_bytes(waiting)  # back to the bytes reviewed above, in a third commit by someone else
    commit_all(path, "plan review moved back", author=2, minutes=120)
    expected = fresh_answers(path, tmp_path / "fresh")["review"]
    assert [(r["author"], r["changed_on"]) for r in expected] == [
        ("jordan@elsewhere.example", "2026-11-13T11:00:00+00:00")
    ]
    assert answers(open_repo(path))["review"] == expected


def test_a_same_size_edit_with_the_old_mtime_is_seen(tmp_path: Path) -> None:
    """caseflow keeps the hash of a changed file by stat stamp; an edit that keeps size, mtime and
    inode still changes the ctime, and the stamp includes it."""
    path = caseload(tmp_path / "repo", 2)
    visit = sorted((path / "clients").glob("*/visits/*.md"))[0]
    visit.write_bytes(visit.read_bytes() + b"Edited.\n")  # changed since the last commit
    past = time.time() - 60
    os.utime(visit, (past, past))  # old enough for its stamp to be kept
    assert answers(open_repo(path)) == fresh_answers(path, tmp_path / "fresh")
    before = visit.stat()
    visit.write_bytes(visit.read_bytes().replace(b"type: ", b"type: x", 1)[:-1])  # same size, another type
    os.utime(visit, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = visit.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    expected = fresh_answers(path, tmp_path / "fresh")
    rel = visit.relative_to(path).as_posix()
    assert any(problem.startswith(rel) and "xoffice" in problem for problem in expected["validate"][1])
    assert answers(open_repo(path)) == expected
    assert verify(open_repo(path)).mismatches == []


@pytest.mark.parametrize("kind", ["linked folder", "ignored document"])
def test_validating_everything_reports_what_validating_each_client_reports(tmp_path: Path, kind: str) -> None:
    path = caseload(tmp_path / "repo", 2)
    first, second = sorted(p.name for p in (path / "clients").iterdir())
    if kind == "linked folder":
        (path / "clients" / first / "notes").symlink_to(f"../{second}/visits")
    else:
        (path / ".gitignore").write_text(".caseflow/\nclients/*/scratch.yaml\n")
        (path / "clients" / first / "scratch.yaml").write_text("form: core.visit\nclient: [unclosed\n")
    repo = open_repo(path)
    each = [str(p) for p in repo.validate([first, second]).problems]
    assert len(each) == 1 and each[0].startswith(f"clients/{first}/")
    assert [str(p) for p in repo.validate().problems] == each


# -- 2. several processes at once ---------------------------------------------------------------------


def _caseflow_env() -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
    return {**inherited, "NO_COLOR": "1", **ENV}


def _start(path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "caseflow", "--repo", str(path), *args],
        env=_caseflow_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> Result:
    out, err = process.communicate(timeout=120)
    assert isinstance(process.args, list)
    return Result(tuple(str(arg) for arg in process.args[3:]), process.returncode, out, err)


def _without_today_warning(stderr: str) -> str:
    return "".join(line for line in stderr.splitlines(keepends=True) if "CASEFLOW_TODAY is set" not in line)


@pytest.mark.slow
def test_concurrent_commands_never_corrupt_the_index(tmp_path: Path, run_caseflow: Callable[..., Result]) -> None:
    path = caseload(tmp_path / "repo", 20)
    clients = sorted(p.name for p in (path / "clients").iterdir())
    visits = sorted((path / "clients").glob("*/visits/*.md"))
    commands = (("validate", "--json"), ("validate", "--json"), ("due", "--all", "--json"), ("index", "--json"))

    def change(round_: int) -> None:
        if round_ == 1:
            record = path / "clients" / clients[0] / "client.yaml"
            record.write_bytes(set_field(record.read_bytes(), "stage", "closed", markdown=False))
            visits[0].write_bytes(set_field(visits[0].read_bytes(), "type", "teleport", markdown=True))
            visits[1].unlink()
            note = path / "clients" / clients[2] / "visits" / "2026-11-12-phone.md"
            note.parent.mkdir(exist_ok=True)
            note.write_text(f"---\nform: core.visit\nclient: {clients[2]}\ndate: 2026-11-12\ntype: phone\n---\nHi.\n")
        elif round_ == 2:
            commit_all(path, "round 2")
            (path / "clients" / clients[3] / "plan.yaml").write_bytes(b"form: core.plan\ngoals: [unclosed\n")

    for round_ in range(3):
        change(round_)
        running = [_start(path, *command) for command in commands]
        results = [_finish(p) for p in running]
        fresh = fresh_copy(path, tmp_path / "fresh")
        expected_validate = run_caseflow("--repo", fresh, "validate", "--json", env=ENV)
        expected_due = run_caseflow("--repo", fresh, "due", "--all", "--json", env=ENV).assert_success()
        for result in results:
            assert result.exit_code in (0, 1), result.stderr
            assert _without_today_warning(result.stderr) == "", result.stderr  # no traceback, no "damaged"
        assert results[0].exit_code == results[1].exit_code == expected_validate.exit_code == (1 if round_ else 0)
        assert results[0].stdout == results[1].stdout == expected_validate.stdout
        assert results[2].stdout == expected_due.stdout and results[3].exit_code == 0
        assert json.loads(results[3].stdout)["documents"] == len(documents_under(path))

    # A file rewritten again and again while three processes read the caseload.
    record = path / "clients" / clients[4] / "client.yaml"
    original = record.read_bytes()
    running = [_start(path, *command) for command in commands[1:]]
    for n in range(40):
        record.write_bytes(set_field(original, "phone", f"555-01{n:02d}", markdown=False))
        time.sleep(0.01)
    results = [_finish(p) for p in running]
    for result in results:
        assert result.exit_code in (0, 1) and _without_today_warning(result.stderr) == "", result.stderr
    verified = run_caseflow("--repo", path, "index", "--verify", "--json", env=ENV).assert_success()
    assert json.loads(verified.stdout)["ok"] is True
    fresh = fresh_copy(path, tmp_path / "fresh")
    for command in (("validate", "--json"), ("due", "--all", "--json"), ("clients", "--json"), ("review", "--json")):
        assert run_caseflow("--repo", path, *command, env=ENV).stdout == (
            run_caseflow("--repo", fresh, *command, env=ENV).stdout
        ), command


# -- 3. what else the answers depend on: plugins, caseflow.yaml ---------------------------------------


class VisitTypesV1:
    """A plugin under development, first version: every visit type is fine."""

    @hookimpl
    def validate_document(self, document: DocumentView) -> list[Finding] | None:
        return None


class VisitTypesV2:
    """The same plugin, second version: a video visit is a problem."""

    @hookimpl
    def validate_document(self, document: DocumentView) -> list[Finding] | None:
        if document.form_id == "core.visit" and document.data.get("type") == "video":
            return [Finding("video visits need the platform noted", ("type",))]
        return None


class ExtraForm:
    """A plugin form whose schema changes between versions (``strict``: referrals need a reason)."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict

    @hookimpl
    def register_forms(self) -> list[Form]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {"form": {"const": "test.note"}, "client": {"type": "string"}, "reason": {"type": "string"}},
            "required": ["form", "client", *(["reason"] if self.strict else [])],
        }
        return [Form("test.note", "Note", "yaml", "note.yaml", schema, "none.j2")]


def _problems(repo: CaseRepo) -> list[str]:
    return [str(p) for p in repo.validate().problems]


def test_a_changed_plugin_check_shows_at_once(tmp_path: Path) -> None:
    path = caseload(tmp_path / "repo", 3)
    videos = sorted(p.relative_to(path).as_posix() for p in (path / "clients").glob("*/visits/*-video.md"))
    assert videos  # the synthetic caseload has video visits
    assert _problems(open_repo(path, plugins=[VisitTypesV1()])) == []
    found = _problems(open_repo(path, plugins=[VisitTypesV2()]))
    assert [p.split(":")[0] for p in found] == videos
    assert all(p.endswith("video visits need the platform noted") for p in found)
    assert _problems(open_repo(path, plugins=[VisitTypesV1()])) == []


def test_a_changed_plugin_form_schema_shows_at_once(tmp_path: Path) -> None:
    path = caseload(tmp_path / "repo", 2)
    client = sorted(p.name for p in (path / "clients").iterdir())[0]
    (path / "clients" / client / "note.yaml").write_text(f"form: test.note\nclient: {client}\n")
    assert _problems(open_repo(path, plugins=[ExtraForm(strict=False)])) == []
    strict = _problems(open_repo(path, plugins=[ExtraForm(strict=True)]))
    assert len(strict) == 1 and strict[0].startswith(f"clients/{client}/note.yaml") and "reason" in strict[0]
    assert _problems(open_repo(path, plugins=[ExtraForm(strict=False)])) == []


class BannedVisitTypes:
    """A plugin configured when it is registered (a script's or a test's plugin object)."""

    def __init__(self, *banned: str) -> None:
        self.banned = banned

    @hookimpl
    def validate_document(self, document: DocumentView) -> list[Finding] | None:
        if document.form_id == "core.visit" and document.data.get("type") in self.banned:
            return [Finding(f"{document.data['type']} visits are not allowed here", ("type",))]
        return None


def test_a_plugin_object_configured_otherwise_is_not_answered_from_the_index(tmp_path: Path) -> None:
    path = caseload(tmp_path / "repo", 3)
    assert _problems(open_repo(path, plugins=[BannedVisitTypes()])) == []
    banned = _problems(open_repo(path, plugins=[BannedVisitTypes("video")]))
    assert banned == _problems(open_repo(fresh_copy(path, tmp_path / "fresh"), plugins=[BannedVisitTypes("video")]))
    assert banned  # the synthetic caseload has video visits


def _install_plugin(site: Path, files: dict[str, str]) -> dict[str, str]:
    """An installed distribution (dist-info, entry point) ``caseflow_visitrules`` on a PYTHONPATH folder."""
    for rel, source in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(textwrap.dedent(source))
    dist = site / "caseflow_visitrules-0.1.0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: caseflow-visitrules\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[caseflow]\nvisitrules = caseflow_visitrules\n")
    return {**ENV, "PYTHONPATH": str(site), "CASEFLOW_PLUGINS": "visitrules"}


RULES = """
from caseflow import Finding, hookimpl

BANNED = {banned!r}

@hookimpl
def validate_document(document):
    if document.form_id == "core.visit" and document.data.get("type") in BANNED:
        return [Finding(document.data["type"] + " visits are not allowed here", ("type",))]
    return None
"""


def test_an_edited_plugin_module_shows_at_once(tmp_path: Path, run_caseflow: Callable[..., Result]) -> None:
    """A plugin under development: its source file changes, its version does not."""
    path = caseload(tmp_path / "repo", 3)
    env = _install_plugin(tmp_path / "site", {"caseflow_visitrules.py": RULES.format(banned=[])})
    run_caseflow("--repo", path, "validate", env=env).assert_success()
    _install_plugin(tmp_path / "site", {"caseflow_visitrules.py": RULES.format(banned=["video"])})
    found = run_caseflow("--repo", path, "validate", env=env).assert_refused()
    videos = len(list(path.glob("clients/*/visits/*-video.md")))
    assert videos and found.stdout.count("video visits are not allowed here") == videos
    _install_plugin(tmp_path / "site", {"caseflow_visitrules.py": RULES.format(banned=[])})
    run_caseflow("--repo", path, "validate", env=env).assert_success()


def test_an_edited_plugin_submodule_shows_at_once(tmp_path: Path, run_caseflow: Callable[..., Result]) -> None:
    path = caseload(tmp_path / "repo", 3)
    init = "from caseflow_visitrules.rules import validate_document\n\n__all__ = ['validate_document']\n"
    env = _install_plugin(
        tmp_path / "site",
        {"caseflow_visitrules/__init__.py": init, "caseflow_visitrules/rules.py": RULES.format(banned=[])},
    )
    run_caseflow("--repo", path, "validate", env=env).assert_success()
    _install_plugin(tmp_path / "site", {"caseflow_visitrules/rules.py": RULES.format(banned=["video"])})
    expected = run_caseflow("--repo", fresh_copy(path, tmp_path / "fresh"), "validate", env=env).assert_refused()
    assert "video visits are not allowed here" in expected.stdout  # the edited rule is the one loaded
    assert run_caseflow("--repo", path, "validate", env=env).stdout == expected.stdout


def test_editing_caseflow_yaml_changes_the_answers_that_depend_on_it(tmp_path: Path) -> None:
    path = caseload(tmp_path / "repo", 4)
    plan = sorted((path / "clients").glob("*/plan.yaml"))[0]
    plan.write_bytes(set_field(plan.read_bytes(), "review_date", "2026-12-01", markdown=False))
    commit_all(path, "plan changed by someone not on the staff list", author=2)
    before = answers(open_repo(path))
    assert before["validate"][1] == []
    assert [(r["path"], r["author"]) for r in before["review"]] == [("plan.yaml", "jordan@elsewhere.example")]
    approved = {r.parent.name for r in (path / "clients").glob("*/approvals.yaml")}

    # Only directors may approve now: sam's decisions no longer count, and say so.
    config = path / "caseflow.yaml"
    original = config.read_text()
    config.write_text(original + "approvals:\n  roles: [director]\n")
    after = answers(open_repo(path))
    assert after == fresh_answers(path, tmp_path / "fresh")
    assert {p.split("/")[1] for p in after["validate"][1]} == approved
    assert all("decision by 'sam', who may not approve" in p for p in after["validate"][1])
    assert {r["summary"] for r in after["review"]} == {"never approved"}
    assert len(after["review"]) > len(before["review"])

    # A new staff member: the commits by that email now name them.
    config.write_text(
        original + "  - id: jordan\n    name: Jordan Vale\n    email: jordan@elsewhere.example\n"
        "    role: case_manager\n    supervisor: sam\n"
    )
    again = answers(open_repo(path))
    assert again == fresh_answers(path, tmp_path / "fresh")
    assert [(r["path"], r["author"]) for r in again["review"]] == [("plan.yaml", "jordan")]
    config.write_text(original)
    assert answers(open_repo(path)) == before


# -- 4. a damaged or foreign index file ---------------------------------------------------------------


def _broken_caseload(path: Path) -> Path:
    """A small caseload with problems in it (so that a right answer is not just "ok")."""
    caseload(path, 4)
    visit = sorted((path / "clients").glob("*/visits/*.md"))[0]
    visit.write_bytes(set_field(visit.read_bytes(), "date", "2026-02-30", markdown=True))
    plan = sorted((path / "clients").glob("*/plan.yaml"))[-1]
    plan.write_bytes(b"form: core.plan\ngoals: [unclosed\n")
    return path


DAMAGED = "warning: .caseflow/index.sqlite is damaged; rebuilding it"
FOREIGN = "warning: .caseflow/index.sqlite is not caseflow's index"


def _index_tables(path: Path) -> tuple[int, int, set[str]]:
    with sqlite3.connect(path / INDEX_FILE) as db:
        (application_id,) = db.execute("PRAGMA application_id").fetchone()
        (version,) = db.execute("PRAGMA user_version").fetchone()
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    db.close()
    return application_id, version, tables


@pytest.mark.parametrize("damage", ["garbage", "truncated", "foreign table", "foreign application"])
def test_a_damaged_or_foreign_index_is_rebuilt_with_a_warning(
    tmp_path: Path, invoke_caseflow: Callable[..., Result], damage: str
) -> None:
    path = _broken_caseload(tmp_path / "repo")
    expected = invoke_caseflow("--repo", fresh_copy(path, tmp_path / "fresh"), "validate", "--json", env=ENV)
    assert expected.exit_code == 1 and len(json.loads(expected.stdout)["problems"]) >= 2
    first = invoke_caseflow("--repo", path, "validate", "--json", env=ENV)
    assert (first.exit_code, first.stdout) == (1, expected.stdout)
    index_file = path / INDEX_FILE
    if damage == "garbage":
        index_file.write_bytes(bytes(range(256)) * 64)
        warning = DAMAGED
    elif damage == "truncated":
        index_file.write_bytes(index_file.read_bytes()[:1000])
        warning = DAMAGED
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{index_file}{suffix}").unlink(missing_ok=True)
        with sqlite3.connect(index_file) as db:
            if damage == "foreign table":
                db.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, taken TEXT, path TEXT)")
                db.execute("INSERT INTO photos (taken, path) VALUES ('2026-11-01', 'beach.jpg')")
            else:
                db.execute("PRAGMA application_id = 1885432179")  # some other program's
                db.execute("CREATE TABLE docs (key TEXT PRIMARY KEY, form TEXT, data TEXT NOT NULL)")
        db.close()
        warning = FOREIGN
    rebuilt = invoke_caseflow("--repo", path, "validate", "--json", env=ENV)
    assert (rebuilt.exit_code, rebuilt.stdout) == (1, expected.stdout)
    assert _without_today_warning(rebuilt.stderr).startswith(warning), rebuilt.stderr
    assert _without_today_warning(rebuilt.stderr).count("\n") == 1
    tables = {"meta", "docs", "stats", "checks", "memos", "bundles"}
    assert _index_tables(path) == (APPLICATION_ID, FORMAT_VERSION, tables)
    assert (path / INDEX_FILE).stat().st_mode & 0o777 == 0o600
    again = invoke_caseflow("--repo", path, "validate", "--json", env=ENV)
    assert (again.exit_code, again.stdout, _without_today_warning(again.stderr)) == (1, expected.stdout, "")
    verified = invoke_caseflow("--repo", path, "index", "--verify", "--json", env=ENV).assert_success()
    assert json.loads(verified.stdout)["ok"] is True


def test_deleting_the_index_loses_nothing(tmp_path: Path, invoke_caseflow: Callable[..., Result]) -> None:
    path = _broken_caseload(tmp_path / "repo")
    commands = (("validate", "--json"), ("clients", "--json"), ("due", "--all", "--json"), ("review", "--json"))
    before = [invoke_caseflow("--repo", path, *command, env=ENV).stdout for command in commands]
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path / INDEX_FILE}{suffix}").unlink(missing_ok=True)
    after = [invoke_caseflow("--repo", path, *command, env=ENV) for command in commands]
    assert [r.stdout for r in after] == before
    assert all("index.sqlite" not in r.stderr for r in after)
    assert json.loads(before[0])["ok"] is False and json.loads(before[1]) and json.loads(before[2])


# -- 5. caseflow index ----------------------------------------------------------------------------------


def test_a_rebuild_asks_the_history_first_and_leaves_what_it_refuses_to_validate(
    tmp_path: Path, invoke_caseflow: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """(The history is replayed before the documents are parsed, while the process holds little;
    that head start never makes a rebuild fail where validate would not.)"""
    from caseflow.errors import CaseflowError
    from caseflow.session import Session

    path = caseload(tmp_path / "repo", 5)
    asked: list[bool] = []
    real = Session.ledger

    def ledger(self: Session, progress: Any = None) -> Any:
        asked.append(bool(self.index.stats()))  # (anything indexed yet?)
        if len(asked) == 1:
            raise CaseflowError("caseflow.yaml: not readable just now")
        return real(self, progress)

    monkeypatch.setattr(Session, "ledger", ledger)
    rebuilt = json.loads(
        invoke_caseflow("--repo", path, "index", "--rebuild", "--json", env=ENV).assert_success().stdout
    )
    assert rebuilt["documents"] == len(documents_under(path))
    assert asked[0] is False and len(asked) >= 2  # first, with nothing indexed; then validate's own


def test_index_command_rebuild_and_verify(tmp_path: Path, invoke_caseflow: Callable[..., Result]) -> None:
    path = caseload(tmp_path / "repo", 5)
    documents = documents_under(path)
    state = json.loads(invoke_caseflow("--repo", path, "index", "--json", env=ENV).assert_success().stdout)
    assert (state["file"], state["clients"], state["documents"], state["unreadable"]) == (
        INDEX_FILE,
        5,
        len(documents),
        0,
    )
    assert "ok" not in state and state["size_bytes"] > 0
    rebuilt = json.loads(
        invoke_caseflow("--repo", path, "index", "--rebuild", "--json", env=ENV).assert_success().stdout
    )
    assert (rebuilt["clients"], rebuilt["documents"], rebuilt["unreadable"]) == (5, len(documents), 0)
    verified = json.loads(
        invoke_caseflow("--repo", path, "index", "--verify", "--json", env=ENV).assert_success().stdout
    )
    assert (verified["ok"], verified["mismatches"], verified["documents"]) == (True, [], len(documents))

    # The stored data of one document made to differ from what its bytes say.
    plan = sorted(p for p in documents if p.endswith("/plan.yaml"))[0]
    key = document_key(plan, blob_id((path / plan).read_bytes()))
    with sqlite3.connect(path / INDEX_FILE) as db:
        (text,) = db.execute("SELECT data FROM docs WHERE key = ?", (key,)).fetchone()
        data, body = json.loads(text)
        data["review_date"] = "2099-01-01"
        db.execute("UPDATE docs SET data = ? WHERE key = ?", (json.dumps([data, body]), key))
    db.close()
    tampered = invoke_caseflow("--repo", path, "index", "--verify", "--json", env=ENV).assert_refused(1)
    report = json.loads(tampered.stdout)
    assert report["ok"] is False
    assert report["mismatches"] == [f"{plan}: the index's data differs from a fresh parse"]
    text_report = invoke_caseflow("--repo", path, "index", "--verify", env=ENV).assert_refused(1)
    assert text_report.stdout == f"{plan}: the index's data differs from a fresh parse\n"
    assert "1 difference" in text_report.stderr

    usage = invoke_caseflow("--repo", path, "index", "--rebuild", "--verify", env=ENV).assert_refused(2)
    assert "give --rebuild or --verify, not both" in usage.stderr and usage.stdout == ""
    invoke_caseflow("--repo", path, "index", "--rebuild", env=ENV).assert_success()
    verified = json.loads(
        invoke_caseflow("--repo", path, "index", "--verify", "--json", env=ENV).assert_success().stdout
    )
    assert verified["ok"] is True


def test_index_verify_finds_stored_problems_that_differ(tmp_path: Path, invoke_caseflow: Callable[..., Result]) -> None:
    from caseflow.index.database import check_key

    path = caseload(tmp_path / "repo", 2)
    invoke_caseflow("--repo", path, "validate", env=ENV).assert_success()
    visit = sorted(p.relative_to(path).as_posix() for p in (path / "clients").glob("*/visits/*.md"))[0]
    key = check_key(visit, blob_id((path / visit).read_bytes()))
    with sqlite3.connect(path / INDEX_FILE) as db:
        assert db.execute("SELECT problems FROM checks WHERE key = ?", (key,)).fetchone() == ("[]",)
        db.execute("UPDATE checks SET problems = ? WHERE key = ?", (json.dumps([[visit, 1, 1, "made up"]]), key))
    db.close()
    report = json.loads(
        invoke_caseflow("--repo", path, "index", "--verify", "--json", env=ENV).assert_refused(1).stdout
    )
    assert report["mismatches"] == [f"{visit}: the index's problems differ from checking it again"]


# -- 6. a cold run on every core answers as one on a single core ----------------------------------------

DRIVER = """
import atexit, sys
import multiprocessing.pool
from caseflow.core import parallel
from caseflow.cli import main

mode, record, *args = sys.argv[1:]
if mode == "serial":
    parallel.MIN_PARALLEL_ITEMS = 10**9
pools = []
started = multiprocessing.pool.Pool.__init__

def counting(self, *a, **k):
    pools.append(1)
    started(self, *a, **k)

multiprocessing.pool.Pool.__init__ = counting
atexit.register(lambda: open(record, "a").write(f"{len(pools)}\\n"))
main(args)
"""


def _driven(path: Path, mode: str, record: Path, *args: str) -> Result:
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, mode, str(record), "--repo", str(path), *args],
        env=_caseflow_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Result(args, done.returncode, done.stdout, done.stderr)


@pytest.mark.slow
@pytest.mark.skipif(parallel.cores() < 2, reason="one core: caseflow never starts workers")
def test_a_cold_run_on_every_core_answers_as_a_serial_one(tmp_path: Path) -> None:
    clients = 120
    source = caseload(tmp_path / "source", clients)
    documents = documents_under(source)
    assert len(documents) > parallel.MIN_PARALLEL_ITEMS and clients * 6 >= parallel.MIN_PARALLEL_ITEMS
    ids = sorted(p.name for p in (source / "clients").iterdir())
    # Some problems, and uncommitted and untracked files, so the answers have something to differ in.
    visit = sorted((source / "clients").glob("*/visits/*.md"))[5]
    visit.write_bytes(set_field(visit.read_bytes(), "type", "teleport", markdown=True))
    (source / "clients" / ids[70] / "plan.yaml").write_bytes(b"form: core.plan\ngoals: [unclosed\n")
    (source / "clients" / ids[110] / "client.yaml").write_bytes(b"- not a mapping\n")
    (source / "clients" / ids[40] / "visits").mkdir(exist_ok=True)
    (source / "clients" / ids[40] / "visits" / "2026-11-13-phone.md").write_text(
        f"---\nform: core.visit\nclient: {ids[40]}\ndate: 2026-11-13\ntype: phone\nauthor: casey\n---\nCalled.\n"
    )
    runs = {mode: fresh_copy(source, tmp_path / mode) for mode in ("parallel", "serial")}
    commands = (("validate", "--json"), ("clients", "--json"), ("due", "--all", "--json"), ("review", "--json"))
    outputs: dict[str, list[Result]] = {}
    for mode, path in runs.items():
        record = tmp_path / f"{mode}.pools"
        outputs[mode] = [_driven(path, mode, record, *command) for command in commands]
        pools = [int(n) for n in record.read_text().split()]
        if mode == "parallel":
            assert all(n > 0 for n in pools[:3]), pools  # workers started for validate, clients and due
        else:
            assert pools == [0, 0, 0, 0]
    for parallel_run, serial_run in zip(outputs["parallel"], outputs["serial"], strict=True):
        assert parallel_run.exit_code == serial_run.exit_code, (parallel_run.stderr, serial_run.stderr)
        assert parallel_run.stdout == serial_run.stdout, parallel_run.args
    report = json.loads(outputs["parallel"][0].stdout)
    assert report["documents"] == len(documents) + 1
    assert {p["path"].split(":")[0] for p in report["problems"]} == {
        visit.relative_to(source).as_posix(),
        f"clients/{ids[70]}/plan.yaml",
        f"clients/{ids[110]}/client.yaml",
    }
    rows = json.loads(outputs["parallel"][1].stdout)
    assert [r["id"] for r in rows] == ids and [r["id"] for r in rows if r["problem"]] == [ids[110]]
    assert json.loads(outputs["parallel"][2].stdout)[0]["rule"] == "unreadable"
    verified = _driven(runs["parallel"], "parallel", tmp_path / "verify.pools", "index", "--verify", "--json")
    assert json.loads(verified.stdout)["ok"] is True, verified.stdout
