"""The web app in a real browser: Debian's headless Chromium driven by Playwright, each page
screenshotted and scanned by axe (WCAG 2.1 A and AA).

What a test gets:

* ``app("casey")`` (fixture): a real ``caseflow serve --port 0 --json`` for that person in a copy of
  the demo repository, and a fresh browser context signed in through the printed secret link: a
  :class:`Person`. ``app("sam", root=path)`` serves another person or another repository in the
  same test (their own server, their own context: cookies never mix).
* ``shared_demo("casey", "sam")`` (fixture): a bare remote made from the demo repository and one
  ``caseflow clone`` of it per name, ``{"casey": path, "sam": path, "hub": path}``; give each clone
  its own server with ``app(name, root=clones[name])``.
* :meth:`Person.visit` / :meth:`Person.look`: every page a test sees is saved as a PNG
  (``test-artifacts/browser/<test>/NN-<person>-<page>.png`` under the repository root, or under
  ``$CASEFLOW_ARTIFACTS``; kept after the run) and must pass :func:`check_accessibility`; a page the
  browser navigated to that no test looked at fails the test at its end.
* :func:`new_commits`: what ``git log`` shows since a commit, to assert that one write is one commit
  by the acting person.

The tests are ``slow`` and ``browser`` (``make test`` leaves them out; ``make test-browser`` runs
them). Without Playwright or a Chromium binary they are skipped with the reason; with ``CI`` set
they fail instead, so that CI never passes by skipping them. Chromium is found at
``$CHROMIUM_PATH``, else ``chromium-headless-shell`` or ``chromium`` on the PATH (Debian's
packages); ``playwright install`` is never called.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from caseflow.testing import Result, invoke

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Response

REPO_ROOT = Path(__file__).resolve().parents[2]
# Read now: caseflow's test plugin clears every CASEFLOW_* variable before each test runs.
ARTIFACTS = Path(os.environ.get("CASEFLOW_ARTIFACTS") or REPO_ROOT / "test-artifacts" / "browser")
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")

#: The axe-core rule tags every page is held to: WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SERVER_START_SECONDS = 30

#: Counts htmx requests still in flight (added to every page before its own scripts run), so that
#: a page is looked at once what it loads after itself (the client's timeline) is in.
HTMX_WATCH = """
window.__caseflowPending = 0;
document.addEventListener("htmx:beforeRequest", () => { window.__caseflowPending += 1; });
document.addEventListener("htmx:afterRequest", () => { window.__caseflowPending -= 1; });
"""
HTMX_SETTLED = (
    "() => window.__caseflowPending === 0 && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
)


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test, and slow: ``make test`` never starts a browser."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """Keep each phase's outcome on the test item, so fixtures can tell at teardown whether the test failed."""
    report: pytest.TestReport = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _unavailable(reason: str) -> None:
    """Skip (one line, why) on a developer's machine; fail in CI, where the browser must be there."""
    if IN_CI:
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    """Debian's Chromium: ``$CHROMIUM_PATH``, else ``chromium-headless-shell`` or ``chromium`` on the PATH."""
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium-headless-shell") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole session (each test gets fresh contexts)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (make test-browser installs it: pip install -e '.[browser]')")
    executable = chromium_path()
    if not executable or not Path(executable).exists():
        _unavailable(
            "no Chromium (set CHROMIUM_PATH, or apt-get install chromium-headless-shell)"
            + (f": {executable} does not exist" if executable else "")
        )
    try:
        import axe_playwright_python  # noqa: F401
    except ImportError:
        _unavailable("axe-playwright-python is not installed (make test-browser installs it)")
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=executable)
    except Exception as exc:
        playwright.stop()
        _unavailable(f"Chromium at {executable} did not start: {str(exc).splitlines()[0]}")
    try:
        yield launched
    finally:
        launched.close()
        playwright.stop()


# -- accessibility ------------------------------------------------------------------------------


_axe: list[Any] = []


def check_accessibility(page: Page) -> None:
    """Fail, with a readable list, if axe finds WCAG 2.1 A/AA violations on the page as it is now.

    axe-core is the copy bundled in axe-playwright-python (offline); it is evaluated in the page
    through the DevTools protocol, which the page's CSP does not block.
    """
    if not _axe:
        from axe_playwright_python.sync_playwright import Axe

        _axe.append(Axe())
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    results = _axe[0].run(page, options=options)
    violations = results.response["violations"]
    if violations:
        raise AssertionError(f"axe: {page.url} has accessibility violations:\n{describe_violations(violations)}")


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact') or 'no impact given'}): {violation['help']}")
        for node in violation["nodes"][:8]:
            target = " ".join(" >> ".join(t) if isinstance(t, list) else str(t) for t in node["target"])
            summary = " ".join(line.strip() for line in (node.get("failureSummary") or "").splitlines()[1:2])
            lines.append(f"    {target}: {summary}".rstrip(": "))
        if len(violation["nodes"]) > 8:
            lines.append(f"    ... and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


# -- the server ---------------------------------------------------------------------------------


@dataclass
class Server:
    """A running ``caseflow serve`` for one person in one repository."""

    person: str
    root: Path
    url: str  # the link with this launch's secret, as printed
    process: subprocess.Popen[str]
    log: Path

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT`` (no secret)."""
        return self.url.split("/?", 1)[0]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # as Ctrl-C would: uvicorn shuts down cleanly
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()

    def problems(self) -> str:
        """What the server logged that a test should hear about (a traceback: a page failed)."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text if "Traceback" in text or "ERROR" in text else ""


def server_environment(person: str) -> dict[str, str]:
    """The environment ``caseflow serve`` runs in: as caseflow's own tests run caseflow, hermetic
    (no developer git settings, no CASEFLOW_* variable of the developer's), acting as ``person``."""
    from caseflow.testing import _GIT_ENV

    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
    git_config = {k: v for k, v in _GIT_ENV.items() if k.startswith("GIT_CONFIG")}
    return {**inherited, **git_config, "NO_COLOR": "1", "CASEFLOW_USER": person}


def start_server(person: str, root: Path, log: Path) -> Server:
    """``caseflow serve --port 0 --json`` in ``root`` as ``person``; returns once it listens."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "caseflow", "serve", "--port", "0", "--json"],
            cwd=root,
            env=server_environment(person),
            stdout=subprocess.PIPE,
            stderr=errors,
            stdin=subprocess.DEVNULL,
            text=True,
        )
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline() if process.stdout else ""))
    reader.start()
    reader.join(SERVER_START_SECONDS)
    if not line or not line[0].strip():
        process.kill()
        process.wait()
        raise AssertionError(f"caseflow serve for {person} did not start:\n{log.read_text(errors='replace')}")
    info = json.loads(line[0])
    assert info["acting"] == person, info
    return Server(person, root, info["url"], process, log)


# -- a person at a browser ----------------------------------------------------------------------


@dataclass
class Shots:
    """Where one test's screenshots go, numbered in the order the pages were seen."""

    folder: Path
    count: int = 0

    def next(self, person: str, label: str) -> Path:
        self.count += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / f"{self.count:02d}-{_slug(person)}-{_slug(label)}.png"


@dataclass
class Person:
    """Someone using caseflow in the browser: their own server, their own browser context, one tab."""

    server: Server
    context: BrowserContext
    page: Page
    shots: Shots
    navigations: list[str] = field(default_factory=list)  # documents the tab loaded, in order
    looked: int = 0  # how many of them were looked at
    errors: list[str] = field(default_factory=list)  # script errors, CSP refusals, 5xx answers

    @property
    def name(self) -> str:
        return self.server.person

    @property
    def root(self) -> Path:
        return self.server.root

    def url(self, path: str) -> str:
        return self.server.base + path

    def visit(self, path: str, label: str | None = None, *, status: int = 200, accessible: bool = True) -> Response:
        """Open ``path`` (``/caseload``), check its status, then :meth:`look` at it."""
        response = self.page.goto(self.url(path))
        assert response is not None, path
        assert response.status == status, f"{path}: HTTP {response.status}, expected {status}"
        self.look(label or path, accessible=accessible)
        return response

    def look(self, label: str, *, accessible: bool = True) -> Path:
        """The page as it is now (after a click that loaded one): wait for htmx to settle, save a
        screenshot, run the accessibility scan, fail on script errors or CSP refusals."""
        self.page.wait_for_load_state("load")
        self.page.wait_for_function(HTMX_SETTLED, timeout=10_000)
        shot = self.shots.next(self.name, label)
        self.page.screenshot(path=shot, full_page=True)
        self.looked = len(self.navigations)
        if self.errors:
            found, self.errors[:] = list(self.errors), []
            raise AssertionError(f"{label} ({self.page.url}): the browser reported:\n" + "\n".join(found))
        if accessible:
            check_accessibility(self.page)
        return shot

    def click_to(self, locator: Any, label: str) -> None:
        """Click something that loads a page (a link, a form's button), then :meth:`look` at it."""
        with self.page.expect_navigation():
            locator.click()
        self.look(label)

    def caseflow(self, *args: str) -> Result:
        """The ``caseflow`` command in this person's repository, as this person (``casey.caseflow("sync")``)."""
        return invoke("--repo", self.root, "--as", self.name, *args)

    def close(self) -> None:
        self.context.close()
        self.server.stop()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60] or "page"


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    """This test's screenshot folder, emptied of an earlier run's pictures."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")
    if folder.exists():
        shutil.rmtree(folder)
    return Shots(folder)


@pytest.fixture
def open_context(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    """Fresh browser contexts for this test (no cookies from any other), closed at its end.

    The page's Content-Security-Policy stays enforced (axe does not need it lifted, see
    :func:`check_accessibility`): a page with inline script or style shows up as an error here.
    """
    made: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        context.add_init_script(HTMX_WATCH)
        context.set_default_timeout(10_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def app(
    browser: Browser,
    open_context: Callable[[], BrowserContext],
    demo_repo: Callable[..., Path],
    shots: Shots,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., Person]]:
    """``app("casey")``: casey at a browser, signed in to her own ``caseflow serve`` over a copy of
    the demo repository (the same copy for every person of the test unless ``root=`` says which)."""
    people: list[Person] = []
    default_root: list[Path] = []

    def make(person: str = "casey", root: Path | None = None) -> Person:
        if root is None:
            if not default_root:
                default_root.append(demo_repo())
            root = default_root[0]
        server = start_server(person, root, tmp_path / f"serve-{person}-{len(people)}.log")
        context = open_context()
        page = context.new_page()
        someone = Person(server, context, page, shots)
        people.append(someone)

        def loaded(frame: Any) -> None:
            if frame == page.main_frame:
                someone.navigations.append(frame.url)

        def answered(response: Response) -> None:
            if response.status >= 500:
                someone.errors.append(f"HTTP {response.status} from {response.url}")

        def said(message: Any) -> None:
            if message.type == "error" and "Content Security Policy" in message.text:
                someone.errors.append(f"CSP: {message.text}")

        page.on("framenavigated", loaded)
        page.on("response", answered)
        page.on("console", said)
        page.on("pageerror", lambda error: someone.errors.append(f"script error: {error}"))
        first = page.goto(server.url)  # the printed link: sets the session cookie, then Today without the secret
        assert first is not None and first.status == 200, f"signing in as {person} failed"
        assert "token=" not in page.url
        someone.look("signed-in")
        return someone

    yield make
    call = getattr(request.node, "report_call", None)
    failed = call is None or call.failed
    if failed:  # what each person's tab showed when the test failed
        for someone in people:
            with contextlib.suppress(Exception):
                someone.page.screenshot(path=shots.next(someone.name, "at-failure"), full_page=True)
    unlooked = [f"{p.name}: {url}" for p in people for url in p.navigations[p.looked :] if not url.startswith("about:")]
    problems = [f"{p.name}'s server:\n{p.server.problems()}" for p in people if p.server.problems()]
    for someone in people:
        someone.close()
    assert not problems, "\n".join(problems)
    assert failed or not unlooked, "pages visited but never looked at (screenshot and accessibility):\n" + "\n".join(
        unlooked
    )


@pytest.fixture
def shared_demo(demo_repo: Callable[..., Path], tmp_path: Path) -> Callable[..., dict[str, Path]]:
    """``shared_demo("casey", "sam")``: the demo repository pushed to a bare remote (``"hub"``), and a
    ``caseflow clone`` of it per name (each person's own laptop, with that person's demo signing key):
    ``{"hub": ..., "casey": ..., "sam": ...}``. Serve each with ``app(name, root=clones[name])``;
    ``person.caseflow("sync")`` syncs from the command line (or use the Sync page)."""

    def make(*names: str) -> dict[str, Path]:
        origin = demo_repo(name="demo-origin")
        hub = tmp_path / "hub.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(origin), str(hub)], check=True)
        clones = {"hub": hub}
        for name in names:
            laptop = tmp_path / f"{name}-laptop"
            invoke("clone", hub, laptop).assert_success()
            # The demo requires signed commits (where ssh-keygen is): each laptop holds its owner's
            # key only, where the demo keeps keys (the git-ignored .caseflow/keys/), as a person's would.
            for key in (origin / ".caseflow" / "keys").glob(f"{name}*"):
                if key.name in (name, f"{name}.pub"):
                    (laptop / ".caseflow" / "keys").mkdir(parents=True, exist_ok=True)
                    shutil.copy2(key, laptop / ".caseflow" / "keys" / key.name)
            clones[name] = laptop
        return clones

    return make


# -- git ----------------------------------------------------------------------------------------


def head(root: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


def new_commits(root: Path, since: str) -> list[tuple[str, str, str]]:
    """``(author name, author email, subject)`` of each commit after ``since``, newest first."""
    out = subprocess.run(
        ["git", "-C", str(root), "log", "--format=%an%x00%ae%x00%s", f"{since}..HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [tuple(line.split("\x00")) for line in out.splitlines()]  # type: ignore[misc]


def wait_until(condition: Callable[[], bool], seconds: float = 10) -> None:
    """Poll ``condition`` (a file appearing, a server noticing a change) until true or time is up."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
