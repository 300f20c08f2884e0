"""An append-only log whose older items may still be encoded, decoded on first read.

A long plan's comments and messages are most of its state, and a command never
reads them: it only appends. So a plan loaded from a snapshot keeps them as the
snapshot's encoded *chunks* (opaque to this module: the application layer supplies
the chunks and the callable that decodes one) and decodes them only when they are
read. Items appended since are kept as a plain list (the *tail*).

`seal` turns the tail into a chunk once the application has encoded it for a
snapshot, keeping the items already in memory, so the next snapshot reuses the
chunk's bytes instead of encoding the same items again.

Copies (`copy`, `copy.copy`, `copy.deepcopy`) share the chunks and their decoded
items (both never change once made) and copy the tail, so a copy costs a list copy
of at most the items appended since the last snapshot; the items are frozen values
and are shared, as everywhere in `PlanState`.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")

ChunkDecoder = Callable[[Any], Sequence[Any]]
"""Decodes one chunk (the opaque object given with it) to the items it holds, in order."""


class _Chunk:
    """One encoded run of items and, once read, the items themselves."""

    __slots__ = ("count", "data", "decode", "items")

    def __init__(
        self,
        data: object,
        count: int,
        decode: ChunkDecoder | None,
        items: Sequence[Any] | None = None,
    ) -> None:
        self.data = data
        self.count = count
        self.decode = decode
        self.items = items

    def read(self) -> Sequence[Any]:
        items = self.items
        if items is None:
            if self.decode is None:  # pragma: no cover - guarded by the constructors
                raise RuntimeError("an encoded chunk without a decoder")
            items = self.keep(self.decode(self.data))
        return items

    def keep(self, items: Sequence[Any]) -> Sequence[Any]:
        """`items`, decoded from this chunk, checked against its count and kept."""
        if len(items) != self.count:
            msg = f"a chunk said {self.count} items but decoded to {len(items)}"
            raise ValueError(msg)
        self.items = items  # every copy sharing this chunk sees it decoded
        return items


class AppendOnlyLog(Generic[T]):
    """A sequence that only grows: append, iterate, `len`, index, compare, copy."""

    __slots__ = ("_chunks", "_sealed", "_tail")

    _chunks: tuple[_Chunk, ...]
    _sealed: int
    _tail: list[T]

    def __init__(self, items: Iterable[T] = ()) -> None:
        self._chunks = ()
        self._sealed = 0
        self._tail = list(items)

    @classmethod
    def from_chunks(
        cls,
        chunks: Iterable[tuple[object, int]],
        decode: ChunkDecoder,
        tail: Iterable[T] = (),
    ) -> "AppendOnlyLog[T]":
        """A log of encoded `(chunk, item count)` pairs, each decoded by `decode` when read."""
        log: AppendOnlyLog[T] = cls(tail)
        log._chunks = tuple(_Chunk(data, count, decode) for data, count in chunks if count)
        log._sealed = sum(chunk.count for chunk in log._chunks)
        return log

    # ------------------------------------------------------------ writing

    def append(self, item: T) -> None:
        self._tail.append(item)

    def clear(self) -> None:
        """Empty this log (its copies keep their items)."""
        self._chunks = ()
        self._sealed = 0
        self._tail = []

    # ----------------------------------------------------- reading

    def __len__(self) -> int:
        return self._sealed + len(self._tail)

    def __iter__(self) -> Iterator[T]:
        chunks = self._chunks
        tail = self._tail
        if not chunks:
            return iter(tail)
        self._read_together()
        return chain(*(chunk.read() for chunk in chunks), tail)

    def _read_together(self) -> None:
        """Decode the chunks not read yet in one go, where their decoder can
        (`decode_many`: one round trip to a store for all of them, say)."""
        pending = [chunk for chunk in self._chunks if chunk.items is None]
        if len(pending) < 2:
            return
        decode = pending[0].decode
        decode_many = getattr(decode, "decode_many", None)
        if decode_many is None or any(chunk.decode is not decode for chunk in pending):
            return
        for chunk, items in zip(pending, decode_many([c.data for c in pending]), strict=True):
            chunk.keep(items)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return list(self)[index]
        length = len(self)
        position = index + length if index < 0 else index
        if not 0 <= position < length:
            raise IndexError("log index out of range")
        if position >= self._sealed:
            return self._tail[position - self._sealed]
        for chunk in self._chunks:
            if position < chunk.count:
                item: T = chunk.read()[position]
                return item
            position -= chunk.count
        raise AssertionError("unreachable: the chunk counts add up to _sealed")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, AppendOnlyLog):
            return len(self) == len(other) and list(self) == list(other)
        if isinstance(other, list):
            return len(self) == len(other) and list(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def undecoded_chunks(self) -> int:
        """How many chunks have not been decoded yet (in this log and its copies)."""
        return sum(chunk.items is None for chunk in self._chunks)

    def __repr__(self) -> str:
        decoded = len(self._chunks) - self.undecoded_chunks()
        return (
            f"AppendOnlyLog({len(self)} items: {len(self._chunks)} chunks "
            f"({decoded} decoded), {len(self._tail)} since)"
        )

    # ------------------------------------------------------------ copies

    def copy(self) -> "AppendOnlyLog[T]":
        clone: AppendOnlyLog[T] = AppendOnlyLog.__new__(AppendOnlyLog)
        clone._chunks = self._chunks
        clone._sealed = self._sealed
        clone._tail = list(self._tail)
        return clone

    def __copy__(self) -> "AppendOnlyLog[T]":
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> "AppendOnlyLog[T]":
        return self.copy()  # the items are frozen values: shared, like PlanState.copy

    # ------------------------------------------------ for the snapshot codec

    def encoded_chunks(self) -> list[tuple[object, int]]:
        """The `(chunk, item count)` pairs before the tail, as given or sealed."""
        return [(chunk.data, chunk.count) for chunk in self._chunks]

    def tail(self) -> list[T]:
        """The items appended since the last chunk (a copy)."""
        return list(self._tail)

    def seal(self, data: object, count: int, decode: ChunkDecoder) -> None:
        """The first `count` items of the tail are now encoded as `data`: make them a chunk.

        The items stay in memory as the chunk's decoded items; `decode` is only kept for
        completeness (it is never needed for this chunk in this process).
        """
        if not 0 < count <= len(self._tail):
            msg = f"cannot seal {count} of {len(self._tail)} items"
            raise ValueError(msg)
        items = tuple(self._tail[:count])
        self._chunks = (*self._chunks, _Chunk(data, count, decode, items))
        self._sealed += count
        self._tail = self._tail[count:]
