"""How plan events and snapshots are turned into stored bytes and back.

Events: the library's JSON transcoder knows UUID, Decimal and datetime; everything
else that plan events carry is registered here.

Snapshots: the snapshot store has a transcoder of its own (`PlanSnapshotTranscoder`).
A plan snapshot is one MessagePack document, decoded by msgspec into typed
dataclasses in C with the cyclic garbage collector paused meanwhile (decoding
allocates many objects, which would otherwise trigger collections over the whole
heap). Datetimes are stored as RFC 3339 strings, so their offsets survive as they
do in events; UUIDs as 16 bytes.

The comments and messages logs are lists of *chunks*, each an encoded MessagePack
array of items, with their item counts. A snapshot (format 3) names each chunk by
its SHA-256 digest; the chunk's bytes are stored once, in the log-chunk store
(`persistence/log_chunks.py`), before the first snapshot that names them. Encoding
a snapshot encodes only the items appended since the last chunk (sealed into a
chunk by `seal_logs` first); decoding one reads no chunk: each is fetched from the
store and decoded when the log is first read (see `stafett.aggregates.logs`).
Format 2 snapshots, written before, carried every chunk's bytes inline; they still
decode, their chunks kept as `msgspec.Raw` slices, and the plan's next snapshot
stores those chunks once and names them.

Snapshots written by earlier versions (JSON, with the state as a JSON string
inside) still decode, through the JSON transcoder.
"""

import dataclasses
import gc
import typing
from collections.abc import Callable, Sequence
from dataclasses import is_dataclass
from datetime import date, datetime
from enum import Enum
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.persistence import JSONTranscoder, Transcoder, Transcoding

from stafett.aggregates import values
from stafett.aggregates.logs import AppendOnlyLog
from stafett.aggregates.plan import PlanState
from stafett.persistence.log_chunks import LogChunks, chunk_digest

T = TypeVar("T")


def without_gc(decode: Callable[[Any], T], data: Any) -> T:
    """`decode(data)` with the cyclic garbage collector paused (restored after)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return decode(data)
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------- events (JSON)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class EnumAsValue(Transcoding):
    def __init__(self, enum_class: type[Enum]) -> None:
        self.type = enum_class
        self.name = "stafett." + enum_class.__name__

    def encode(self, obj: Enum) -> Any:
        return obj.value

    def decode(self, data: Any) -> Enum:
        member: Enum = self.type(data)
        return member


class DataclassAsDict(Transcoding):
    """A frozen value dataclass, as msgspec's builtins (types restored on decode)."""

    def __init__(self, value_class: type[Any]) -> None:
        self.type = value_class
        self.name = "stafett." + value_class.__name__

    def encode(self, obj: Any) -> Any:
        return msgspec.to_builtins(obj)

    def decode(self, data: Any) -> Any:
        return msgspec.convert(data, self.type)


# ------------------------------------------------------- the shape of PlanState

_HINTS = typing.get_type_hints(PlanState)
LOG_FIELDS: dict[str, type[Any]] = {
    name: typing.get_args(hint)[0]
    for name, hint in _HINTS.items()
    if typing.get_origin(hint) is AppendOnlyLog
}
"""PlanState's append-only logs and the type of their items."""
PLAIN_FIELDS = tuple(f.name for f in dataclasses.fields(PlanState) if f.name not in LOG_FIELDS)
MAP_FIELDS: dict[str, Any] = {
    name: hint for name, hint in _HINTS.items() if typing.get_origin(hint) is dict
}
"""PlanState's maps (goals, activities, ...): stored in blocks by digest since format 4."""
INLINE_FIELDS = tuple(name for name in PLAIN_FIELDS if name not in MAP_FIELDS)


def _mirror(
    name: str,
    log_type: Callable[[type[Any]], Any],
    empty_log: Callable[[], Any],
    map_type: Any = None,
) -> type[msgspec.Struct]:
    """A msgspec Struct with PlanState's fields (and defaults), logs typed by `log_type`
    and, when `map_type` is given, maps typed by it."""
    fields: list[tuple[str, Any, Any]] = []
    for f in dataclasses.fields(PlanState):
        if f.name in LOG_FIELDS:
            item_type = LOG_FIELDS[f.name]
            fields.append((f.name, log_type(item_type), msgspec.field(default_factory=empty_log)))
        elif map_type is not None and f.name in MAP_FIELDS:
            fields.append((f.name, map_type, msgspec.field(default_factory=list)))
        elif f.default is not dataclasses.MISSING:
            fields.append((f.name, _HINTS[f.name], f.default))
        elif f.default_factory is not dataclasses.MISSING:
            factory = f.default_factory
            fields.append((f.name, _HINTS[f.name], msgspec.field(default_factory=factory)))
        else:
            fields.append((f.name, _HINTS[f.name], msgspec.NODEFAULT))
    return msgspec.defstruct(name, fields, kw_only=True)


# ------------------------------------------------ the former snapshots (JSON)

_LegacyPlanState = _mirror("_LegacyPlanState", lambda item: list[item], list)  # type: ignore[valid-type]


def _log_as_list(obj: Any) -> Any:
    if isinstance(obj, AppendOnlyLog):
        return list(obj)
    raise NotImplementedError(type(obj))


class PlanStateAsJSON(Transcoding):
    """The former snapshot encoding (a JSON string in the JSON); kept to read old snapshots."""

    type = PlanState
    name = "stafett.PlanState"
    _encoder = msgspec.json.Encoder(enc_hook=_log_as_list)
    _decoder = msgspec.json.Decoder(_LegacyPlanState)

    def encode(self, obj: PlanState) -> str:
        return self._encoder.encode(obj).decode()

    def decode(self, data: str) -> PlanState:
        legacy = without_gc(self._decoder.decode, data)
        fields = {name: getattr(legacy, name) for name in PLAIN_FIELDS}
        for name in LOG_FIELDS:
            fields[name] = AppendOnlyLog(getattr(legacy, name))
        return PlanState(**fields)


def register_plan_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    for name in dir(values):
        obj = getattr(values, name)
        if isinstance(obj, type) and obj.__module__ == values.__name__:
            if issubclass(obj, Enum):
                transcoder.register(EnumAsValue(obj))
            elif is_dataclass(obj):
                transcoder.register(DataclassAsDict(obj))
    transcoder.register(PlanStateAsJSON())


# ----------------------------------------------------- snapshots (MessagePack)

SNAPSHOT_FORMAT = 4  # the maps in blocks and the logs in chunks, both by digest
LOG_REFS_FORMAT = 3  # the logs' chunks by digest, the maps inline (before)
CHUNKS_INLINE_FORMAT = 2  # the logs' chunks' bytes inside each snapshot (before)
MAP_BLOCK = 16
"""Items of a map in one stored block. A block's bytes change only when one of its
items does (a map keeps its keys' order when a value is replaced, and nothing is ever
removed from one), so each snapshot adds the blocks that changed or grew. Smaller
blocks store fewer unchanged items again but make more rows for a load to read: 16
kept the 10,000-event plan's snapshots and chunks near its event bytes (decision 0030)."""
# Chunk digests a process remembers having stored, so it does not write them again;
# past this many it forgets them all and starts over (a forgotten chunk costs one
# write that does nothing), so a long-running server's memory stays bounded (~7 MiB).
KNOWN_DIGESTS = 65_536
# Map blocks remembered by their items' identities (`_stored_block`), holding those
# items alive (most of them are in cached plans anyway; superseded ones only here): at
# most 512 × 16 items, enough for the 10,000-event plan's 115 blocks several times over.
KNOWN_BLOCKS = 512
_SNAPSHOT_ARRAY = 0x96  # MessagePack: an array of six elements, the first the format
_PLAN_TOPIC = "stafett.plan:Plan"
_AGGREGATE_KEYS = {"_created_on", "_modified_on", "state"}
_SNAPSHOT_KEYS = {"timestamp", "topic", "state"}


def _snapshot_struct(name: str, state: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """`[format, timestamp, topic, created_on, modified_on, state]`."""
    return msgspec.defstruct(
        name,
        [
            ("format", int),
            ("timestamp", datetime),
            ("topic", str),
            ("created_on", datetime),
            ("modified_on", datetime),
            ("state", state),
        ],
        array_like=True,
    )


class _StoredLog(msgspec.Struct, array_like=True):
    counts: list[int]
    chunks: list[msgspec.Raw]


class _StoredLogRefs(msgspec.Struct, array_like=True):
    counts: list[int]
    digests: list[bytes]


_StoredPlanSnapshot = _snapshot_struct(
    "_StoredPlanSnapshot",
    _mirror("_StoredPlanState", lambda _: _StoredLog, lambda: _StoredLog([], [])),
)
_StoredPlanSnapshotRefs = _snapshot_struct(
    "_StoredPlanSnapshotRefs",
    _mirror("_StoredPlanStateRefs", lambda _: _StoredLogRefs, lambda: _StoredLogRefs([], [])),
)
_StoredPlanSnapshotBlocks = _snapshot_struct(
    "_StoredPlanSnapshotBlocks",
    _mirror(
        "_StoredPlanStateBlocks",
        lambda _: _StoredLogRefs,
        lambda: _StoredLogRefs([], []),
        map_type=list[bytes],
    ),
)

_encoder = msgspec.msgpack.Encoder(uuid_format="bytes")
_chunk_decoders: dict[str, Callable[[Any], Sequence[Any]]] = {
    name: partial(without_gc, msgspec.msgpack.Decoder(list[item_type]).decode)  # type: ignore[valid-type]
    for name, item_type in LOG_FIELDS.items()
}
_block_decoders: dict[str, Callable[[bytes], dict[Any, Any]]] = {
    name: msgspec.msgpack.Decoder(hint).decode for name, hint in MAP_FIELDS.items()
}


def one_map(blocks: Sequence[bytes]) -> bytes:
    """The MessagePack maps `blocks` as one map, their items in order under one header:
    a map's blocks hold disjoint keys, so it decodes in one call, each key hashed once
    (decoding block by block and merging hashed every key twice, a tenth of a load)."""
    count = 0
    bodies: list[bytes | memoryview] = []
    for block in blocks:
        first = block[0]
        if first & 0xF0 == 0x80:  # fixmap: up to 15 items
            items, start = first & 0x0F, 1
        elif first == 0xDE:  # map 16
            items, start = int.from_bytes(block[1:3], "big"), 3
        elif first == 0xDF:  # map 32
            items, start = int.from_bytes(block[1:5], "big"), 5
        else:
            raise ValueError(f"a map block that is no MessagePack map (0x{first:02x})")
        count += items
        bodies.append(memoryview(block)[start:])
    return b"".join([b"\xdf" + count.to_bytes(4, "big"), *bodies])


def _encode_items(items: Sequence[Any]) -> msgspec.Raw:
    return msgspec.Raw(_encoder.encode(msgspec.to_builtins(items, builtin_types=(UUID,))))


def seal_logs(state: PlanState) -> None:
    """Encode each log's items appended since its last chunk as a new chunk, in place.

    Taken before a snapshot of `state`: the snapshot then only copies chunk bytes,
    and so does the next one, for these items.
    """
    for name in LOG_FIELDS:
        log: AppendOnlyLog[Any] = getattr(state, name)
        tail = log.tail()
        if tail:
            log.seal(_encode_items(tail), len(tail), _chunk_decoders[name])


class _ChunkFetcher:
    """Decodes a chunk named by digest from the log-chunk store; `decode_many` fetches
    every chunk of a log being read in one round trip (`AppendOnlyLog`)."""

    def __init__(self, chunks: LogChunks, decode: Callable[[Any], Sequence[Any]]) -> None:
        self.chunks = chunks
        self.decode = decode

    def __call__(self, digest: bytes) -> Sequence[Any]:
        return self.decode(self.chunks.get(digest))

    def decode_many(self, digests: Sequence[bytes]) -> list[Sequence[Any]]:
        return [self.decode(data) for data in self.chunks.get_many(digests)]


class PlanSnapshotTranscoder(Transcoder):
    """Plan snapshots as MessagePack; any other state through the JSON transcoder.

    A stored plan snapshot is `[format, timestamp, topic, created_on, modified_on,
    state]`; in the state (format 4) each map is a list of block digests and each log
    `[counts, digests]`; the bytes behind every digest are in the chunk store (format
    3 had the maps inline, format 2 the logs' chunk bytes too). JSON always starts
    with `{`, a MessagePack array never does, so the first byte tells the two apart
    on decode.
    """

    def __init__(self, json: Transcoder, chunks: LogChunks) -> None:
        self.json = json
        self.chunks = chunks
        self._decoder = msgspec.msgpack.Decoder(_StoredPlanSnapshotBlocks)
        self._refs_decoder = msgspec.msgpack.Decoder(_StoredPlanSnapshotRefs)
        self._inline_decoder = msgspec.msgpack.Decoder(_StoredPlanSnapshot)
        self._stored: set[bytes] = set()  # digests this process knows the store has
        self._blocks: dict[tuple[int, ...], tuple[list[tuple[Any, Any]], bytes]] = {}
        self._fetching = {
            name: _ChunkFetcher(chunks, decode) for name, decode in _chunk_decoders.items()
        }

    def encode(self, obj: Any) -> bytes:
        aggregate = obj.get("state") if isinstance(obj, dict) else None
        if (
            not isinstance(aggregate, dict)
            or obj.keys() != _SNAPSHOT_KEYS
            or obj["topic"] != _PLAN_TOPIC
            or aggregate.keys() != _AGGREGATE_KEYS
            or not isinstance(aggregate["state"], PlanState)
        ):
            return self.json.encode(obj)
        state: PlanState = aggregate["state"]
        stored_state = msgspec.to_builtins(
            {name: getattr(state, name) for name in INLINE_FIELDS}, builtin_types=(UUID,)
        )
        for name in MAP_FIELDS:
            stored_state[name] = self._stored_map(getattr(state, name))
        for name in LOG_FIELDS:
            stored_state[name] = self._stored_log(getattr(state, name))
        stored = [
            SNAPSHOT_FORMAT,
            obj["timestamp"].isoformat(),
            obj["topic"],
            aggregate["_created_on"].isoformat(),
            aggregate["_modified_on"].isoformat(),
            stored_state,
        ]
        return _encoder.encode(stored)

    def _stored_map(self, mapping: dict[Any, Any]) -> list[bytes]:
        """The digests of the map's blocks of `MAP_BLOCK` items, each block stored first."""
        items = list(mapping.items())
        return [
            self._stored_block(items[i : i + MAP_BLOCK]) for i in range(0, len(items), MAP_BLOCK)
        ]

    def _stored_block(self, block: list[tuple[Any, Any]]) -> bytes:
        """The digest of one block of a map, the block stored first.

        A map's keys and items are frozen values, so a block of the very objects of a
        block encoded before has that block's digest: a cached plan's next snapshot
        encodes only the blocks whose items changed (a snapshot of the 10,000-event plan
        re-encoded all its 115 blocks, some 5 ms). The memo holds the objects it names,
        so their ids cannot be reused while it remembers them; it forgets everything past
        `KNOWN_BLOCKS`, which costs a forgotten block one encoding.
        """
        key = tuple(id(part) for pair in block for part in pair)
        known = self._blocks.get(key)
        if known is not None:
            return known[1]
        encoded = _encoder.encode(msgspec.to_builtins(dict(block), builtin_types=(UUID,)))
        digest = self._store(encoded)
        if len(self._blocks) >= KNOWN_BLOCKS:
            self._blocks.clear()
        self._blocks[key] = (block, digest)
        return digest

    def _stored_log(self, log: AppendOnlyLog[Any]) -> list[Any]:
        """`[counts, digests]`, every chunk named stored first (the tail as a new chunk)."""
        digests: list[bytes] = []
        counts: list[int] = []
        for data, count in log.encoded_chunks():
            if isinstance(data, bytes):  # a digest: the chunk came from the store
                digests.append(data)
            elif isinstance(data, msgspec.Raw):  # sealed here, or from a format 2 snapshot
                digests.append(self._store(bytes(memoryview(data))))
            else:  # only this module makes chunks
                raise TypeError(f"a log chunk of type {type(data).__name__}")
            counts.append(count)
        tail = log.tail()
        if tail:
            digests.append(self._store(bytes(memoryview(_encode_items(tail)))))
            counts.append(len(tail))
        return [counts, digests]

    def _store(self, data: bytes) -> bytes:
        digest = chunk_digest(data)
        if digest not in self._stored:
            self.chunks.put(digest, data)
            if len(self._stored) >= KNOWN_DIGESTS:
                self._stored.clear()
            self._stored.add(digest)
        return digest

    def decode(self, data: bytes) -> Any:
        if data[:1] == b"{":
            return self.json.decode(data)
        if data[:2] == bytes((_SNAPSHOT_ARRAY, CHUNKS_INLINE_FORMAT)):
            return self._decode_inline(data)
        if data[:2] == bytes((_SNAPSHOT_ARRAY, LOG_REFS_FORMAT)):
            refs: Any = without_gc(self._refs_decoder.decode, data)
            inline = {name: getattr(refs.state, name) for name in PLAIN_FIELDS}
            return _snapshot_dict(refs, PlanState(**inline, **self._logs(refs.state)))
        stored: Any = without_gc(self._decoder.decode, data)
        if stored.format != SNAPSHOT_FORMAT:
            msg = f"unknown plan snapshot format {stored.format}"
            raise ValueError(msg)
        fields: dict[str, Any] = {name: getattr(stored.state, name) for name in INLINE_FIELDS}
        fields |= without_gc(self._maps, stored.state)
        return _snapshot_dict(stored, PlanState(**fields, **self._logs(stored.state)))

    def _maps(self, state: Any) -> dict[str, dict[Any, Any]]:
        """Every map of a format 4 state, its blocks read in one round trip."""
        names = {name: getattr(state, name) for name in MAP_FIELDS}
        wanted = [digest for digests in names.values() for digest in digests]
        blocks = iter(self.chunks.get_many(wanted) if wanted else ())
        return {
            name: _block_decoders[name](one_map([next(blocks) for _ in digests]))
            for name, digests in names.items()
        }

    def _logs(self, state: Any) -> dict[str, Any]:
        """The logs of a format 3 or 4 state, their chunks fetched when first read."""
        logs: dict[str, AppendOnlyLog[Any]] = {}
        for name in LOG_FIELDS:
            refs: _StoredLogRefs = getattr(state, name)
            if len(refs.counts) != len(refs.digests):
                raise ValueError(
                    f"{name}: {len(refs.counts)} counts for {len(refs.digests)} chunks"
                )
            logs[name] = AppendOnlyLog.from_chunks(
                zip(refs.digests, refs.counts, strict=True), self._fetching[name]
            )
        return logs

    def _decode_inline(self, data: bytes) -> Any:
        """A format 2 snapshot: the chunks' bytes inline, kept as `msgspec.Raw` slices."""
        stored: Any = without_gc(self._inline_decoder.decode, data)
        fields = {name: getattr(stored.state, name) for name in PLAIN_FIELDS}
        for name in LOG_FIELDS:
            log: _StoredLog = getattr(stored.state, name)
            if len(log.counts) != len(log.chunks):
                raise ValueError(f"{name}: {len(log.counts)} counts for {len(log.chunks)} chunks")
            fields[name] = AppendOnlyLog.from_chunks(
                zip(log.chunks, log.counts, strict=True), _chunk_decoders[name]
            )
        return _snapshot_dict(stored, PlanState(**fields))


def _snapshot_dict(stored: Any, state: PlanState) -> Any:
    return {
        "timestamp": stored.timestamp,
        "topic": stored.topic,
        "state": {
            "_created_on": stored.created_on,
            "_modified_on": stored.modified_on,
            "state": state,
        },
    }
