"""The ledger's kept state: read back as it was kept, and only for its own version and policy."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

from caseflow.core import ledger, ledger_state
from caseflow.core.buckets import bucket_of
from caseflow.core.ledger_state import Ledger, Verdict


def a_ledger() -> Ledger:
    return Ledger(
        head="c" * 40,
        approvals={("C-4T8M2Q", "plan.yaml", "b" * 40, "approved", "sam", "2026-03-10")},
        stages={"C-4T8M2Q": ("d" * 40, "active", True)},
        breaches={"e" * 40: Verdict("e" * 40, "advance C-4T8M2Q", "casey", ["no right to advance"])},
        config_at={"c" * 40: "f" * 40},
        signed=True,
        good_stages={"C-4T8M2Q": "active"},
        good_histories={"C-4T8M2Q": "1234"},
        history_edits={"C-4T8M2Q": "a" * 40},
        full_names={"full-digest"},
        first_words={"first-digest"},
        writers={"clients/C-4T8M2Q/plan.yaml": ("b" * 40, "casey@example.org")},
        refused={"C-4T8M2Q\x1fplan.yaml": "casey may not approve"},
        good_approvals={"C-4T8M2Q": "5678"},
        approvals_edits={"C-4T8M2Q": "9" * 40},
        replayed=12,
    )


def test_a_kept_state_reads_back_as_it_was_kept(tmp_path: Path) -> None:
    (tmp_path / "verified.json").write_text("{}")  # an earlier version's: replaced
    kept = a_ledger()
    ledger.keep(tmp_path, kept, "c" * 40, "intake-policy")
    found = ledger_state.load(tmp_path, "intake-policy")
    assert found is not None and found.replayed == 0  # (of one run: never kept)
    found.replayed = kept.replayed
    assert found == kept
    assert ledger_state.head_of(tmp_path) == ledger_state.head_of(tmp_path, policy="intake-policy") == kept.head
    assert ledger_state.head_of(tmp_path, policy="another-policy") is None
    assert not (tmp_path / "verified.json").exists()


def test_another_policy_version_or_bytes_are_not_read(tmp_path: Path) -> None:
    ledger.keep(tmp_path, a_ledger(), "c" * 40, "intake-policy")
    assert ledger_state.load(tmp_path, "another-policy") is None
    assert ledger_state.load(tmp_path, "intake-policy", ledger_state.BASE) is None  # none kept
    state = tmp_path / ledger_state.LATEST
    _, policy, head, chunks, buckets = ledger_state.unpacked(state.read_bytes())
    state.write_bytes(ledger_state.packed(ledger_state.STATE_VERSION - 1, policy, head, chunks, buckets))
    assert ledger_state.load(tmp_path, "intake-policy") is None
    assert ledger_state.head_of(tmp_path) is None
    version = ledger_state.STATE_VERSION
    whole = ledger_state.packed(version, "intake-policy", None, chunks, buckets)
    assert ledger_state.load(tmp_path, "intake-policy") is None  # (of another version)
    state.write_bytes(whole)
    assert ledger_state.load(tmp_path, "intake-policy") is not None  # (the garbage below is made of this)
    for garbage in (
        b"",
        b"not marshal",
        marshal.dumps({"head": "c"}),
        marshal.dumps((version, "intake-policy", [1])),
        ledger_state.packed(version, "intake-policy", None, {"signed": marshal.dumps(True)}),  # (fields missing)
        ledger_state.packed(version, "intake-policy", None, {"signed": True}),  # (a field not as bytes)
        whole[:-3],  # (a bucket torn)
        whole + b"more",  # (bytes after the last bucket)
        ledger_state.packed(version, "intake-policy", None, chunks, {**buckets, "stages": ([1], [b"x"])}),  # (too few)
    ):
        state.write_bytes(garbage)
        assert ledger_state.load(tmp_path, "intake-policy") is None
        assert ledger_state.head_of(tmp_path) is None
    state.write_bytes(ledger_state.packed(version, "intake-policy", "c" * 40, {"signed": b"F"})[:-3])  # torn
    assert ledger_state.load(tmp_path, "intake-policy") is None  # (its head alone may still be read)


def test_the_latest_becomes_the_base(tmp_path: Path) -> None:
    ledger.keep(tmp_path, a_ledger(), "c" * 40, "p")
    ledger_state.keep_as_base(tmp_path)
    assert ledger_state.load(tmp_path, "p") is None
    assert ledger_state.load(tmp_path, "p", ledger_state.BASE) is not None


def a_caseload_ledger(clients: int = 640) -> Ledger:
    """A ledger of many clients: every field has something in each bucket."""
    ids = [f"C-{n:06d}" for n in range(clients)]
    return Ledger(
        head="c" * 40,
        approvals={(c, "plan.yaml", "b" * 40, "approved", "sam", "2026-03-10") for c in ids},
        stages={c: ("d" * 40, "active", True) for c in ids},
        good_histories={c: f"digest-{c}" for c in ids},
        writers={f"clients/{c}/plan.yaml": ("b" * 40, "casey@example.org") for c in ids},
        full_names={f"full-{c}" for c in ids},
        first_words={f"first-{c}" for c in ids},
    )


def made_buckets(field: object) -> int:
    return sum(made is not None for made in field._made)  # type: ignore[attr-defined]


def test_a_kept_state_reads_each_bucket_when_first_used_and_keeps_the_unread_as_read(tmp_path: Path) -> None:
    kept = a_caseload_ledger()
    ledger.keep(tmp_path, kept, "c" * 40, "p")
    found = ledger_state.load(tmp_path, "p")
    assert found is not None
    assert made_buckets(found.stages) == 0 and made_buckets(found.approvals) == 0  # (nothing read yet)
    assert found.stages["C-000007"] == kept.stages["C-000007"]  # read when used, one bucket
    assert ("C-000007", "plan.yaml", "b" * 40, "approved", "sam", "2026-03-10") in found.approvals
    assert "first-C-000007" in found.first_words and len(found.full_names) == 640  # (the size without reading)
    assert made_buckets(found.stages) == made_buckets(found.approvals) == made_buckets(found.first_words) == 1
    assert made_buckets(found.full_names) == made_buckets(found.writers) == 0
    found.stages["C-9Z9Z9Z"] = ("a" * 40, "intake", True)
    del found.stages["C-000007"]
    ledger.keep(tmp_path, found, "d" * 40, "p")  # (the unread buckets kept as they were read)
    again = ledger_state.load(tmp_path, "p")
    assert again is not None and again.head == "d" * 40
    expected = {**kept.stages, "C-9Z9Z9Z": ("a" * 40, "intake", True)}
    del expected["C-000007"]
    assert again.stages == expected and dict(again.stages) == expected and len(again.stages) == 640
    assert again.writers == kept.writers and again.approvals == kept.approvals and again.full_names == kept.full_names
    assert ledger_state.copied(again) == again
    with pytest.raises(AttributeError, match="no_such_field"):
        again.no_such_field  # type: ignore[attr-defined]  # noqa: B018


def test_a_copy_makes_each_field_when_first_used_and_shares_nothing_it_changes(tmp_path: Path) -> None:
    original = a_ledger()
    copy = ledger_state.copied(original)
    assert "stages" not in vars(copy) and "writers" not in vars(copy)  # (made when first used)
    copy.stages["C-9Z9Z9Z"] = ("a" * 40, "intake", True)
    copy.full_names.add("another")
    copy.approvals.clear()
    assert original == a_ledger()  # (the original unchanged)
    assert copy.writers == original.writers and "approvals_edits" not in vars(copy)
    again = ledger_state.copied(copy)  # (a copy of a copy: the fields still to make shared)
    again.writers.clear()
    assert copy.writers == original.writers and again.stages == copy.stages and again.approvals == set()
    ledger.keep(tmp_path, again, "d" * 40, "p")  # (kept whole: the fields not made yet as their sources)
    kept = ledger_state.load(tmp_path, "p")
    assert kept is not None and kept.stages == copy.stages and kept.history_edits == original.history_edits
    assert kept.writers == {} and "another" in kept.full_names


def test_a_copy_of_a_kept_state_copies_each_bucket_when_first_used(tmp_path: Path) -> None:
    ledger.keep(tmp_path, a_caseload_ledger(), "c" * 40, "p")
    kept = ledger_state.load(tmp_path, "p")
    assert kept is not None
    kept.stages.get("C-000001")  # (one bucket made before the copy, the rest read by the copy itself)
    copy = ledger_state.copied(kept)
    copy.stages["C-000001"] = ("e" * 40, "closed", True)
    copy.stages["C-000002"] = ("e" * 40, "closed", True)
    copy.approvals.discard(("C-000003", "plan.yaml", "b" * 40, "approved", "sam", "2026-03-10"))
    assert kept.stages["C-000001"] == kept.stages["C-000002"] == ("d" * 40, "active", True)  # (unchanged)
    assert len(kept.approvals) == 640 and len(copy.approvals) == 639
    assert made_buckets(copy.stages) == len({bucket_of("C-000001"), bucket_of("C-000002")})
    assert made_buckets(copy.writers) == 0 and copy.writers == kept.writers
    later = ledger_state.copied(copy)
    later.stages.pop("C-000001")
    assert copy.stages["C-000001"] == ("e" * 40, "closed", True) and "C-000001" not in later.stages


def test_a_state_forgotten_is_not_read(tmp_path: Path) -> None:
    ledger.keep(tmp_path, a_ledger(), "c" * 40, "p")
    ledger_state.forget(tmp_path, ledger_state.LATEST)
    ledger_state.forget(tmp_path, ledger_state.LATEST)  # (twice: nothing to forget)
    assert ledger_state.load(tmp_path, "p") is None and ledger_state.head_of(tmp_path) is None
