"""A large mapping or set kept in buckets by key, each bucket read from its bytes when first used.

The ledger's fields hold an entry per client, per decision or per document of a whole caseload
(megabytes at 10,000 clients), while a command after a write asks about the few clients it
touched: read whole, the fields cost it more than the rest of its work (75 ms at 50,000 clients).
Kept in :data:`BUCKETS` buckets by a digest of the key, a lookup reads one bucket of a field, and
a state kept again writes again only the buckets that were made (the rest as they were read).

A bucket is :mod:`marshal` bytes (a local cache's, like the rest of the ledger's state); a copy
(:meth:`BucketedDict.copy`) shares the buckets it has not made yet with what it was copied from,
which must not change after, and copies each when first used.
"""

from __future__ import annotations

import marshal
import zlib
from abc import abstractmethod
from collections.abc import Callable, Hashable, Iterable, Iterator, MutableMapping, MutableSet
from typing import Any, Generic, TypeVar

#: Buckets per field: a lookup reads 1/64 of it (at 50,000 clients, under a millisecond).
BUCKETS = 64

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
E = TypeVar("E", bound=Hashable)

#: What a bucket not made yet is made from: its bytes (a slice of the file it was read from), or
#: another's bucket (copied when made).
Source = bytes | memoryview | dict[Any, Any] | set[Any]
#: A field as kept: each bucket's size and its :mod:`marshal` bytes.
Kept = tuple[list[int], list["bytes | memoryview"]]


def bucket_of(key: str) -> int:
    """The bucket of a key (the same in every process, unlike ``hash``)."""
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % BUCKETS


class _Buckets:
    """What a bucketed mapping and a bucketed set share: the buckets, made when first used."""

    __slots__ = ("_made", "_sizes", "_sources")

    def __init__(self, sources: list[Source], sizes: list[int]) -> None:
        self._sources = sources
        self._sizes = sizes
        self._made: list[Any] = [None] * BUCKETS

    def _bucket(self, index: int) -> Any:
        made = self._made[index]
        if made is None:
            made = self._made[index] = self._make(self._sources[index])
            self._sources[index] = b""  # (what it was made from is not needed again)
        return made

    @abstractmethod
    def _make(self, source: Source) -> Any:
        """A bucket made from its source: read from its bytes, or copied from another's."""

    def _all(self) -> Iterator[Any]:
        return (self._bucket(index) for index in range(BUCKETS))

    def __len__(self) -> int:
        return sum(len(made) if made is not None else self._sizes[i] for i, made in enumerate(self._made))

    def kept(self) -> Kept:
        """Each bucket's size and bytes to keep: those never made as they were read."""
        sizes: list[int] = []
        parts: list[bytes | memoryview] = []
        for index, made in enumerate(self._made):
            source = self._sources[index]
            if made is not None:
                sizes.append(len(made))
                parts.append(marshal.dumps(made))
            elif isinstance(source, bytes | memoryview):
                sizes.append(self._sizes[index])
                parts.append(source)
            else:
                sizes.append(len(source))
                parts.append(marshal.dumps(source))
        return sizes, parts

    def _shared(self) -> tuple[list[Source], list[int]]:
        """The sources of a copy: this one's buckets (made or not), to be copied when the copy uses them."""
        sources = [made if made is not None else self._sources[i] for i, made in enumerate(self._made)]
        sizes = [len(made) if made is not None else self._sizes[i] for i, made in enumerate(self._made)]
        return sources, sizes


def _checked(sizes: list[int], parts: list[bytes | memoryview]) -> tuple[list[Source], list[int]]:
    """The sources and sizes of a field as kept (a ValueError if it is not one)."""
    if len(sizes) != BUCKETS or len(parts) != BUCKETS or not all(isinstance(n, int) for n in sizes):
        raise ValueError("not a bucketed field")
    return list(parts), list(sizes)


class BucketedDict(_Buckets, MutableMapping[K, V], Generic[K, V]):
    """A dict kept in buckets by ``key_of(key)`` (a string)."""

    __slots__ = ("_copy_value", "_key_of")

    def __init__(
        self,
        sources: list[Source],
        sizes: list[int],
        key_of: Callable[[K], str],
        copy_value: Callable[[V], V] | None = None,
    ) -> None:
        super().__init__(sources, sizes)
        self._key_of = key_of
        self._copy_value = copy_value

    @classmethod
    def read(
        cls, kept: Kept, key_of: Callable[[K], str], copy_value: Callable[[V], V] | None = None
    ) -> BucketedDict[K, V]:
        sources, sizes = _checked(*kept)
        return cls(sources, sizes, key_of, copy_value)

    @classmethod
    def of(
        cls, items: Iterable[tuple[K, V]], key_of: Callable[[K], str], copy_value: Callable[[V], V] | None = None
    ) -> BucketedDict[K, V]:
        buckets: list[dict[K, V]] = [{} for _ in range(BUCKETS)]
        for key, value in items:
            buckets[bucket_of(key_of(key))][key] = value
        return cls(list(buckets), [len(b) for b in buckets], key_of, copy_value)

    def _make(self, source: Source) -> dict[K, V]:
        if isinstance(source, bytes | memoryview):
            found = marshal.loads(source)
            if not isinstance(found, dict):
                raise ValueError("not a bucket of a mapping")
            return found
        assert isinstance(source, dict)
        copy = self._copy_value
        return {key: copy(value) for key, value in source.items()} if copy else dict(source)

    def _for(self, key: K) -> dict[K, V]:
        made: dict[K, V] = self._bucket(bucket_of(self._key_of(key)))
        return made

    def __getitem__(self, key: K) -> V:
        return self._for(key)[key]

    def get(self, key: K, default: Any = None) -> Any:
        return self._for(key).get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._for(key)  # type: ignore[arg-type]

    def __setitem__(self, key: K, value: V) -> None:
        self._for(key)[key] = value

    def __delitem__(self, key: K) -> None:
        del self._for(key)[key]

    def pop(self, key: K, *default: Any) -> Any:
        return self._for(key).pop(key, *default)

    def setdefault(self, key: K, default: Any = None) -> Any:
        return self._for(key).setdefault(key, default)

    def __iter__(self) -> Iterator[K]:
        for made in self._all():
            yield from made

    def copy(self) -> BucketedDict[K, V]:
        """A copy sharing nothing a change to it changes (``self`` must not change after)."""
        sources, sizes = self._shared()
        return BucketedDict(sources, sizes, self._key_of, self._copy_value)

    def __repr__(self) -> str:
        return f"BucketedDict({dict(self.items())!r})"


class BucketedSet(_Buckets, MutableSet[E], Generic[E]):
    """A set kept in buckets by ``key_of(element)`` (a string)."""

    __slots__ = ("_key_of",)

    def __init__(self, sources: list[Source], sizes: list[int], key_of: Callable[[E], str]) -> None:
        super().__init__(sources, sizes)
        self._key_of = key_of

    @classmethod
    def read(cls, kept: Kept, key_of: Callable[[E], str]) -> BucketedSet[E]:
        sources, sizes = _checked(*kept)
        return cls(sources, sizes, key_of)

    @classmethod
    def of(cls, elements: Iterable[E], key_of: Callable[[E], str]) -> BucketedSet[E]:
        buckets: list[set[E]] = [set() for _ in range(BUCKETS)]
        for element in elements:
            buckets[bucket_of(key_of(element))].add(element)
        return cls(list(buckets), [len(b) for b in buckets], key_of)

    def _make(self, source: Source) -> set[E]:
        if isinstance(source, bytes | memoryview):
            found = marshal.loads(source)
            if not isinstance(found, set):
                raise ValueError("not a bucket of a set")
            return found
        return set(source)

    def _for(self, element: E) -> set[E]:
        made: set[E] = self._bucket(bucket_of(self._key_of(element)))
        return made

    def __contains__(self, element: object) -> bool:
        return element in self._for(element)  # type: ignore[arg-type]

    def add(self, element: E) -> None:
        self._for(element).add(element)

    def discard(self, element: E) -> None:
        self._for(element).discard(element)

    def __iter__(self) -> Iterator[E]:
        for made in self._all():
            yield from made

    def copy(self) -> BucketedSet[E]:
        """A copy sharing nothing a change to it changes (``self`` must not change after)."""
        sources, sizes = self._shared()
        return BucketedSet(sources, sizes, self._key_of)

    def __repr__(self) -> str:
        return f"BucketedSet({set(self)!r})"
