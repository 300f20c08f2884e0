"""AppendOnlyLog: a list-like log whose encoded chunks are decoded only when read."""

import copy
from collections.abc import Callable, Sequence

import pytest

from stafett.aggregates.logs import AppendOnlyLog


class CountingDecoder:
    """Decodes a chunk made by `encode` (a comma-joined string) and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, data: object) -> Sequence[int]:
        self.calls += 1
        assert isinstance(data, str)
        return [int(part) for part in data.split(",")]


def encode(items: Sequence[int]) -> str:
    return ",".join(str(i) for i in items)


def chunked(decoder: CountingDecoder, *runs: Sequence[int]) -> AppendOnlyLog[int]:
    return AppendOnlyLog.from_chunks([(encode(run), len(run)) for run in runs], decoder)


def test_a_new_log_appends_iterates_counts_and_indexes() -> None:
    log: AppendOnlyLog[int] = AppendOnlyLog()
    assert len(log) == 0
    assert list(log) == []
    for i in range(3):
        log.append(i)
    assert len(log) == 3
    assert list(log) == [0, 1, 2]
    assert (log[0], log[2], log[-1], log[-3]) == (0, 2, 2, 0)
    assert log[1:] == [1, 2]
    with pytest.raises(IndexError):
        log[3]
    with pytest.raises(IndexError):
        log[-4]


def test_a_log_equals_a_log_or_a_list_with_the_same_items() -> None:
    decoder = CountingDecoder()
    log = chunked(decoder, [1, 2], [3])
    log.append(4)
    assert log == [1, 2, 3, 4]
    assert log == AppendOnlyLog([1, 2, 3, 4])
    assert AppendOnlyLog([1, 2, 3, 4]) == log
    assert log != [1, 2, 3]
    assert log != [1, 2, 3, 5]
    assert log != AppendOnlyLog([1, 2, 3, 4, 5])
    assert log != (1, 2, 3, 4)  # only logs and lists compare equal
    with pytest.raises(TypeError):
        hash(log)


def test_chunks_are_not_decoded_until_the_log_is_read() -> None:
    decoder = CountingDecoder()
    log = chunked(decoder, [1, 2, 3], [4, 5])
    log.append(6)
    log.append(7)

    assert len(log) == 7
    assert log[-1] == 7  # in the tail
    assert log[5] == 6
    copied = log.copy()
    copied.append(8)
    assert decoder.calls == 0

    assert log[3] == 4  # only the second chunk is decoded
    assert decoder.calls == 1
    assert list(log) == [1, 2, 3, 4, 5, 6, 7]
    assert decoder.calls == 2
    assert list(log) == [1, 2, 3, 4, 5, 6, 7]
    assert list(copied) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert decoder.calls == 2  # decoded once, shared by the copy


def test_empty_chunks_are_skipped_and_a_wrong_count_is_an_error() -> None:
    decoder = CountingDecoder()
    assert list(AppendOnlyLog.from_chunks([("", 0), ("1", 1)], decoder)) == [1]
    lying: AppendOnlyLog[int] = AppendOnlyLog.from_chunks([("1,2", 3)], decoder)
    assert len(lying) == 3
    with pytest.raises(ValueError, match="said 3 items but decoded to 2"):
        list(lying)


@pytest.mark.parametrize("how", ["copy", "copy.copy", "copy.deepcopy"])
def test_a_copy_is_equal_and_independent(how: str) -> None:
    decoder = CountingDecoder()
    log = chunked(decoder, [1, 2])
    log.append(3)
    copies: dict[str, Callable[[], AppendOnlyLog[int]]] = {
        "copy": log.copy,
        "copy.copy": lambda: copy.copy(log),
    }
    clone = copies.get(how, lambda: copy.deepcopy(log))()

    assert clone == log
    assert clone is not log
    clone.append(4)
    log.append(5)
    assert list(log) == [1, 2, 3, 5]
    assert list(clone) == [1, 2, 3, 4]
    clone.clear()
    assert len(clone) == 0
    assert list(clone) == []
    assert list(log) == [1, 2, 3, 5]


def test_sealing_makes_the_tail_a_chunk_without_decoding_it_again() -> None:
    decoder = CountingDecoder()
    log = chunked(decoder, [1, 2])
    log.append(3)
    log.append(4)
    before = log.copy()

    log.seal(encode([3, 4]), 2, decoder)

    assert log.tail() == []
    assert log.encoded_chunks() == [("1,2", 2), ("3,4", 2)]
    assert log[2] == 3
    assert decoder.calls == 0  # the sealed items were in memory already
    assert log == [1, 2, 3, 4]
    assert decoder.calls == 1  # only the first chunk
    log.append(5)
    assert before.tail() == [3, 4]  # a copy taken before keeps its own tail
    assert list(before) == [1, 2, 3, 4]
    assert list(log) == [1, 2, 3, 4, 5]


def test_sealing_more_items_than_the_tail_holds_is_refused() -> None:
    log = AppendOnlyLog([1])
    with pytest.raises(ValueError, match="cannot seal 2 of 1"):
        log.seal("1,2", 2, CountingDecoder())
    with pytest.raises(ValueError, match="cannot seal 0 of 1"):
        log.seal("", 0, CountingDecoder())


def test_the_repr_tells_how_much_is_decoded() -> None:
    decoder = CountingDecoder()
    log = chunked(decoder, [1], [2])
    log.append(3)
    assert repr(log) == "AppendOnlyLog(3 items: 2 chunks (0 decoded), 1 since)"
    assert log[0] == 1
    assert repr(log) == "AppendOnlyLog(3 items: 2 chunks (1 decoded), 1 since)"


class FetchMany:
    """A decoder that can also fetch many chunks at once, counting its calls."""

    def __init__(self) -> None:
        self.one: list[object] = []
        self.many: list[list[object]] = []

    def __call__(self, data: object) -> Sequence[int]:
        self.one.append(data)
        return [int(x) for x in str(data).split(",")]

    def decode_many(self, datas: Sequence[object]) -> list[Sequence[int]]:
        self.many.append(list(datas))
        return [[int(x) for x in str(d).split(",")] for d in datas]


def test_reading_a_log_decodes_its_pending_chunks_in_one_go_where_the_decoder_can() -> None:
    fetch = FetchMany()
    log: AppendOnlyLog[int] = AppendOnlyLog.from_chunks([("1,2", 2), ("3", 1), ("4,5", 2)], fetch)
    assert log[2] == 3  # one item: that chunk alone
    assert fetch.one == ["3"]
    assert list(log) == [1, 2, 3, 4, 5]
    assert fetch.many == [["1,2", "4,5"]]  # the two not read yet, together
    assert list(log) == [1, 2, 3, 4, 5]
    assert (len(fetch.one), len(fetch.many)) == (1, 1)  # kept: nothing decoded twice


def test_a_chunk_decoded_in_one_go_is_still_checked_against_its_count() -> None:
    fetch = FetchMany()
    log: AppendOnlyLog[int] = AppendOnlyLog.from_chunks([("1,2", 2), ("3", 2)], fetch)
    with pytest.raises(ValueError, match="said 2 items"):
        list(log)
