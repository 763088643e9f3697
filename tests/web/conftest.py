"""The web app in process: a copy of the demo repository served by the real app (Starlette's
test client over httpx), signed in with this launch's secret as a browser would be."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from caseflow.repo import open_repo
from caseflow.web.app import create_app
from caseflow.web.security import Sessions
from caseflow.web.state import WebState

#: Served over http://127.0.0.1 as `caseflow serve` is (the test client's default host is "testserver").
BASE = "http://127.0.0.1"


class Browser:
    """A signed-in test client, and the CSRF token of the last page it read."""

    def __init__(self, client: TestClient, root: Path, sessions: Sessions) -> None:
        self.client = client
        self.root = root
        self.sessions = sessions
        self.token = ""

    def get(self, url: str, **kwargs: object):  # type: ignore[no-untyped-def]
        response = self.client.get(url, **kwargs)  # type: ignore[arg-type]
        found = re.search(r'name="csrftoken" value="([^"]+)"', response.text) or re.search(
            r'"x-csrftoken": "([^"]+)"', response.text
        )
        if found:
            self.token = found.group(1)
        return response

    def post(  # type: ignore[no-untyped-def]
        self,
        url: str,
        data: dict[str, object] | list[tuple[str, str]] | None = None,
        *,
        csrf: bool = True,
        **kwargs: object,
    ):
        """POST a form as the page would: with the CSRF token read from the last page (``csrf=False``: without)."""
        if not self.token:
            self.get("/")
        items = list(data.items()) if isinstance(data, dict) else list(data or [])
        if csrf:
            items = [("csrftoken", self.token), *items]
        form: dict[str, list[str]] = {}
        for key, value in items:
            form.setdefault(key, []).append(str(value))
        return self.client.post(url, data=form, follow_redirects=False, **kwargs)  # type: ignore[arg-type]


def serve(root: Path, acting: str) -> tuple[TestClient, Sessions]:
    repo = open_repo(root, environ={"CASEFLOW_USER": acting})
    state = WebState(root, repo.host, {"CASEFLOW_USER": acting}, None)
    sessions = Sessions()
    app = create_app(state, sessions, agency=repo.config.agency, acting_label=acting)
    return TestClient(app, base_url=BASE), sessions


@pytest.fixture
def web(demo_repo: Callable[..., Path]) -> Iterator[Callable[..., Browser]]:
    """``web("casey")``: a browser signed in to the demo repository's app as that person
    (``web("sam", root=path)`` for another person or repository)."""
    opened: list[TestClient] = []
    default_root: list[Path] = []

    def make(acting: str = "casey", root: Path | None = None) -> Browser:
        if root is None:
            if not default_root:
                default_root.append(demo_repo())
            root = default_root[0]
        client, sessions = serve(root, acting)
        opened.append(client)
        client.get(f"/?token={sessions.secret}")  # the link `caseflow serve` prints: sets the session cookie
        return Browser(client, root, sessions)

    yield make
    for client in opened:
        client.close()
