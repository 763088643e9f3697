"""Mappings and sets kept in buckets: they behave as a dict and a set do, read each bucket when
first used, keep the buckets never made as they were read, and copies share nothing changed."""

from __future__ import annotations

import marshal
import operator

import pytest

from caseflow.core.buckets import BUCKETS, BucketedDict, BucketedSet, bucket_of


def made(field: BucketedDict | BucketedSet) -> int:  # type: ignore[type-arg]
    return sum(bucket is not None for bucket in field._made)


def reread(field: BucketedDict) -> BucketedDict:  # type: ignore[type-arg]
    sizes, parts = field.kept()
    return BucketedDict.read((sizes, [memoryview(marshal.dumps(marshal.loads(p))) for p in parts]), str, list)


def test_a_bucketed_dict_behaves_as_a_dict() -> None:
    plain = {f"C-{n:06d}": [n] for n in range(300)}
    kept = reread(BucketedDict.of(plain.items(), str, list))
    assert made(kept) == 0 and len(kept) == 300  # (its size known without reading a bucket)
    assert kept["C-000001"] == [1] and kept.get("C-999999") is None and "C-000002" in kept
    assert made(kept) == len({bucket_of("C-000001"), bucket_of("C-999999"), bucket_of("C-000002")})
    kept.setdefault("C-000001", []).append(99)
    kept.setdefault("C-NEW001", []).append(7)
    assert kept.pop("C-000003") == [3] and kept.pop("C-000003", "gone") == "gone"
    with pytest.raises(KeyError):
        del kept["C-000003"]
    expected = {**plain, "C-000001": [1, 99], "C-NEW001": [7]}
    del expected["C-000003"]
    assert kept == expected and dict(kept) == expected and sorted(kept) == sorted(expected)
    assert reread(kept) == expected  # (kept: made buckets as they are now, the rest as read)
    assert "BucketedDict(" in repr(kept)


def test_a_copy_copies_each_bucket_when_first_used_and_its_values_too() -> None:
    original = reread(BucketedDict.of({f"C-{n:06d}": [n] for n in range(300)}.items(), str, list))
    original.get("C-000001")
    copy = original.copy()
    copy["C-000001"].append(2)  # (a value made by the original, copied with its bucket)
    copy["C-000004"].append(5)  # (one the original never read)
    assert original["C-000001"] == [1] and original["C-000004"] == [4]
    assert made(copy) == len({bucket_of("C-000001"), bucket_of("C-000004")})


def test_a_bucketed_set_behaves_as_a_set() -> None:
    decisions = {(f"C-{n:06d}", "plan.yaml", "approved") for n in range(300)}
    sizes, parts = BucketedSet.of(decisions, operator.itemgetter(0)).kept()
    kept = BucketedSet.read((sizes, parts), operator.itemgetter(0))
    assert len(kept) == 300 and made(kept) == 0 and bool(kept)
    assert ("C-000001", "plan.yaml", "approved") in kept and ("C-000001", "plan.yaml", "rejected") not in kept
    assert made(kept) == 1
    kept.add(("C-000001", "plan.yaml", "rejected"))
    kept.discard(("C-000002", "plan.yaml", "approved"))
    kept.discard(("C-000002", "plan.yaml", "approved"))  # (twice: nothing to discard)
    assert kept == (decisions | {("C-000001", "plan.yaml", "rejected")}) - {("C-000002", "plan.yaml", "approved")}
    copy = kept.copy()
    copy.clear()
    assert len(copy) == 0 and len(kept) == 300 and "BucketedSet(" in repr(kept)


def test_a_bucket_of_another_kind_or_count_is_refused() -> None:
    sizes, parts = BucketedDict.of([("a", 1)], str).kept()
    with pytest.raises(ValueError, match="not a bucketed field"):
        BucketedDict.read((sizes[:-1], parts[:-1]), str)
    wrong = BucketedDict.read((sizes, [marshal.dumps({1, 2})] * BUCKETS), str)
    with pytest.raises(ValueError, match="not a bucket of a mapping"):
        wrong.get("a")
    with pytest.raises(ValueError, match="not a bucket of a set"):
        "a" in BucketedSet.read((sizes, parts), str)  # noqa: B015
