"""Group commit without a store: batches in order, bounded, and a failure for each caller."""

import threading
from collections.abc import Sequence

import pytest

from stafett.persistence.group_commit import BatchFailedError, GroupCommit
from tests.threads import in_threads, wait_until


def test_a_batch_holds_at_most_max_batch_items_and_the_rest_follow() -> None:
    committed: list[list[int]] = []
    release = threading.Event()

    def commit(items: Sequence[int]) -> None:
        committed.append(list(items))
        if len(committed) == 1:
            assert release.wait(20)

    writer: GroupCommit[int] = GroupCommit(commit, max_batch=4)
    first = threading.Thread(target=writer.submit, args=(0,))
    first.start()
    wait_until(lambda: len(committed) == 1)

    def release_once_all_wait() -> None:
        wait_until(lambda: writer.queued == 10)
        release.set()

    assert in_threads(lambda i: writer.submit(i + 1), 10, started=release_once_all_wait) == {}
    first.join(timeout=30)
    assert [len(batch) for batch in committed] == [1, 4, 4, 2]
    assert sorted(i for batch in committed for i in batch) == list(range(11))


def test_the_error_of_a_failed_batch_is_the_cause_for_each_caller() -> None:
    def commit(items: Sequence[int]) -> None:
        raise ValueError(f"refused {len(items)}")

    writer: GroupCommit[int] = GroupCommit(commit)
    with pytest.raises(BatchFailedError) as raised:
        writer.submit(1)
    assert isinstance(raised.value.__cause__, ValueError)
