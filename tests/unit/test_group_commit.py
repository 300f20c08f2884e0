"""Group commit without a store: batches in order, bounded, and a failure for each caller."""

import asyncio
import threading
from collections.abc import Sequence

import pytest

from stafett.persistence.group_commit import BatchFailedError, GroupCommit
from tests.threads import in_threads, wait_until


class HeldFirst:
    """A commit that records each batch and holds the first until `release` is set."""

    def __init__(self) -> None:
        self.committed: list[list[int]] = []
        self.release = threading.Event()

    def __call__(self, items: Sequence[int]) -> None:
        self.committed.append(list(items))
        if len(self.committed) == 1:
            assert self.release.wait(20)


def test_a_batch_holds_at_most_max_batch_items_and_the_rest_follow() -> None:
    commit = HeldFirst()
    committed, release = commit.committed, commit.release
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


# ------------------------------------------------------- coroutines on an event loop


def test_coroutines_on_a_loop_hand_over_their_items_together_while_a_commit_runs() -> None:
    """The loop goes on while the first item commits; the items handed over meanwhile
    go to the writer together, in the next batch."""
    commit = HeldFirst()
    committed, release = commit.committed, commit.release
    writer: GroupCommit[int] = GroupCommit(commit)

    async def main() -> None:
        first = asyncio.create_task(writer.submit_async(0))
        while not committed:  # the loop is free while the first commit is held
            await asyncio.sleep(0.001)
        others = [asyncio.create_task(writer.submit_async(i)) for i in range(1, 9)]
        await asyncio.sleep(0.01)
        assert not any(task.done() for task in [first, *others])
        release.set()
        await asyncio.gather(first, *others)

    asyncio.run(main())
    assert committed == [[0], list(range(1, 9))]


def test_each_coroutine_of_a_failed_batch_gets_the_error_as_its_cause() -> None:
    def commit(items: Sequence[int]) -> None:
        raise ValueError(f"refused {len(items)}")

    writer: GroupCommit[int] = GroupCommit(commit)

    async def main() -> list[BaseException | None]:
        return await asyncio.gather(
            *(writer.submit_async(i) for i in range(3)), return_exceptions=True
        )

    outcomes = asyncio.run(main())
    assert all(isinstance(o, BatchFailedError) for o in outcomes)
    assert all(isinstance(o.__cause__, ValueError) for o in outcomes if o is not None)


def test_a_coroutine_that_stops_waiting_leaves_its_item_and_the_others_committed() -> None:
    committed: list[int] = []
    held = threading.Event()

    def commit(items: Sequence[int]) -> None:
        assert held.wait(20)
        committed.extend(items)

    writer: GroupCommit[int] = GroupCommit(commit)

    async def main() -> None:
        gone = asyncio.create_task(writer.submit_async(1))
        stays = asyncio.create_task(writer.submit_async(2))
        await asyncio.sleep(0.01)
        gone.cancel()
        held.set()
        await stays
        with pytest.raises(asyncio.CancelledError):
            await gone

    asyncio.run(main())
    assert sorted(committed) == [1, 2]  # handed over before the waiter went: still written


def test_threads_and_a_loop_share_one_writer() -> None:
    committed: list[int] = []
    writer: GroupCommit[int] = GroupCommit(committed.extend)

    async def main() -> None:
        await asyncio.gather(*(writer.submit_async(i) for i in range(5)))

    loop_thread = threading.Thread(target=asyncio.run, args=(main(),))
    loop_thread.start()
    assert in_threads(lambda i: writer.submit(100 + i), 5) == {}
    loop_thread.join(timeout=30)
    assert sorted(committed) == [*range(5), *range(100, 105)]
