"""A plan map's blocks decoded as one map (`one_map`, issue 13): the same dict, keys in
the same order, as decoding each block and merging, whatever the blocks' sizes (a
MessagePack fixmap below 16 items, a map 16 from 16 on)."""

from typing import Any
from uuid import UUID

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stafett.applications.transcodings import one_map

_encoder = msgspec.msgpack.Encoder(uuid_format="bytes")
_decoder = msgspec.msgpack.Decoder(dict[UUID, list[int]])


def blocks_of(items: list[tuple[UUID, list[int]]], sizes: list[int]) -> list[bytes]:
    """`items` cut into blocks of the given sizes (the last takes what is left)."""
    blocks, start = [], 0
    for size in sizes:
        if start >= len(items):
            break
        blocks.append(_encoder.encode(dict(items[start : start + size])))
        start += size
    if start < len(items):
        blocks.append(_encoder.encode(dict(items[start:])))
    return blocks


@given(
    mapping=st.dictionaries(
        st.uuids(), st.lists(st.integers(-(2**63), 2**63 - 1), max_size=3), max_size=60
    ),
    sizes=st.lists(st.integers(min_value=1, max_value=40), max_size=8),
)
def test_the_blocks_decode_as_the_map_they_were_cut_from(
    mapping: dict[UUID, list[int]], sizes: list[int]
) -> None:
    blocks = blocks_of(list(mapping.items()), sizes)
    merged: dict[UUID, list[int]] = {}
    for block in blocks:
        merged.update(_decoder.decode(block))
    decoded = _decoder.decode(one_map(blocks))
    assert decoded == merged == mapping
    assert list(decoded) == list(mapping)  # in the map's own order


def test_sixteen_items_and_more_are_read_from_their_longer_header() -> None:
    items = [(UUID(int=i), [i]) for i in range(70_000)]  # a map 32 block too
    blocks = [_encoder.encode(dict(items[:16])), _encoder.encode(dict(items[16:]))]
    assert blocks[0][0] == 0xDE
    assert blocks[1][0] == 0xDF
    assert _decoder.decode(one_map(blocks)) == dict(items)
    assert _decoder.decode(one_map([])) == {}


@pytest.mark.parametrize("block", [b"\x93\x01\x02\x03", b"\xc0", b"\xa3abc"])
def test_a_block_that_is_no_map_is_refused(block: Any) -> None:
    with pytest.raises(ValueError, match="no MessagePack map"):
        one_map([block])
