"""History: a folder's commits with caseflow's trailers, and last changes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from caseflow.core.git import history
from caseflow.core.store import Author, Store

CASEY = Author("Casey Rivera", "casey@riverbend.example")
PLAN = "clients/C-7K2M9Q/plan.yaml"


def test_log_of_reads_trailers_and_changes_newest_first(case_repo: Callable[..., Path]) -> None:
    path = case_repo()
    store = Store(path)
    with store.transaction(CASEY, action="advance", client="C-7K2M9Q") as tx:
        tx.write(PLAN, b"form: core.plan\n")
        tx.details["Stage"] = "planning -> active"
    with store.transaction(CASEY, action="set", client="C-7K2M9Q") as tx:
        tx.remove(PLAN)
    records = history.log_of(path, "clients/C-7K2M9Q", ("Caseflow-Action", "Caseflow-Stage"))
    assert [(r.subject, r.trailers, r.changes) for r in records] == [
        ("set C-7K2M9Q", ("set", ""), (("D", PLAN),)),
        ("advance C-7K2M9Q", ("advance", "planning -> active"), (("A", PLAN),)),
    ]
    assert records[0].email == "casey@riverbend.example"
    assert history.last_change(path, PLAN) == (records[0].commit, records[0].email, records[0].date)
    assert history.last_author_email(path, PLAN, f"{records[0].commit}^") == "casey@riverbend.example"
    assert history.is_ancestor(path, records[1].commit)
    assert history.commits_since(path, records[1].commit) == 1
