"""Every command a refusal suggests is one that runs: refusals are triggered in a small repository,
the `caseflow ...` commands they print are collected and each is run as printed."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path

from caseflow.testing import Result

#: A suggestion as refusals print it: in parentheses, or after a colon ("a supervisor runs: ...").
SUGGESTION = re.compile(r"(?:\(|: )(caseflow [^()]+?)(?=\)|,? then| &&|$)", re.MULTILINE)


def suggestions(text: str) -> list[str]:
    return [m.group(1).strip() for m in SUGGESTION.finditer(text)]


def test_every_suggested_command_runs(case_repo: Callable[..., Path], invoke_caseflow: Callable[..., Result]) -> None:
    repo = case_repo()

    def cf(*args: str, who: str = "casey") -> Result:
        return invoke_caseflow("--repo", str(repo), "--as", who, *args)

    def run(suggested: str) -> Result:
        words = shlex.split(suggested)[1:]
        who = "sam" if words[0] == "approve" else "casey"
        return cf(*words, who=who)

    client = json.loads(
        cf("intake", "--name", "Ana Example", "--dob", "1990-04-02", "--phone", "555-0100", "--json").stdout
    )["id"]
    other = json.loads(cf("intake", "--name", "Bo Example", "--dob", "1991-05-03", "--json").stdout)["id"]
    ran: dict[str, int] = {}

    def follow(refused: Result) -> None:
        assert refused.exit_code == 1, refused
        found = suggestions(refused.stderr)
        assert found, refused.stderr
        for suggested in found:
            result = run(suggested)
            assert result.exit_code != 2, (suggested, result.stderr)
            ran[suggested.split()[1]] = result.exit_code

    follow(cf("advance", client))  # the treatment consent
    assert cf("advance", client).exit_code == 0, "the consent suggested is the one the move needs"
    follow(cf("advance", client))  # an intake interview note, screenings (asked interactively: no input here)
    follow(cf("discharge", other, "--reason", "lost-contact"))  # attempts to reach the client
    follow(cf("discharge", other, "--reason", "completed"))  # the summary first, then its approval
    assert cf("discharge", other, "--reason", "completed").exit_code == 0, "as the refusal said: then run it again"
    follow(cf("flag", client, "clear", "Suicide risk"))  # caseflow show lists the flags
    assert {"consent", "new", "screen", "visit", "approve", "show"} <= set(ran)
    assert ran["consent"] == ran["new"] == ran["visit"] == ran["approve"] == ran["show"] == 0
